package io.sluice.broker.metadata;

import io.sluice.proto.TopicPartition;
import java.util.List;

/**
 * An ISR change a partition leader asks the controller for. It is applied only when {@code brokerId} is the current
 * leader at {@code leaderEpoch} and {@code partitionEpoch} is the partition's current one; every member of the new
 * ISR must be a live replica and the leader must be one of them.
 */
public record AlterPartitionRequest(int brokerId, long brokerEpoch, TopicPartition tp, int leaderEpoch,
                                    List<Integer> newIsr, int partitionEpoch) {
    public AlterPartitionRequest {
        newIsr = List.copyOf(newIsr);
    }
}
