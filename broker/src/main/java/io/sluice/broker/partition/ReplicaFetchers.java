package io.sluice.broker.partition;

import io.sluice.proto.TopicPartition;

/**
 * The follower side of replication as {@link ReplicaManager} sees it: fetchers that copy partitions from their
 * leaders ({@code replication.ReplicaFetcherManager}). Calls return at once; the fetchers act on their own
 * threads, and their appends are fenced by the partition's leader epoch, so a removal that takes effect a
 * moment later cannot write into a partition that became leader.
 */
public interface ReplicaFetchers extends AutoCloseable {
    /** Starts (or restarts, at a new epoch) copying {@code partition} from {@code leaderId}: truncate, then fetch. */
    void addPartition(Partition partition, int leaderId, int leaderEpoch);

    /** Stops copying {@code tp}, if it was. */
    void removePartition(TopicPartition tp);

    /** Stops every fetcher and waits for their threads. */
    @Override
    void close();
}
