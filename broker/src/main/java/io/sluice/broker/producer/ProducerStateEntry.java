package io.sluice.broker.producer;

import java.util.ArrayList;
import java.util.List;

/**
 * What a partition remembers of one producer: its current epoch and its last {@value #RETAINED_BATCHES} batches,
 * oldest first. Immutable; an update makes a new entry.
 */
public record ProducerStateEntry(long producerId, short epoch, List<BatchMetadata> batches) {
    /** As Kafka's {@code NUM_BATCHES_TO_RETAIN}: a producer has at most 5 batches in flight per partition. */
    public static final int RETAINED_BATCHES = 5;

    public ProducerStateEntry {
        batches = List.copyOf(batches);
    }

    /** The entry after appending {@code batch} at {@code epoch}; a new epoch forgets the old one's batches. */
    ProducerStateEntry with(short newEpoch, BatchMetadata batch) {
        List<BatchMetadata> kept = new ArrayList<>(RETAINED_BATCHES);
        if (newEpoch == epoch) {
            kept.addAll(batches.subList(Math.max(0, batches.size() - (RETAINED_BATCHES - 1)), batches.size()));
        }
        kept.add(batch);
        return new ProducerStateEntry(producerId, newEpoch, kept);
    }

    /** The retained batch with exactly these sequences, or null. */
    BatchMetadata find(int firstSeq, int lastSeq) {
        for (BatchMetadata b : batches) {
            if (b.firstSeq() == firstSeq && b.lastSeq() == lastSeq) {
                return b;
            }
        }
        return null;
    }

    BatchMetadata last() {
        return batches.get(batches.size() - 1);
    }
}
