package io.sluice.client.tools.perf;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options both modes take (the contract of ARCHITECTURE.md §10 and the bench workload). */
final class PerfOptions {
    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "Brokers to start from.")
    String bootstrap;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic to write or read.")
    String topic;

    @Option(names = "--records", required = true, paramLabel = "N",
            description = "Records to send or read in the measured run (after the warm-up).")
    long records;

    @Option(names = "--record-size", required = true, paramLabel = "BYTES",
            description = "Value size in bytes (random bytes, pre-generated; no key).")
    int recordSize;

    @Option(names = "--acks", defaultValue = "1", paramLabel = "all|-1|0|1",
            description = "Producer acks (default: ${DEFAULT-VALUE}, the bench workload's acks=1; Kafka's producer "
                    + "default is all). With acks other than all, idempotence is off, as in Kafka.")
    String acks;

    @Option(names = "--batch-size", defaultValue = "16384", paramLabel = "BYTES",
            description = "Producer batch.size (default: ${DEFAULT-VALUE}, Kafka's).")
    int batchSize;

    @Option(names = "--linger-ms", defaultValue = "5", paramLabel = "MS",
            description = "Producer linger.ms (default: ${DEFAULT-VALUE}, Kafka's).")
    long lingerMs;

    @Option(names = "--partitions", defaultValue = "1", paramLabel = "P",
            description = "Partitions of the topic, created with them when it does not exist (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--throughput", defaultValue = "-1", paramLabel = "RECORDS_PER_SEC",
            description = "Produce at most this many records per second, for latency runs; -1: unlimited (default).")
    long throughput;

    @Option(names = "--producer-prop", paramLabel = "KEY=VALUE",
            description = "A producer setting (repeatable), e.g. buffer.memory=67108864; overrides the flags above.")
    Map<String, String> producerProps = new LinkedHashMap<>();

    @Option(names = "--consumer-prop", paramLabel = "KEY=VALUE",
            description = "A consumer setting (repeatable), e.g. max.partition.fetch.bytes=4194304.")
    Map<String, String> consumerProps = new LinkedHashMap<>();

    @Option(names = "--fetch-max-bytes", paramLabel = "BYTES",
            description = "Consumer fetch.max.bytes (default: the consumer's, 52428800). The per-partition limit is "
                    + "max.partition.fetch.bytes (set it with --consumer-prop).")
    Integer fetchMaxBytes;

    @Option(names = "--warmup-records", defaultValue = "0", paramLabel = "N",
            description = "Records sent (or read) before the measured run; they count in no statistic.")
    long warmupRecords;

    @Option(names = "--idle-timeout-ms", defaultValue = "30000", paramLabel = "MS",
            description = "Consume: fail when no record arrives for this long (default: ${DEFAULT-VALUE}).")
    long idleTimeoutMs;

    @Option(names = "--json", description = "Print the result as one JSON object on stdout instead of the summary line.")
    boolean json;

    /** Checks the values picocli cannot. */
    void validate(picocli.CommandLine.Model.CommandSpec spec) {
        if (records <= 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--records must be positive, not " + records);
        }
        if (recordSize < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--record-size must be >= 0, not " + recordSize);
        }
        if (partitions <= 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--partitions must be positive, not " + partitions);
        }
        if (warmupRecords < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--warmup-records must be >= 0");
        }
        if (throughput == 0 || throughput < -1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--throughput must be positive or -1 (unlimited), not " + throughput);
        }
    }
}
