package io.sluice.client.producer;

import io.netty.buffer.ByteBuf;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.Header;
import io.sluice.proto.record.RecordBatch;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Per-partition queues of batches that application threads append records to (see {@link PartitionDeque}) and the
 * sender drains. A record is written into the open batch at the tail of its partition's queue; when it does not
 * fit, the batch is closed and a new one started with a buffer from the {@link BufferPool} (which may block up to
 * max.block.ms, outside any lock). For records without a key the partition is sticky: it changes when its batch
 * fills up, as in Kafka's sticky partitioner.
 *
 * <p>Thread-safe: topics are in a concurrent map, each partition's queue is guarded by its own monitor; incomplete
 * batches are tracked in a concurrent set for flush and close.
 */
final class RecordAccumulator {
    /** The record went into an existing batch. */
    static final int APPENDED = 0;
    /** The record started a new batch (the sender must arm its linger timer); a batch may have filled up. */
    static final int NEW_BATCH = 1;
    /** A batch filled up and is ready to send. */
    static final int BATCH_FULL = 2;
    /** Not appended: the partition needs a new batch and the caller asked to pick another partition first. */
    static final int ABORTED_FOR_NEW_BATCH = 4;

    private final ConcurrentHashMap<String, TopicQueues> topics = new ConcurrentHashMap<>();
    private final Set<ProducerBatch> incomplete = ConcurrentHashMap.newKeySet();
    private final BufferPool pool;
    private final int batchSize;
    private final long maxBlockMs;

    RecordAccumulator(BufferPool pool, int batchSize, long maxBlockMs) {
        this.pool = pool;
        this.batchSize = batchSize;
        this.maxBlockMs = maxBlockMs;
    }

    /** One topic's partition queues; the array grows (copy on write) when metadata shows more partitions. */
    static final class TopicQueues {
        final String topic;
        volatile PartitionDeque[] partitions;
        volatile int sticky;

        TopicQueues(String topic, int partitionCount) {
            this.topic = topic;
            PartitionDeque[] p = new PartitionDeque[partitionCount];
            for (int i = 0; i < partitionCount; i++) {
                p[i] = new PartitionDeque(new TopicPartition(topic, i));
            }
            this.partitions = p;
            this.sticky = ThreadLocalRandom.current().nextInt(partitionCount);
        }

        synchronized void ensurePartitions(int count) {
            PartitionDeque[] old = partitions;
            if (count <= old.length) {
                return;
            }
            PartitionDeque[] p = java.util.Arrays.copyOf(old, count);
            for (int i = old.length; i < count; i++) {
                p[i] = new PartitionDeque(new TopicPartition(topic, i));
            }
            partitions = p;
        }

        /** Moves the sticky partition off {@code previous} (to another one when there are several). */
        void nextSticky(int previous) {
            int n = partitions.length;
            if (n > 1 && sticky == previous) {
                int next = ThreadLocalRandom.current().nextInt(n - 1);
                sticky = next >= previous ? next + 1 : next;
            }
        }
    }

    TopicQueues topic(String topic) {
        return topics.get(topic);
    }

    TopicQueues registerTopic(String topic, int partitionCount) {
        TopicQueues tq = topics.computeIfAbsent(topic, t -> new TopicQueues(t, partitionCount));
        tq.ensurePartitions(partitionCount);
        return tq;
    }

    Collection<TopicQueues> topics() {
        return topics.values();
    }

    /**
     * Appends a record to partition {@code partition} of {@code tq}.
     *
     * @return {@link #APPENDED}, or a combination of {@link #NEW_BATCH} and {@link #BATCH_FULL}, or
     *         {@link #ABORTED_FOR_NEW_BATCH} when {@code abortOnNewBatch} and a new batch would be needed
     */
    int append(TopicQueues tq, int partition, long timestamp, byte[] key, byte[] value, Header[] headers, Object thunk,
               boolean abortOnNewBatch) {
        PartitionDeque dq = tq.partitions[partition];
        synchronized (dq) {
            ProducerBatch last = dq.batches.peekLast();
            if (last != null) {
                if (last.tryAppend(timestamp, key, value, headers, thunk)) {
                    return last.closedForAppends ? BATCH_FULL : APPENDED;
                }
            }
        }
        if (abortOnNewBatch) {
            return ABORTED_FOR_NEW_BATCH;
        }
        int size = Math.max(batchSize, RecordBatch.HEADER_SIZE + ProducerBatch.estimateSize(key, value, headers));
        ByteBuf buffer = pool.allocate(size, maxBlockMs);
        synchronized (dq) {
            ProducerBatch last = dq.batches.peekLast();
            if (last != null && last.tryAppend(timestamp, key, value, headers, thunk)) {
                // Another thread started a batch while this one waited for memory.
                pool.free(buffer);
                return last.closedForAppends ? BATCH_FULL : APPENDED;
            }
            int result = NEW_BATCH;
            if (last != null) {
                last.closedForAppends = true;
                result |= BATCH_FULL;
            }
            ProducerBatch batch = new ProducerBatch(dq.partition, buffer, System.nanoTime());
            batch.tryAppend(timestamp, key, value, headers, thunk);
            dq.batches.addLast(batch);
            incomplete.add(batch);
            return batch.closedForAppends ? result | BATCH_FULL : result;
        }
    }

    /** Forgets a batch that is done and gives its buffer back. */
    void deallocate(ProducerBatch batch) {
        if (incomplete.remove(batch)) {
            pool.free(batch.buffer());
        }
    }

    /** The batches not yet acknowledged or failed. */
    List<ProducerBatch> incomplete() {
        return new ArrayList<>(incomplete);
    }

    boolean hasIncomplete() {
        return !incomplete.isEmpty();
    }
}
