package io.sluice.client.producer;

import io.sluice.proto.TopicPartition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One partition's batches: the open and full ones waiting to be sent ({@code batches}, guarded by this object's
 * monitor: application threads append, the sender takes from the head), and the sender's own bookkeeping, confined
 * to the sender's event loop: batches in flight in send (= sequence) order, batches waiting to be retried in
 * sequence order, and the next sequence number.
 */
final class PartitionDeque {
    final TopicPartition partition;

    /** Guarded by {@code this}. */
    final ArrayDeque<ProducerBatch> batches = new ArrayDeque<>();

    // The sender's (event loop).
    final ArrayDeque<ProducerBatch> inFlight = new ArrayDeque<>();
    final List<ProducerBatch> retries = new ArrayList<>();
    int nextSequence;

    PartitionDeque(TopicPartition partition) {
        this.partition = partition;
    }

    /** Queues a failed batch for another try, keeping the retry list in sequence (first-sent) order. */
    void addRetry(ProducerBatch batch) {
        int i = retries.size();
        while (i > 0 && retries.get(i - 1).baseSequence > batch.baseSequence) {
            i--;
        }
        retries.add(i, batch);
    }

    /** True when a batch sent before {@code batch} is still unacknowledged (in flight or waiting to be retried). */
    boolean hasEarlierUnacked(ProducerBatch batch) {
        for (ProducerBatch b : inFlight) {
            if (b != batch && b.baseSequence < batch.baseSequence) {
                return true;
            }
        }
        for (ProducerBatch b : retries) {
            if (b != batch && b.baseSequence < batch.baseSequence) {
                return true;
            }
        }
        return false;
    }

    /** Sequences wrap from Integer.MAX_VALUE to 0, as in Kafka. */
    int takeSequence(int recordCount) {
        int base = nextSequence;
        nextSequence = after(base, recordCount);
        return base;
    }

    private static int after(int base, int recordCount) {
        return base > Integer.MAX_VALUE - recordCount ? recordCount - (Integer.MAX_VALUE - base) - 1
                : base + recordCount;
    }

    /** Failed batches the broker did not write, by the sequence after them → their base sequence. */
    private final java.util.Map<Integer, Integer> released = new java.util.HashMap<>();

    /**
     * Gives back the sequences of a batch that failed for good without being written. The next sequence moves back
     * over it once every batch sealed after it failed the same way (they are refused as out of order, since the
     * broker still expects this one's): so the broker's expectation and the producer's meet again.
     */
    void releaseSequences(int baseSequence, int recordCount) {
        released.put(after(baseSequence, recordCount), baseSequence);
        Integer base;
        while ((base = released.remove(nextSequence)) != null) {
            nextSequence = base;
        }
    }
}
