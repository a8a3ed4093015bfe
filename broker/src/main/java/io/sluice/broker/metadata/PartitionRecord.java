package io.sluice.broker.metadata;

import io.sluice.proto.TopicPartition;
import java.util.List;

/**
 * A partition's leadership and replicas.
 *
 * @param leaderEpoch    grows at every leader change; -1 leaderId when the partition has no leader
 * @param partitionEpoch grows at every change of this record (leader or ISR), for AlterPartition's stale checks
 */
public record PartitionRecord(TopicPartition tp, int leaderId, int leaderEpoch, List<Integer> replicas,
                              List<Integer> isr, int partitionEpoch) {
    public PartitionRecord {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
    }
}
