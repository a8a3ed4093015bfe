package io.sluice.broker.partition;

import java.util.List;

/**
 * Where a leader sends the in-sync set it wants for a partition: a shrink (followers that fell behind for
 * {@code replica.lag.time.max.ms}) or an expansion (a follower that reached the high watermark). With a
 * controller quorum this is {@code AlterPartition}: the controller commits the change and the leader applies
 * it with {@link Partition#applyIsr} when it hears back. The leader keeps serving with the ISR it has until then.
 *
 * <p>Called outside the partition's lock, from request threads (expansion, on a follower's fetch) and the
 * ISR-check task (shrink); implementations must not block on the network.
 */
public interface IsrChangeSender {
    /**
     * Proposes {@code newIsr} for {@code partition}, computed under its leader epoch {@code leaderEpoch}
     * (a proposal from an older epoch must not be applied).
     *
     * @return whether it was sent (or applied); false when it was dropped: a change of the partition is still in
     *         flight or waiting to be retried, or the ISR is {@code newIsr} already. Callers log only what was sent
     *         (a follower's every fetch proposes its addition again until the answer).
     */
    boolean propose(Partition partition, int leaderEpoch, List<Integer> newIsr);
}
