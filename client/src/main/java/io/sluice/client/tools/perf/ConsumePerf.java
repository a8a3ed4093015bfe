package io.sluice.client.tools.perf;

import io.sluice.client.ClientConfig;
import io.sluice.client.admin.Admin;
import io.sluice.client.admin.TopicDescription;
import io.sluice.client.consumer.Consumer;
import io.sluice.client.consumer.ConsumerConfig;
import io.sluice.client.consumer.ConsumerRecord;
import io.sluice.client.consumer.ConsumerRecords;
import io.sluice.client.errors.TimeoutException;
import io.sluice.client.metadata.PartitionInfo;
import io.sluice.proto.TopicPartition;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sluice-perf consume}: reads N records from the beginning of every partition, verifying all of it. */
@Command(name = "consume", mixinStandardHelpOptions = true, version = "sluice-perf 0.1.0", sortOptions = false,
        description = {"Reads --records records from the start of every partition of --topic and reports records/s, "
                + "MiB/s (2^20 bytes of keys and values) and the latency of each fetch round trip (request sent to "
                + "answer received, p50/p99/p99.9/max, HdrHistogram).",
                "Everything read is verified (CRC32C of every batch, contiguous offsets, leader epochs never going "
                        + "down); a violation fails the run with exit code 1 and names the partition and offsets."})
final class ConsumePerf implements Callable<Integer> {
    @Mixin
    PerfOptions options;

    @Spec
    CommandSpec spec;

    private final PrintStream out;
    private final PrintStream err;

    ConsumePerf(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        options.validate(spec);
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", options.bootstrap);
        props.put("client.id", "sluice-perf-consumer");
        props.put("auto.offset.reset", "earliest");
        if (options.fetchMaxBytes != null) {
            props.put("fetch.max.bytes", options.fetchMaxBytes);
        }
        props.putAll(options.consumerProps);
        ConsumerConfig config;
        try {
            config = new ConsumerConfig(props);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        List<TopicPartition> partitions;
        try (Admin admin = new Admin(ClientConfig.of(options.bootstrap).withClientId("sluice-perf-admin")
                .withRequestTimeoutMs(10_000))) {
            TopicDescription description = admin.describeTopic(options.topic);
            partitions = description.partitions().stream().map(PartitionInfo::partition).toList();
        }
        Consumer consumer = new Consumer(config);
        try (consumer; PerfStats stats = new PerfStats("consume", "fetch round trip", options.recordSize, err)) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            boolean[] measuring = {options.warmupRecords == 0};
            consumer.fetchLatencyListener(nanos -> {
                if (measuring[0]) {
                    stats.recordLatency(nanos);
                }
            });
            long target = options.warmupRecords + options.records;
            long seen = 0;
            if (measuring[0]) {
                stats.start();
            }
            long lastRecordNanos = System.nanoTime();
            while (seen < target) {
                ConsumerRecords records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    if (System.nanoTime() - lastRecordNanos > options.idleTimeoutMs * 1_000_000L) {
                        throw new TimeoutException("read " + Math.max(0, seen - options.warmupRecords) + " of "
                                + options.records + " records (after " + options.warmupRecords + " warm-up): no record for "
                                + options.idleTimeoutMs + " ms");
                    }
                    continue;
                }
                lastRecordNanos = System.nanoTime();
                long n = 0;
                long bytes = 0;
                for (ConsumerRecord r : records) {
                    if (seen >= target) {
                        break;
                    }
                    seen++;
                    if (!measuring[0]) {
                        if (seen == options.warmupRecords) {
                            measuring[0] = true;
                            stats.start();
                        }
                        continue;
                    }
                    n++;
                    bytes += Math.max(r.valueSize(), 0) + Math.max(r.keySize(), 0);
                }
                stats.count(n, bytes);
            }
            stats.stop();
            out.println(options.json ? stats.json() : stats.summary());
        }
        return 0;
    }
}
