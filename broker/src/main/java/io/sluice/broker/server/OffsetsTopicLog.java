package io.sluice.broker.server;

import io.sluice.broker.group.GroupCoordinator;
import io.sluice.broker.group.OffsetsLog;
import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.partition.AppendResult;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.proto.TopicPartition;
import java.nio.ByteBuffer;

/**
 * The partitions of {@code __consumer_offsets} as the group coordinator sees them: appends go through the
 * partition like a producer's (so replication will carry them), reads stop at the high watermark.
 */
final class OffsetsTopicLog implements OffsetsLog {
    private final ReplicaManager replicas;

    OffsetsTopicLog(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public LogAppendInfo append(int partition, ByteBuffer batch) {
        Partition p = partition(partition);
        AppendResult result = p.appendAsLeader(batch);
        if (result.isError() || result.appended() == null) {
            throw new IllegalStateException(p.topicPartition() + ": offset commit not appended: " + result.error()
                    + " " + result.message());
        }
        replicas.onLogAppended(p);
        return result.appended();
    }

    @Override
    public LogSlice read(int partition, long offset, int maxBytes) {
        return partition(partition).read(offset, maxBytes, true);
    }

    @Override
    public long logEndOffset(int partition) {
        return partition(partition).highWatermark();
    }

    @Override
    public long logStartOffset(int partition) {
        return partition(partition).logStartOffset();
    }

    private Partition partition(int partition) {
        TopicPartition tp = new TopicPartition(GroupCoordinator.OFFSETS_TOPIC, partition);
        Partition p = replicas.partition(tp);
        if (p == null) {
            throw new IllegalStateException(tp + " is not hosted by this broker");
        }
        return p;
    }
}
