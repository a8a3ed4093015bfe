package io.sluice.client.tools.verify;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** The options of sluice-verify's commands, grouped by who takes them. */
final class VerifyOptions {
    private VerifyOptions() {
    }

    /** Every command. */
    static final class Common {
        @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT[,HOST:PORT...]",
                description = "Brokers to start from.")
        String bootstrap;

        @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic to write or read.")
        String topic;

        @Option(names = "--acked", required = true, paramLabel = "FILE",
                description = "The acknowledged-records file: produce and run append to it (one header line per run, "
                        + "then 'runId partition offset sequence' per acknowledged record); consume checks it.")
        Path acked;
    }

    /** produce and run. */
    static final class Produce {
        @Option(names = "--acks", defaultValue = "all", paramLabel = "all|-1|0|1",
                description = "Producer acks (default: ${DEFAULT-VALUE}; idempotence is on with all, off otherwise).")
        String acks;

        @Option(names = "--throughput", defaultValue = "-1", paramLabel = "RECORDS_PER_SEC",
                description = "Send at most this many records per second; -1: unlimited (default).")
        long throughput;

        @Option(names = "--record-size", defaultValue = "100", paramLabel = "BYTES",
                description = "Value size in bytes, at least " + VerifyValue.MIN_SIZE + " (smaller is raised to it; "
                        + "default: ${DEFAULT-VALUE}).")
        int recordSize;

        @Option(names = "--partitions", defaultValue = "1", paramLabel = "P",
                description = "Partitions of the topic when it has to be created (default: ${DEFAULT-VALUE}; 0: the "
                        + "broker's num.partitions). Records go round-robin over the topic's partitions.")
        int partitions;

        @Option(names = "--producer-prop", paramLabel = "KEY=VALUE",
                description = "A producer setting (repeatable), over sluice-verify's defaults: request.timeout.ms=5000, "
                        + "delivery.timeout.ms=30000, max.block.ms=10000, retry.backoff.ms=100.")
        Map<String, String> producerProps = new LinkedHashMap<>();

        void validate(CommandSpec spec) {
            if (throughput == 0 || throughput < -1) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--throughput must be positive or -1 (unlimited), not " + throughput);
            }
            if (recordSize < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--record-size must be >= 0");
            }
            if (partitions < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--partitions must be >= 0");
            }
        }

        Map<String, Object> producerSettings(String bootstrap) {
            Map<String, Object> props = new HashMap<>();
            props.put("bootstrap.servers", bootstrap);
            props.put("client.id", "sluice-verify-producer");
            props.put("acks", acks);
            props.put("request.timeout.ms", "5000");
            props.put("delivery.timeout.ms", "30000");
            props.put("max.block.ms", "10000");
            props.put("retry.backoff.ms", "100");
            props.putAll(producerProps);
            return props;
        }
    }

    /** consume and run. */
    static final class Read {
        @Option(names = "--timeout-ms", defaultValue = "10000", paramLabel = "MS",
                description = "Stop reading when no record arrives for this long before every partition is read to "
                        + "its end (default: ${DEFAULT-VALUE}); also how long the topic may stay unreachable at start.")
        long timeoutMs;

        @Option(names = "--consumer-prop", paramLabel = "KEY=VALUE",
                description = "A consumer setting (repeatable), over sluice-verify's defaults: "
                        + "auto.offset.reset=none, request.timeout.ms=5000, fetch.max.wait.ms=100.")
        Map<String, String> consumerProps = new LinkedHashMap<>();

        void validate(CommandSpec spec) {
            if (timeoutMs <= 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--timeout-ms must be positive");
            }
        }
    }
}
