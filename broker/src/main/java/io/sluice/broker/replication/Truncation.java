package io.sluice.broker.replication;

import io.sluice.broker.log.EpochEndOffset;

/**
 * Where a follower truncates its log after asking the leader where an epoch ends (KIP-101, with KIP-279's
 * rounds), and whether that settles it.
 *
 * <p>The follower asks with its latest epoch E. The leader answers with the largest epoch L ≤ E it has and the
 * offset where L ends in its log. The follower looks up the largest epoch F ≤ L in its own cache and where that
 * ends locally:
 * <ul>
 * <li>leader has no epoch ≤ E: nothing the follower holds is in the leader's log; truncate to the log start;
 * <li>follower has no epoch ≤ L: likewise;
 * <li>F = L: the histories agree up to the smaller of the two end offsets; truncate there; done;
 * <li>F &lt; L: the follower never saw L; truncate to where F ends locally and ask again with F (another round).
 * </ul>
 * The result is never above the follower's log end.
 *
 * @param offset   truncate the follower's log to this offset
 * @param complete false when another round of OffsetsForLeaderEpoch must follow
 */
record Truncation(long offset, boolean complete) {

    /**
     * @param leader           the leader's answer
     * @param followerEpochEnd the follower's own end of the largest epoch ≤ {@code leader.epoch()}
     * @param followerLogStart the follower's log start
     * @param followerLogEnd   the follower's log end
     */
    static Truncation decide(EpochEndOffset leader, EpochEndOffset followerEpochEnd, long followerLogStart,
                             long followerLogEnd) {
        if (leader.isUndefined() || followerEpochEnd.isUndefined()) {
            return new Truncation(Math.min(followerLogStart, followerLogEnd), true);
        }
        if (followerEpochEnd.epoch() != leader.epoch()) {
            return new Truncation(Math.min(followerEpochEnd.endOffset(), followerLogEnd), false);
        }
        return new Truncation(Math.min(Math.min(leader.endOffset(), followerEpochEnd.endOffset()), followerLogEnd), true);
    }
}
