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
     */
    void propose(Partition partition, int leaderEpoch, List<Integer> newIsr);
}
