package io.sluice.broker.group;

import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogSlice;
import java.nio.ByteBuffer;

/**
 * The partitions of {@value GroupCoordinator#OFFSETS_TOPIC} as the coordinator needs them; the broker adapts its
 * partitions to it. Calls come from the coordinator thread and may block on the disk (never an event loop).
 */
public interface OffsetsLog {

    /**
     * Appends one batch as the partition's leader and returns the offsets it got; returns once the batch is as
     * durable as the topic promises (for a replicated topic: once the high watermark passed it).
     */
    LogAppendInfo append(int partition, ByteBuffer batch);

    /** Whole batches from the one holding {@code offset}, never past the committed end; the caller closes it. */
    LogSlice read(int partition, long offset, int maxBytes);

    /** The end of what {@link #read} returns: the log end on a single node, the high watermark once replicated. */
    long logEndOffset(int partition);

    long logStartOffset(int partition);
}
