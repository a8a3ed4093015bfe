package io.sluice.client.tools.verify;

import io.sluice.client.ClientConfig;
import io.sluice.client.admin.Admin;
import io.sluice.client.consumer.Consumer;
import io.sluice.client.consumer.ConsumerConfig;
import io.sluice.client.consumer.ConsumerRecord;
import io.sluice.client.consumer.ConsumerRecords;
import io.sluice.client.errors.RecordVerificationException;
import io.sluice.client.errors.SluiceException;
import io.sluice.client.errors.UnknownTopicException;
import io.sluice.client.metadata.PartitionInfo;
import io.sluice.proto.TopicPartition;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Reads every partition of a topic from its start into a {@link Checker}, surviving the broker going away: a failed
 * poll is noted on stderr and retried from the reader's own positions, and an answer the consumer refuses
 * ({@link RecordVerificationException}) is counted corrupt and skipped past. The consumer runs with
 * {@code auto.offset.reset=none}, so a position beyond the log end is never silently moved.
 *
 * <p>A refused batch is stepped through one offset at a time (the exception does not say where the batch ends), each
 * step waiting for the fetch that was in flight: quick inside a log, up to fetch.max.wait.ms (100 ms here) for a
 * batch at the log end.
 *
 * <p>Not thread-safe: one thread creates it, polls and closes it.
 */
final class VerifyReader implements AutoCloseable {
    private static final long ERROR_NOTE_INTERVAL_NANOS = 1_000_000_000L;
    private static final long RETRY_BACKOFF_MS = 200;

    private final String topic;
    private final Checker checker;
    private final PrintStream err;
    private final Consumer consumer;
    private final List<TopicPartition> partitions;
    private final Map<Integer, Long> positions = new TreeMap<>();
    private long lastNoteNanos;
    private long errorsSinceNote;

