package io.sluice.broker.partition;

import io.sluice.proto.TopicPartition;

/**
 * Told when {@link ReplicaManager} starts and stops hosting a partition: where per-partition metrics are
 * registered and removed. Called on the metadata thread (or the starting thread), never on a request
 * path. A failure here is logged and does not stop the partition.
 */
public interface PartitionObserver {
    /** Observes nothing and counts nothing. */
    PartitionObserver NONE = new PartitionObserver() {
        @Override
        public PartitionTraffic trafficOf(TopicPartition tp) {
            return PartitionTraffic.NONE;
        }

        @Override
        public void onCreated(Partition partition) {
        }

        @Override
        public void onDeleted(Partition partition) {
        }
    };

    /** The counters the new partition {@code tp} keeps for its whole life. */
    PartitionTraffic trafficOf(TopicPartition tp);

    /** The partition is hosted and about to serve requests. */
    void onCreated(Partition partition);

    /** The partition was deleted; its log is about to be. */
    void onDeleted(Partition partition);
}
