package io.sluice.broker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.controller.command.AlterPartition;
import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.controller.command.CreateTopic;
import io.sluice.broker.controller.command.FenceBroker;
import io.sluice.broker.controller.command.RegisterBroker;
import io.sluice.broker.controller.command.UnfenceBroker;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.proto.TopicPartition;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rebalance worker stepped with a clock value: its proposals go through the real {@link CommandApplier} into the
 * image, whose changes are published to the {@link PublishedImage} it reads, as the quorum would (without Ratis).
 */
class PreferredLeaderBalancerTest {
    private static final long INTERVAL_MS = 1000;
    private static final TopicPartition T0 = new TopicPartition("t", 0);

    private final ClusterImage image = new ClusterImage();
    private final CommandApplier applier = new CommandApplier(image);
    private final AtomicBoolean active = new AtomicBoolean(true);
    private final List<Command> proposed = new ArrayList<>();
    private PublishedImage view;
    private long index;

    private CommandResult apply(Command c) {
        CommandApplier.Applied a = applier.apply(c, ++index);
        if (view != null) {
            a.deltas().forEach(view::apply);
        }
        return a.result();
    }

    private CompletableFuture<CommandResult> propose(Command c) {
        proposed.add(c);
        return CompletableFuture.completedFuture(apply(c));
    }

    private PreferredLeaderBalancer balancer(LeaderBalanceConfig config) {
        return new PreferredLeaderBalancer(config, view, this::propose, active::get);
    }

    /** Three brokers, t-0..t-2 preferring 1, 2, 3; broker 1 failed and came back, caught up: it leads nothing. */
    @BeforeEach
    void brokerOneCameBackAndCaughtUp() {
        for (int id = 1; id <= 3; id++) {
            apply(Command.newBuilder().setRegisterBroker(RegisterBroker.newBuilder().setBrokerId(id).setHost("h")
                    .setPort(9000 + id).setIncarnationId("i" + id)).build());
        }
        apply(Command.newBuilder().setCreateTopic(CreateTopic.newBuilder().setName("t").setTopicId("id")
                .setPartitions(3).setReplicationFactor(3).setStartIndex(0)).build());
        long epoch = image.broker(1).brokerEpoch();
        apply(Command.newBuilder().setFenceBroker(FenceBroker.newBuilder().setBrokerId(1).setBrokerEpoch(epoch)).build());
        apply(Command.newBuilder().setUnfenceBroker(UnfenceBroker.newBuilder().setBrokerId(1).setBrokerEpoch(epoch))
                .build());
        PartitionRecord p = image.partition(T0);
        apply(Command.newBuilder().setAlterPartition(AlterPartition.newBuilder().setBrokerId(p.leaderId())
                .setBrokerEpoch(image.broker(p.leaderId()).brokerEpoch()).setTopic("t").setPartition(0)
                .setLeaderEpoch(p.leaderEpoch()).addAllNewIsr(List.of(2, 3, 1))
                .setPartitionEpoch(p.partitionEpoch())).build());
        assertThat(image.partition(T0).leaderId()).isEqualTo(2);
        view = new PublishedImage(image);
    }

    @Test
    void theFirstCheckComesOneIntervalAfterBecomingActiveAndMovesLeadershipHome() {
        PreferredLeaderBalancer b = balancer(new LeaderBalanceConfig(true, INTERVAL_MS, 10));
        int epochAway = image.partition(T0).leaderEpoch();
        b.doWork(5_000);
        b.doWork(5_000 + INTERVAL_MS - 1);
        assertThat(proposed).isEmpty();
        b.doWork(5_000 + INTERVAL_MS);
        assertThat(proposed).hasSize(1);
        assertThat(proposed.get(0).getElectPreferredLeaders().getPartitionsList())
                .extracting(id -> id.getTopic() + "-" + id.getPartition()).containsExactly("t-0");
        PartitionRecord home = view.partition(T0).orElseThrow();
        assertThat(home.leaderId()).isEqualTo(1);
        assertThat(home.leaderEpoch()).isEqualTo(epochAway + 1);
        // Balanced now: later checks propose nothing.
        b.doWork(5_000 + 3 * INTERVAL_MS);
        assertThat(proposed).hasSize(1);
    }

    @Test
    void onlyTheActiveControllerChecksAndANewOneWaitsAnIntervalFirst() {
        PreferredLeaderBalancer b = balancer(new LeaderBalanceConfig(true, INTERVAL_MS, 10));
        active.set(false);
        b.doWork(0);
        b.doWork(10 * INTERVAL_MS);
        assertThat(proposed).isEmpty();
        active.set(true);
        b.doWork(20 * INTERVAL_MS);
        assertThat(proposed).isEmpty();
        active.set(false);
        b.doWork(21 * INTERVAL_MS); // lost it before its first check
        active.set(true);
        b.doWork(22 * INTERVAL_MS);
        assertThat(proposed).isEmpty();
        b.doWork(23 * INTERVAL_MS);
        assertThat(proposed).hasSize(1);
    }

    @Test
    void disabledOrBelowTheThresholdNothingMoves() {
        PreferredLeaderBalancer off = balancer(new LeaderBalanceConfig(false, INTERVAL_MS, 10));
        off.doWork(0);
        off.doWork(10 * INTERVAL_MS);
        // Broker 1 prefers one partition and leads none of it: 100 %, which is not above 100.
        PreferredLeaderBalancer tolerant = balancer(new LeaderBalanceConfig(true, INTERVAL_MS, 100));
        tolerant.doWork(0);
        tolerant.doWork(10 * INTERVAL_MS);
        assertThat(proposed).isEmpty();
        assertThat(view.partition(T0).orElseThrow().leaderId()).isEqualTo(2);
    }

    @Test
    void noSecondProposalWhileOneIsUnanswered() {
        List<CompletableFuture<CommandResult>> pending = new ArrayList<>();
        PreferredLeaderBalancer b = new PreferredLeaderBalancer(new LeaderBalanceConfig(true, INTERVAL_MS, 10), view,
                c -> {
                    proposed.add(c);
                    CompletableFuture<CommandResult> f = new CompletableFuture<>();
                    pending.add(f);
                    return f;
                }, active::get);
        b.doWork(0);
        b.doWork(INTERVAL_MS);
        b.doWork(3 * INTERVAL_MS);
        assertThat(proposed).hasSize(1);
        pending.get(0).completeExceptionally(new IllegalStateException("no quorum"));
        b.doWork(4 * INTERVAL_MS);
        assertThat(proposed).as("the next check after the failure tries again").hasSize(2);
    }
}
