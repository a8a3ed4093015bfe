package io.sluice.broker.server;

import io.sluice.broker.group.GroupCoordinator;
import io.sluice.broker.group.OffsetsLog;
import io.sluice.broker.group.OffsetsLogException;
import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.partition.AppendResult;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.broker.purgatory.DelayedOperation;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The partitions of {@code __consumer_offsets} as the group coordinator sees them: appends go through the partition
 * like an {@code acks=all} producer's (so replication carries them, and {@code min.insync.replicas} of the topic
 * holds), commits wait in the produce purgatory for the high watermark, reads stop at the high watermark.
 * Stateless beyond the replica manager; thread-safe.
 */
final class OffsetsTopicLog implements OffsetsLog {
    private final ReplicaManager replicas;

    OffsetsTopicLog(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public int leaderEpoch(int partition) {
        Partition p = replicas.partition(tp(partition));
        return p != null && p.isLeader() ? p.leaderEpoch() : -1;
    }

    @Override
    public LogAppendInfo append(int partition, int leaderEpoch, ByteBuffer batch) {
        Partition p = partition(partition);
        if (!p.isLeader() || p.leaderEpoch() != leaderEpoch) {
            throw new OffsetsLogException(ErrorCode.NOT_LEADER_OR_FOLLOWER, p.topicPartition()
                    + ": this broker no longer leads it at epoch " + leaderEpoch);
        }
        AppendResult result = p.appendAsLeader(batch, -1, replicas.minInsyncReplicas(GroupCoordinator.OFFSETS_TOPIC));
        if (result.isError() || result.appended() == null) {
            throw new OffsetsLogException(result.isError() ? result.error() : ErrorCode.UNKNOWN_SERVER_ERROR,
                    p.topicPartition() + ": offset commit not appended: " + result.message());
        }
        replicas.onLogAppended(p);
        return result.appended();
    }

    @Override
    public CompletableFuture<Void> awaitCommitted(int partition, int leaderEpoch, long offset, long timeoutMs) {
        Partition p = replicas.partition(tp(partition));
        if (p == null) {
            return CompletableFuture.failedFuture(new OffsetsLogException(ErrorCode.NOT_LEADER_OR_FOLLOWER,
                    tp(partition) + " is not hosted by this broker"));
        }
        DelayedCommit wait = new DelayedCommit(p, leaderEpoch, offset, timeoutMs);
        replicas.producePurgatory().tryCompleteElseWatch(wait, List.of(p.topicPartition()));
        return wait.result;
    }

    @Override
    public LogSlice read(int partition, long offset, int maxBytes) {
        return partition(partition).read(offset, maxBytes, true);
    }

    @Override
    public long highWatermark(int partition) {
        return partition(partition).highWatermark();
    }

    @Override
    public long logEndOffset(int partition) {
        return partition(partition).logEndOffset();
    }

    @Override
    public long logStartOffset(int partition) {
        return partition(partition).logStartOffset();
    }

    private static TopicPartition tp(int partition) {
        return new TopicPartition(GroupCoordinator.OFFSETS_TOPIC, partition);
    }

    private Partition partition(int partition) {
        Partition p = replicas.partition(tp(partition));
        if (p == null) {
            throw new OffsetsLogException(ErrorCode.NOT_LEADER_OR_FOLLOWER, tp(partition) + " is not hosted by this broker");
        }
        return p;
    }

    /**
     * Waits for the high watermark to pass {@code offset} while the partition is led at {@code leaderEpoch}, as an
     * {@code acks=all} produce does; completes {@link #result} on the thread that found it done (any thread).
     */
    private final class DelayedCommit extends DelayedOperation {
        final CompletableFuture<Void> result = new CompletableFuture<>();
        private final Partition partition;
        private final int leaderEpoch;
        private final long offset;
        private volatile boolean expired;

        DelayedCommit(Partition partition, int leaderEpoch, long offset, long timeoutMs) {
            super(Math.max(1, timeoutMs));
            this.partition = partition;
            this.leaderEpoch = leaderEpoch;
            this.offset = offset;
        }

        private boolean leaderChanged() {
            return !partition.isLeader() || partition.leaderEpoch() != leaderEpoch;
        }

        @Override
        public boolean tryComplete() {
            if (leaderChanged() || partition.highWatermark() > offset) {
                return forceComplete();
            }
            return false;
        }

        @Override
        protected void onExpiration() {
            expired = true;
        }

        @Override
        protected void onComplete() {
            TopicPartition tp = partition.topicPartition();
            if (leaderChanged()) {
                result.completeExceptionally(new OffsetsLogException(ErrorCode.NOT_LEADER_OR_FOLLOWER, tp
                        + ": this broker stopped leading it (epoch " + leaderEpoch + ") before the high watermark"
                        + " passed offset " + offset));
            } else if (partition.highWatermark() <= offset) {
                result.completeExceptionally(expired
                        ? new OffsetsLogException(ErrorCode.REQUEST_TIMED_OUT, tp + ": the high watermark "
                                + partition.highWatermark() + " did not pass offset " + offset + " in time")
                        : new OffsetsLogException(ErrorCode.NOT_LEADER_OR_FOLLOWER, tp + ": the wait for offset "
                                + offset + " was cut short (partition deleted or broker stopping)"));
            } else {
                int minIsr = replicas.minInsyncReplicas(tp.topic());
                List<Integer> isr = partition.inSyncReplicas();
                if (isr.size() < minIsr) {
                    result.completeExceptionally(new OffsetsLogException(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, tp
                            + ": committed, but by the in-sync replicas " + isr + ", fewer than min.insync.replicas="
                            + minIsr));
                } else {
                    result.complete(null);
                }
            }
        }

        @Override
        protected void onCompleteFailed(RuntimeException e) {
            result.completeExceptionally(e);
        }
    }
}
