package io.sluice.broker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.proto.TopicPartition;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/** Kafka's per-broker imbalance rule, on hand-made partitions. */
class LeaderImbalanceTest {
    private static final IntPredicate ALL_LIVE = id -> true;

    /** Partition {@code n} of topic "t" with {@code replicas} (the first preferred), led by {@code leader}. */
    private static PartitionRecord p(int n, int leader, List<Integer> replicas, List<Integer> isr) {
        return new PartitionRecord(new TopicPartition("t", n), leader, 3, replicas, isr, 5);
    }

    /** Ten partitions preferring broker 1, of which the first {@code away} are led by broker 2. */
    private static List<PartitionRecord> tenPreferringOne(int away) {
        List<PartitionRecord> ps = new ArrayList<>();
        for (int n = 0; n < 10; n++) {
            ps.add(p(n, n < away ? 2 : 1, List.of(1, 2, 3), List.of(1, 2, 3)));
        }
        return ps;
    }

    @Test
    void aBrokerAtTheThresholdIsLeftAloneAndAboveItAllItsPartitionsMoveHome() {
        assertThat(LeaderImbalance.toMove(tenPreferringOne(1), ALL_LIVE, 10)).isEmpty(); // 10 % is not above 10 %
        assertThat(LeaderImbalance.toMove(tenPreferringOne(2), ALL_LIVE, 10))
                .containsExactly(new TopicPartition("t", 0), new TopicPartition("t", 1));
        assertThat(LeaderImbalance.toMove(tenPreferringOne(1), ALL_LIVE, 0)).containsExactly(new TopicPartition("t", 0));
        assertThat(LeaderImbalance.toMove(tenPreferringOne(10), ALL_LIVE, 100)).isEmpty();
        assertThat(LeaderImbalance.toMove(tenPreferringOne(0), ALL_LIVE, 0)).isEmpty();
    }

    @Test
    void onlyPartitionsWhosePreferredReplicaIsLiveAndInTheIsrMove() {
        List<PartitionRecord> ps = List.of(
                p(0, 2, List.of(1, 2, 3), List.of(2, 3)),       // 1 still catching up
                p(1, 2, List.of(1, 2, 3), List.of(1, 2, 3)),    // ready
                p(2, -1, List.of(1, 2, 3), List.of(1)),         // offline, 1 the last ISR member
                p(3, 3, List.of(4, 3), List.of(4, 3)));         // 4 is fenced
        IntPredicate live = id -> id != 4;
        // Broker 1 leads none of its three: 100 %, but only t-1 and the offline t-2 can move; t-3 waits for 4.
        assertThat(LeaderImbalance.toMove(ps, live, 10))
                .containsExactly(new TopicPartition("t", 1), new TopicPartition("t", 2));
        assertThat(LeaderImbalance.toMove(ps, id -> id != 1 && id != 4, 10)).isEmpty();
    }

    @Test
    void theImbalanceIsCountedPerPreferredBroker() {
        // Broker 1 prefers 4 and leads 3 (25 %); broker 2 prefers 1 and leads it (0 %); broker 3 prefers 1, led by 1.
        List<PartitionRecord> ps = List.of(
                p(0, 1, List.of(1, 2), List.of(1, 2)),
                p(1, 1, List.of(1, 3), List.of(1, 3)),
                p(2, 1, List.of(1, 2), List.of(1, 2)),
                p(3, 2, List.of(1, 2), List.of(1, 2)),
                p(4, 2, List.of(2, 3), List.of(2, 3)),
                p(5, 1, List.of(3, 1), List.of(3, 1)));
        List<LeaderImbalance.BrokerImbalance> per = LeaderImbalance.perBroker(ps);
        assertThat(per).extracting(LeaderImbalance.BrokerImbalance::brokerId).containsExactly(1, 2, 3);
        assertThat(per.get(0).preferred()).isEqualTo(4);
        assertThat(per.get(0).notLed()).containsExactly(new TopicPartition("t", 3));
        assertThat(per.get(0).percent()).isEqualTo(25.0);
        assertThat(per.get(1).percent()).isZero();
        assertThat(per.get(2).percent()).isEqualTo(100.0);
        assertThat(Set.copyOf(LeaderImbalance.toMove(ps, ALL_LIVE, 30))).containsExactly(new TopicPartition("t", 5));
        assertThat(LeaderImbalance.toMove(ps, ALL_LIVE, 20))
                .containsExactly(new TopicPartition("t", 3), new TopicPartition("t", 5));
    }
}
