package io.sluice.client.tools.perf;

import io.sluice.client.tools.ToolClients;
import io.sluice.client.errors.SluiceException;
import io.sluice.client.producer.Callback;
import io.sluice.client.producer.Producer;
import io.sluice.client.producer.ProducerRecord;
import io.sluice.client.producer.RecordMetadata;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sluice-perf produce}: sends N records of S random bytes and measures send-to-ack. */
@Command(name = "produce", mixinStandardHelpOptions = true, version = "sluice-perf 0.1.0", sortOptions = false,
        description = {"Sends --records records of --record-size random bytes (pre-generated; no key) and reports "
                + "records/s, MiB/s (2^20 bytes) and the latency from send() to the record's acknowledgement "
                + "(p50/p99/p99.9/max, HdrHistogram). The topic is created with --partitions when it does not exist.",
                "Producer defaults are Kafka's (batch.size 16384, linger.ms 5, buffer.memory 33554432) except acks, "
                        + "which defaults to 1 (the bench workload); --producer-prop overrides any setting."})
final class ProducePerf implements Callable<Integer> {
    private static final int DISTINCT_VALUES = 16;

    @Mixin
    PerfOptions options;

    @Spec
    CommandSpec spec;

    private final PrintStream out;
    private final PrintStream err;

    ProducePerf(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        options.validate(spec);
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", options.bootstrap);
        props.put("client.id", "sluice-perf-producer");
        props.put("acks", options.acks);
        props.put("batch.size", options.batchSize);
        props.put("linger.ms", options.lingerMs);
        props.putAll(options.producerProps);
        Producer producer;
        try {
            producer = new Producer(props);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        try {
            ToolClients.ensureTopic(options.bootstrap, "sluice-perf-admin", options.topic, options.partitions);
            byte[][] values = randomValues(options.recordSize);
            AtomicLong failed = new AtomicLong();
            AtomicReference<Exception> firstError = new AtomicReference<>();
            Callback warmupCallback = (md, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                    firstError.compareAndSet(null, e);
                }
            };
            for (long i = 0; i < options.warmupRecords && failed.get() == 0; i++) {
                producer.send(new ProducerRecord(options.topic, null, values[(int) (i % DISTINCT_VALUES)]), warmupCallback);
            }
            if (failed.get() == 0) {
                producer.flush();
            }
            check(failed, firstError);

            try (PerfStats stats = new PerfStats("produce", "send to ack", options.recordSize, err)) {
                stats.start();
                long start = System.nanoTime();
                Throttler throttler = new Throttler(options.throughput, start);
                // The first failure ends the run (the rest would only wait for buffer.memory and fail alike).
                for (long i = 0; i < options.records && failed.get() == 0; i++) {
                    throttler.await(i);
                    producer.send(new ProducerRecord(options.topic, null, values[(int) (i % DISTINCT_VALUES)]),
                            new Timed(System.nanoTime(), stats, options.recordSize, failed, firstError));
                }
                if (failed.get() == 0) {
                    producer.flush();
                }
                stats.stop();
                check(failed, firstError);
                out.println(options.json ? stats.json() : stats.summary());
            }
        } catch (RuntimeException e) {
            // Do not wait for delivery.timeout.ms on the way out of a failed run.
            producer.close(Duration.ZERO);
            throw e;
        }
        producer.close();
        return 0;
    }

    private static void check(AtomicLong failed, AtomicReference<Exception> firstError) {
        if (failed.get() > 0) {
            Exception e = firstError.get();
            String message = failed.get() + " record(s) failed; the first: " + e.getMessage();
            throw e instanceof SluiceException se
                    ? new SluiceException(se.errorCode(), false, message, e)
                    : new io.sluice.client.tools.ToolException(message, e);
        }
    }

    static byte[][] randomValues(int size) {
        SplittableRandom random = new SplittableRandom(42);
        byte[][] values = new byte[DISTINCT_VALUES][size];
        for (byte[] v : values) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (byte) random.nextInt(256);
            }
        }
        return values;
    }

    /** Records send-to-ack latency; runs on the producer's I/O thread (the recorder's single writer). */
    private record Timed(long sentNanos, PerfStats stats, int size, AtomicLong failed,
                         AtomicReference<Exception> firstError) implements Callback {
        @Override
        public void onCompletion(RecordMetadata metadata, Exception exception) {
            if (exception != null) {
                failed.incrementAndGet();
                firstError.compareAndSet(null, exception);
                return;
            }
            stats.recordLatency(System.nanoTime() - sentNanos);
            stats.count(1, size);
        }
    }
}
