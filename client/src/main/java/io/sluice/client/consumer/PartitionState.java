package io.sluice.client.consumer;

import io.sluice.proto.TopicPartition;
import java.util.ArrayDeque;

/**
 * The consumer's view of one assigned partition: the position the application has reached, the offset the next
 * fetch asks for (ahead of the position while fetched data is buffered), the last leader epoch verified, and the
 * fetched data not yet handed out. A seek bumps the generation, so answers to fetches sent before it are dropped.
 *
 * <p>Not thread-safe: owned by the polling thread.
 */
final class PartitionState {
    final TopicPartition partition;
    long position = -1;
    long fetchPosition = -1;
    int lastEpoch = -1;
    int generation;
    boolean fetchInFlight;
    boolean needsReset;
    long retryAfterNanos;
    final ArrayDeque<CompletedFetch> buffered = new ArrayDeque<>();

    PartitionState(TopicPartition partition) {
        this.partition = partition;
    }

    boolean hasPosition() {
        return position >= 0 && !needsReset;
    }

    /** Moves to {@code offset}, dropping what was fetched beyond the old position. */
    void seek(long offset) {
        clearBuffered();
        position = offset;
        fetchPosition = offset;
        lastEpoch = -1;
        needsReset = false;
        generation++;
    }

    void clearBuffered() {
        for (CompletedFetch f : buffered) {
            f.release();
        }
        buffered.clear();
    }
}
