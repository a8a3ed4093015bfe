package io.sluice.broker.group;

import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogSlice;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * The partitions of {@value GroupCoordinator#OFFSETS_TOPIC} as the coordinator needs them; the broker adapts its
 * replicated partitions to it. Calls come from the coordinator thread and may block on the disk (never an event
 * loop); the futures of {@link #awaitCommitted} may complete on any thread.
 */
public interface OffsetsLog {

    /** The leader epoch at which this broker leads {@code partition}, or -1 when it does not lead it (or host it). */
    int leaderEpoch(int partition);

    /**
     * Appends one batch as the partition's leader at {@code leaderEpoch}, as an {@code acks=all} produce would: with
     * fewer in-sync replicas than the topic's {@code min.insync.replicas} nothing is appended. Returns as soon as the
     * batch is in the leader's log; {@link #awaitCommitted} tells when it is committed.
     *
     * @throws OffsetsLogException {@code NOT_LEADER_OR_FOLLOWER} (not the leader at that epoch) or
     *                             {@code NOT_ENOUGH_REPLICAS}
     * @throws io.sluice.broker.log.RecordBatchTooLargeException when the batch does not fit a segment
     */
    LogAppendInfo append(int partition, int leaderEpoch, ByteBuffer batch);

    /**
     * Completes once the high watermark has passed {@code offset} while this broker still leads the partition at
     * {@code leaderEpoch}. Fails with an {@link OffsetsLogException}: {@code NOT_LEADER_OR_FOLLOWER} when the
     * leadership changed first, {@code REQUEST_TIMED_OUT} after {@code timeoutMs}, or
     * {@code NOT_ENOUGH_REPLICAS_AFTER_APPEND} when the in-sync set that committed it is smaller than
     * {@code min.insync.replicas}. Waits without a thread (the produce purgatory).
     */
    CompletableFuture<Void> awaitCommitted(int partition, int leaderEpoch, long offset, long timeoutMs);

    /** Whole batches from the one holding {@code offset}, never past the high watermark; the caller closes it. */
    LogSlice read(int partition, long offset, int maxBytes);

    /** Offsets below it are committed (replicated to the in-sync set); what {@link #read} stops at. */
    long highWatermark(int partition);

    long logEndOffset(int partition);

    long logStartOffset(int partition);
}
