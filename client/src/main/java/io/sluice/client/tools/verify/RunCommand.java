package io.sluice.client.tools.verify;

import io.sluice.client.tools.ToolClients;
import io.sluice.client.producer.Producer;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice-verify run}: produces and consumes at once for S seconds, then reads to the end and checks. The
 * producer keeps sending while the broker is away (failures counted); the reader retries from its own positions.
 */
@Command(name = "run", mixinStandardHelpOptions = true, version = "sluice-verify 0.1.0", sortOptions = false,
        footer = SluiceVerify.DEFINITIONS,
        description = {"Sends records of a new run for --seconds (as fast as the producer goes unless --throughput), "
                + "appending every acknowledged one to --acked, while a consumer reads the topic from its start. "
                + "Then waits for the records in flight (up to delivery.timeout.ms), reads on to the end (as "
                + "consume does) and checks every acknowledged record of the run. The broker may be killed and "
                + "restarted meanwhile: failed sends are counted, not anomalies, and the reader reconnects."})
final class RunCommand implements Callable<Integer> {
    @Mixin
    VerifyOptions.Common common;

    @Mixin
    VerifyOptions.Produce produce;

    @Mixin
    VerifyOptions.Read read;

    @Option(names = "--seconds", required = true, paramLabel = "S", description = "How long to produce.")
    long seconds;

    @Spec
    CommandSpec spec;

    private final PrintStream out;
    private final PrintStream err;

    RunCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        produce.validate(spec);
        read.validate(spec);
        if (seconds <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--seconds must be positive");
        }
        Producer producer = ProduceCommand.newProducer(spec, produce, common.bootstrap);
        long runId = new SecureRandom().nextLong();
        AckedRecords acked = new AckedRecords();
        Checker checker = new Checker(Set.of(runId), line -> err.println("sluice-verify: " + line));
        VerifyReader reader;
        try {
            ToolClients.ensureTopic(common.bootstrap, "sluice-verify-admin", common.topic, produce.partitions);
            reader = new VerifyReader(common.bootstrap, common.topic, read.consumerProps, checker, err, read.timeoutMs);
        } catch (IllegalArgumentException e) {
            producer.close(java.time.Duration.ZERO);
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        } catch (RuntimeException e) {
            producer.close(java.time.Duration.ZERO);
            throw e;
        }
        AtomicReference<Throwable> readFailure = new AtomicReference<>();
        AtomicBoolean complete = new AtomicBoolean(true);
        VerifyProducer sender;
        long produced;
        try (reader; AckFile.Writer file = new AckFile.Writer(common.acked, runId, common.topic, err)) {
            sender = new VerifyProducer(producer, common.topic, runId, produce.recordSize, file, acked, err);
            err.println("sluice-verify: run " + AckFile.hex(runId) + " to " + common.topic + " for " + seconds + " s");
            Stop stop = new Stop();
            Thread reading = new Thread(() -> {
                try {
                    while (!stop.isOver()) {
                        reader.poll(java.time.Duration.ofMillis(200));
                    }
                    if (!stop.isAborted()) {
                        complete.set(reader.drain(acked.endOffsets(), read.timeoutMs));
                    }
                } catch (Throwable t) {
                    readFailure.set(t);
                }
            }, "sluice-verify-reader");
            try (Progress progress = new Progress(err, () -> sender.progress() + " consumed=" + checker.consumed())) {
                reading.start();
                // The reader polls the consumer until told to stop and is joined before the consumer is closed
                // (the try-with-resources above), whether producing ends or fails.
                boolean producedAll = false;
                try {
                    long start = System.nanoTime();
                    long end = start + seconds * 1_000_000_000L;
                    try (sender) {
                        long seq = 0;
                        while (System.nanoTime() < end && readFailure.get() == null) {
                            file.checkHealthy();
                            VerifyProducer.pace(produce.throughput, start, seq);
                            sender.send(seq++);
                        }
                    }
                    produced = System.nanoTime() - start;
                    file.flush();
                    producedAll = true;
                } finally {
                    stop.stop(!producedAll);
                    joinUninterruptibly(reading);
                }
            }
        }
        if (readFailure.get() != null) {
            Throwable t = readFailure.get();
            if (t instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("the reader failed", t);
        }
        return SluiceVerify.finish(checker.finish(acked), sender.progress() + String.format(java.util.Locale.ROOT,
                " acked/s=%.0f", sender.acked() / (produced / 1e9)), complete.get(), out, err);
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Tells the reader that producing is over, so it may read to the end (or, aborted, stop at once). */
    private static final class Stop {
        private volatile boolean stopped;
        private volatile boolean aborted;

        boolean isOver() {
            return stopped;
        }

        boolean isAborted() {
            return aborted;
        }

        void stop(boolean abort) {
            aborted = abort;
            stopped = true;
        }
    }
}
