package io.sluice.broker.controller;

import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.proto.TopicPartition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;

/**
 * Kafka's automatic preferred-leader rebalance decision ({@code checkAndTriggerAutoLeaderRebalance}), as a pure
 * function of the partitions and who is live. For each broker, its imbalance is the share of the partitions whose
 * preferred replica (the first of the replicas) it is but which someone else leads (or nobody); when that share
 * exceeds {@code leader.imbalance.per.broker.percentage}, each of those partitions whose preferred replica is live and
 * in the ISR moves back to it. Stateless.
 */
final class LeaderImbalance {
    private LeaderImbalance() {
    }

    /** One broker's imbalance: how many partitions prefer it, and which of those it does not lead. */
    record BrokerImbalance(int brokerId, int preferred, List<TopicPartition> notLed) {
        BrokerImbalance {
            notLed = List.copyOf(notLed);
        }

        /** Kafka's ratio, in percent. */
        double percent() {
            return preferred == 0 ? 0 : 100.0 * notLed.size() / preferred;
        }
    }

    /** Every broker that is the preferred replica of at least one partition, by id. */
    static List<BrokerImbalance> perBroker(Collection<PartitionRecord> partitions) {
        Map<Integer, Integer> preferred = new TreeMap<>();
        Map<Integer, List<TopicPartition>> notLed = new TreeMap<>();
        for (PartitionRecord p : partitions) {
            if (p.replicas().isEmpty()) {
                continue;
            }
            int broker = LeaderElection.preferred(p);
            preferred.merge(broker, 1, Integer::sum);
            List<TopicPartition> list = notLed.computeIfAbsent(broker, b -> new ArrayList<>());
            if (p.leaderId() != broker) {
                list.add(p.tp());
            }
        }
        List<BrokerImbalance> out = new ArrayList<>();
        preferred.forEach((broker, count) -> out.add(new BrokerImbalance(broker, count, notLed.get(broker))));
        return out;
    }

    /**
     * The partitions to move to their preferred replica: those not led by it, of every broker whose imbalance is
     * above {@code maxPercent}, whose preferred replica can lead ({@link LeaderElection#canMoveToPreferred}); by
     * preferred broker id, then in the order of {@code partitions}.
     */
    static List<TopicPartition> toMove(Collection<PartitionRecord> partitions, IntPredicate live, int maxPercent) {
        Map<TopicPartition, PartitionRecord> byTp = new HashMap<>();
        for (PartitionRecord p : partitions) {
            byTp.put(p.tp(), p);
        }
        List<TopicPartition> out = new ArrayList<>();
        for (BrokerImbalance b : perBroker(partitions)) {
            // Strictly above, as Kafka: at 0 % any one partition away from home is enough.
            if (b.percent() <= maxPercent) {
                continue;
            }
            for (TopicPartition tp : b.notLed()) {
                if (LeaderElection.canMoveToPreferred(byTp.get(tp), live)) {
                    out.add(tp);
                }
            }
        }
        return out;
    }
}