    /**
     * Finds the topic's partitions and their start, retrying failures that may pass (broker not up yet) for up to
     * {@code timeoutMs}.
     *
     * @throws IllegalArgumentException for a bad consumer setting
     */
    VerifyReader(String bootstrap, String topic, Map<String, String> consumerProps, Checker checker, PrintStream err,
                 long timeoutMs) {
        this.topic = topic;
        this.checker = checker;
        this.err = err;
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap);
        props.put("client.id", "sluice-verify-consumer");
        props.put("auto.offset.reset", "none");
        props.put("request.timeout.ms", "5000");
        // Stepping through a refused batch waits for the fetch in flight; at the log end the broker holds that long.
        props.put("fetch.max.wait.ms", "100");
        props.putAll(consumerProps);
        ConsumerConfig config = new ConsumerConfig(props);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        this.partitions = retrying(deadline, () -> {
            try (Admin admin = new Admin(ClientConfig.of(bootstrap).withClientId("sluice-verify-admin")
                    .withRequestTimeoutMs(5000))) {
                return admin.describeTopic(topic).partitions().stream().map(PartitionInfo::partition).toList();
            }
        });
        this.consumer = new Consumer(config);
        try {
            consumer.assign(partitions);
            retrying(deadline, () -> {
                consumer.seekToBeginning(partitions);
                for (TopicPartition tp : partitions) {
                    positions.put(tp.partition(), consumer.position(tp));
                }
                return null;
            });
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    private <T> T retrying(long deadline, Supplier<T> action) {
        while (true) {
            try {
                return action.get();
            } catch (UnknownTopicException e) {
                throw e;
            } catch (SluiceException e) {
                if (!e.isRetriable() && !(e instanceof io.sluice.client.errors.TimeoutException)
                        || System.nanoTime() > deadline) {
                    throw e;
                }
                noteError(e);
                sleep(RETRY_BACKOFF_MS);
            }
        }
    }

    /** Polls once, up to {@code timeout}; returns true when some position moved. */
    boolean poll(Duration timeout) {
        try {
            ConsumerRecords records = consumer.poll(timeout);
            for (ConsumerRecord r : records) {
                checker.record(r.partition(), r.offset(), r.value());
                positions.put(r.partition(), r.offset() + 1);
            }
            return !records.isEmpty();
        } catch (RecordVerificationException e) {
            refused(e);
            seekAll();
            return true;
        } catch (io.sluice.client.errors.InterruptException e) {
            throw e;
        } catch (SluiceException e) {
            noteError(e);
            sleep(RETRY_BACKOFF_MS);
            seekAll();
            return false;
        }
    }

    /**
     * The consumer refused an answer: everything from our position up to the offset it expected was in the refused
     * answer (not read); skip to the batch after a gap, or one offset past the offset it expected otherwise (a
     * corrupt batch is then met again at the next offset and counted once, by its base offset).
     */
    private void refused(RecordVerificationException e) {
        int p = e.partition().partition();
        long position = positions.getOrDefault(p, 0L);
        long expected = Math.max(e.expectedOffset(), position);
        long next = e.actualOffset() > expected ? e.actualOffset() : expected + 1;
        checker.refused(p, position, expected, e.actualOffset() >= 0 ? e.actualOffset() : expected, e.getMessage()
                + " (offsets " + position + ".." + (next - 1) + " skipped)");
        positions.put(p, next);
    }

    private void seekAll() {
        for (TopicPartition tp : partitions) {
            consumer.seek(tp, positions.get(tp.partition()));
        }
    }

    /**
     * Reads on until every partition has reached its high watermark as of now, and every partition with
     * acknowledged records the offset after the last one ({@code ackedEnds}); stops early when no position moves
     * for {@code idleTimeoutMs} (what is not read by then counts as lost if it was acknowledged).
     *
     * @return false when a read error stopped it (the broker unreachable for {@code idleTimeoutMs}, the topic gone):
     *     said on stderr with the partitions not read to the end; what was read stays in the checker, and
     *     acknowledged records not read count as lost
     */
    boolean drain(Map<Integer, Long> ackedEnds, long idleTimeoutMs) {
        long deadline = System.nanoTime() + idleTimeoutMs * 1_000_000L;
        Map<Integer, Long> targets;
        try {
            targets = new TreeMap<>(highWatermarks(deadline));
        } catch (io.sluice.client.errors.InterruptException e) {
            throw e;
        } catch (SluiceException e) {
            err.println("sluice-verify: reading " + topic + " failed, giving up: cannot learn the log ends: "
                    + e.getMessage());
            List<String> notRead = new java.util.ArrayList<>();
            for (TopicPartition tp : partitions) {
                int p = tp.partition();
                Long end = ackedEnds.get(p);
                notRead.add(topic + "-" + p + " at offset " + positions.get(p)
                        + (end != null && end > positions.get(p) ? " of at least " + end : ""));
            }
            err.println("sluice-verify: not read to the end: " + String.join(", ", notRead)
                    + " (acknowledged records not read count as lost)");
            return false;
        }
        ackedEnds.forEach((p, end) -> {
            if (targets.containsKey(p)) {
                targets.merge(p, end, Math::max);
            }
        });
        long lastProgress = System.nanoTime();
        while (true) {
            Map<Integer, Long> behind = new TreeMap<>();
            targets.forEach((p, end) -> {
                if (positions.get(p) < end) {
                    behind.put(p, end);
                }
            });
            if (behind.isEmpty()) {
                return true;
            }
            if (poll(Duration.ofMillis(200))) {
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > idleTimeoutMs * 1_000_000L) {
                behind.forEach((p, end) -> err.println("sluice-verify: " + topic + "-" + p + ": stopped at offset "
                        + positions.get(p) + " of " + end + " after " + idleTimeoutMs + " ms without progress"));
                return true;
            }
        }
    }

    /** The high watermark of every partition (ListOffsets latest); positions are kept. */
    private Map<Integer, Long> highWatermarks(long deadline) {
        Map<Integer, Long> ends = new TreeMap<>();
        retrying(deadline, () -> {
            consumer.seekToEnd(partitions);
            for (TopicPartition tp : partitions) {
                ends.put(tp.partition(), consumer.position(tp));
            }
            return null;
        });
        seekAll();
        return ends;
    }

    private void noteError(SluiceException e) {
        errorsSinceNote++;
        long now = System.nanoTime();
        if (now - lastNoteNanos >= ERROR_NOTE_INTERVAL_NANOS) {
            err.println("sluice-verify: reading " + topic + " failed (" + errorsSinceNote + "x), retrying: "
                    + e.getMessage());
            lastNoteNanos = now;
            errorsSinceNote = 0;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.sluice.client.errors.InterruptException("interrupted while reading", e);
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
