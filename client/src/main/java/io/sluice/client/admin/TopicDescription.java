package io.sluice.client.admin;

import io.sluice.client.metadata.PartitionInfo;
import java.util.List;

/** A topic and its partitions (leader, epoch, replicas, ISR, log start/end, high watermark), in partition order. */
public record TopicDescription(String name, boolean internal, List<PartitionInfo> partitions) {
    public TopicDescription {
        partitions = List.copyOf(partitions);
    }
}
