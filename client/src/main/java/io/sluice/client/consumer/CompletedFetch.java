package io.sluice.client.consumer;

import io.netty.util.ReferenceCounted;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.RecordBatch;
import java.util.List;

/**
 * One partition's verified data from one fetch response, handed out to polls a chunk at a time (up to
 * max.poll.records). Holds one reference on the response frame until drained; each chunk holds its own.
 *
 * <p>Not thread-safe: owned by the polling thread.
 */
final class CompletedFetch {
    final TopicPartition partition;
    private final ReferenceCounted frame;
    private final List<RecordBatch> batches;
    private final long endOffset;
    private int batchIndex;
    private long nextOffset;
    private boolean released;

    /** @param frame a reference this object now owns */
    CompletedFetch(TopicPartition partition, ReferenceCounted frame, List<RecordBatch> batches, long fromOffset,
                   long endOffset) {
        this.partition = partition;
        this.frame = frame;
        this.batches = batches;
        this.nextOffset = fromOffset;
        this.endOffset = endOffset;
    }

    boolean isDrained() {
        return nextOffset >= endOffset;
    }

    long nextOffset() {
        return nextOffset;
    }

    /** Up to {@code max} records from the next offset on; advances past them. */
    ConsumerRecords.Chunk take(int max) {
        long to = Math.min(endOffset, nextOffset + max);
        frame.retain();
        ConsumerRecords.Chunk chunk = new ConsumerRecords.Chunk(partition, batches, batchIndex, nextOffset, to, frame);
        nextOffset = to;
        while (batchIndex < batches.size() && batches.get(batchIndex).lastOffset() < nextOffset) {
            batchIndex++;
        }
        return chunk;
    }

    void release() {
        if (!released) {
            released = true;
            frame.release();
        }
    }
}
