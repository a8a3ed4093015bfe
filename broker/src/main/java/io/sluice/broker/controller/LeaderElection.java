package io.sluice.broker.controller;

import io.sluice.broker.metadata.PartitionRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Kafka's leader election rules, as pure functions of a partition and who is alive. A new leader is the first live
 * ISR member in replica order (so the preferred replica wins when it can); every leader change, including to "none",
 * bumps the leader epoch, and every change of the record bumps the partition epoch. Stateless.
 */
final class LeaderElection {
    static final int NO_LEADER = -1;

    private LeaderElection() {
    }

    /**
     * The partition after {@code brokerId} was fenced: it leaves the ISR (unless it is the last member, which stays
     * so that it can come back as a clean leader), and if it led, leadership moves to a live ISR member, or to an
     * out-of-sync live replica when {@code unclean}, or to nobody. Null when the partition does not change.
     */
    static PartitionRecord onFenced(PartitionRecord p, int brokerId, IntPredicate live, boolean unclean) {
        if (!p.replicas().contains(brokerId)) {
            return null;
        }
        List<Integer> isr = new ArrayList<>(p.isr());
        if (isr.size() > 1) {
            isr.remove(Integer.valueOf(brokerId));
        }
        if (p.leaderId() == brokerId) {
            return elect(p, isr, live, unclean);
        }
        if (isr.equals(p.isr())) {
            return null;
        }
        return new PartitionRecord(p.tp(), p.leaderId(), p.leaderEpoch(), p.replicas(), isr, p.partitionEpoch() + 1);
    }

    /**
     * Elects a leader for a partition whose leader is missing or not live; null when it has a live leader or when no
     * candidate is live either (it stays offline).
     */
    static PartitionRecord electIfLeaderless(PartitionRecord p, IntPredicate live, boolean unclean) {
        if (p.leaderId() != NO_LEADER && live.test(p.leaderId())) {
            return null;
        }
        PartitionRecord elected = elect(p, p.isr(), live, unclean);
        return elected.leaderId() == NO_LEADER && p.leaderId() == NO_LEADER ? null : elected;
    }

    /** The preferred replica: the first of the assignment, which {@link ReplicaAssignment} spreads evenly. */
    static int preferred(PartitionRecord p) {
        return p.replicas().get(0);
    }

    /** Whether leadership can move to the preferred replica: it does not lead, and it is live and in the ISR. */
    static boolean canMoveToPreferred(PartitionRecord p, IntPredicate live) {
        int preferred = preferred(p);
        return p.leaderId() != preferred && p.isr().contains(preferred) && live.test(preferred);
    }

    /**
     * The partition led by its preferred replica at a new leader epoch, the ISR unchanged (the old leader stays in
     * it and follows). The caller checked {@link #canMoveToPreferred}: an ISR member holds every committed record, so
     * nothing acknowledged is lost; the old leader truncates what the new one lacks, as after any election.
     */
    static PartitionRecord moveToPreferred(PartitionRecord p) {
        return new PartitionRecord(p.tp(), preferred(p), p.leaderEpoch() + 1, p.replicas(), p.isr(),
                p.partitionEpoch() + 1);
    }

    private static PartitionRecord elect(PartitionRecord p, List<Integer> isr, IntPredicate live, boolean unclean) {
        for (int replica : p.replicas()) {
            if (isr.contains(replica) && live.test(replica)) {
                return new PartitionRecord(p.tp(), replica, p.leaderEpoch() + 1, p.replicas(), isr,
                        p.partitionEpoch() + 1);
            }
        }
        if (unclean) {
            for (int replica : p.replicas()) {
                if (live.test(replica)) {
                    // Unclean: the new leader's log is the truth from here on, so it is the whole ISR.
                    return new PartitionRecord(p.tp(), replica, p.leaderEpoch() + 1, p.replicas(), List.of(replica),
                            p.partitionEpoch() + 1);
                }
            }
        }
        return new PartitionRecord(p.tp(), NO_LEADER, p.leaderEpoch() + 1, p.replicas(), isr, p.partitionEpoch() + 1);
    }
}
