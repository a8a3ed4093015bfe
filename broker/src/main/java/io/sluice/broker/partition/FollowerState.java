package io.sluice.broker.partition;

/**
 * What a leader knows of one follower of a partition, from its fetches. Guarded by the partition's append
 * lock; reset when the leader changes.
 */
final class FollowerState {
    /** The follower's log end: the offset of its last fetch; -1 until it fetches under this leadership. */
    long logEndOffset = -1;
    /** The last time its log reached the leader's log end (as Kafka judges it: see {@link Partition}). */
    long lastCaughtUpMs;
    /** When it last fetched, and the leader's log end then. */
    long lastFetchMs;
    long lastFetchLeaderLogEnd = -1;

    FollowerState(long lastCaughtUpMs) {
        this.lastCaughtUpMs = lastCaughtUpMs;
    }
}
