package io.sluice.broker.partition;

import io.sluice.proto.TopicPartition;

/**
 * Told by the {@link ReplicaManager} when this broker starts or stops leading a partition (the group coordinator
 * loads and unloads {@code __consumer_offsets} partitions on these). Calls come from the thread that changes the
 * role (the metadata thread, or a test), under the replica manager's role-change monitor, in the order of the
 * changes: implementations only hand the event to their own thread, never block.
 */
public interface LeadershipListener {

    /** This broker now leads {@code tp} at {@code leaderEpoch}. */
    void onBecameLeader(TopicPartition tp, int leaderEpoch);

    /** This broker no longer leads {@code tp}: it follows another broker, or the partition was deleted here. */
    void onStoppedLeading(TopicPartition tp);
}
