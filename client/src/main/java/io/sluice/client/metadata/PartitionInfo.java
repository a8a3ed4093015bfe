package io.sluice.client.metadata;

import io.sluice.proto.TopicPartition;
import java.util.List;

/**
 * One partition as metadata describes it.
 *
 * @param leader          the leader's node id, -1 when offline
 * @param leaderEpoch     the leader epoch
 * @param logStartOffset  as known to the answering broker when it leads the partition, else -1
 * @param logEndOffset    likewise
 * @param highWatermark   likewise
 */
public record PartitionInfo(TopicPartition partition, int leader, int leaderEpoch, List<Integer> replicas,
                            List<Integer> isr, long logStartOffset, long logEndOffset, long highWatermark) {

    public PartitionInfo {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
    }

    /** True when the offsets came from the partition's leader (the broker that answered led it). */
    public boolean hasOffsets() {
        return logEndOffset >= 0;
    }
}
