package io.sluice.broker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.controller.command.AlterPartition;
import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.controller.command.CreateTopic;
import io.sluice.broker.controller.command.ElectLeaders;
import io.sluice.broker.controller.command.FenceBroker;
import io.sluice.broker.controller.command.RegisterBroker;
import io.sluice.broker.controller.command.UnfenceBroker;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The controller's semantics without Ratis: commands applied to an image, as every voter applies them. */
class CommandApplierTest {
    private ClusterImage image;
    private CommandApplier applier;
    private long index;

    @BeforeEach
    void registerThreeBrokers() {
        image = new ClusterImage();
        applier = new CommandApplier(image);
        for (int id = 1; id <= 3; id++) {
            assertThat(apply(Command.newBuilder().setRegisterBroker(RegisterBroker.newBuilder().setBrokerId(id)
                    .setHost("h" + id).setPort(9000 + id).setIncarnationId("i" + id)).build()).getBrokerEpoch())
                    .isEqualTo(index);
        }
    }

    private CommandResult apply(Command c) {
        return applier.apply(c, ++index).result();
    }

    private CommandResult create(String name, int partitions, int rf, Map<String, String> configs, int start) {
        return apply(Command.newBuilder().setCreateTopic(CreateTopic.newBuilder().setName(name).setTopicId("id-" + name)
                .setPartitions(partitions).setReplicationFactor(rf).putAllConfigs(configs).setStartIndex(start)).build());
    }

    private CommandResult fence(int id) {
        return apply(Command.newBuilder().setFenceBroker(FenceBroker.newBuilder().setBrokerId(id)
                .setBrokerEpoch(image.broker(id).brokerEpoch())).build());
    }

    private CommandResult unfence(int id) {
        return apply(Command.newBuilder().setUnfenceBroker(UnfenceBroker.newBuilder().setBrokerId(id)
                .setBrokerEpoch(image.broker(id).brokerEpoch())).build());
    }

    private PartitionRecord partition(String topic, int p) {
        return image.partition(new TopicPartition(topic, p));
    }

    @Test
    void assignmentIsRoundRobinFromTheStartIndex() {
        assertThat(create("t", 4, 2, Map.of(), 1).getErrorCode()).isZero();
        assertThat(partition("t", 0).replicas()).containsExactly(2, 3);
        assertThat(partition("t", 1).replicas()).containsExactly(3, 1);
        assertThat(partition("t", 2).replicas()).containsExactly(1, 2);
        assertThat(partition("t", 3).replicas()).containsExactly(2, 3);
        assertThat(create("wide", 1, 4, Map.of(), 0).getErrorCode())
                .isEqualTo(ErrorCode.INVALID_REPLICATION_FACTOR.getNumber());
    }

    @Test
    void fencingMovesLeadershipToALiveIsrMemberAndShrinksIsrs() {
        create("t", 3, 3, Map.of(), 0); // leaders 1, 2, 3
        fence(1);
        assertThat(image.broker(1).fenced()).isTrue();
        PartitionRecord p0 = partition("t", 0);
        assertThat(p0.leaderId()).isEqualTo(2);
        assertThat(p0.leaderEpoch()).isEqualTo(1);
        assertThat(p0.isr()).containsExactly(2, 3);
        PartitionRecord p1 = partition("t", 1);
        assertThat(p1.leaderId()).isEqualTo(2);
        assertThat(p1.leaderEpoch()).isZero();
        assertThat(p1.isr()).containsExactly(2, 3);
        assertThat(p1.partitionEpoch()).isEqualTo(1);
        // A fence for an old registration is refused and changes nothing.
        ClusterImage before = image.copy();
        assertThat(apply(Command.newBuilder().setFenceBroker(FenceBroker.newBuilder().setBrokerId(2)
                .setBrokerEpoch(1)).build()).getErrorCode()).isEqualTo(ErrorCode.STALE_BROKER_EPOCH.getNumber());
        assertThat(image).isEqualTo(before);
    }

    @Test
    void withNoLiveIsrMemberThePartitionGoesOfflineUntilOneReturns() {
        create("t", 1, 1, Map.of(), 0); // replicas [1]
        fence(1);
        PartitionRecord offline = partition("t", 0);
        assertThat(offline.leaderId()).isEqualTo(-1);
        assertThat(offline.leaderEpoch()).isEqualTo(1);
        assertThat(offline.isr()).containsExactly(1); // the last member stays: it may come back as a clean leader
        unfence(1);
        PartitionRecord back = partition("t", 0);
        assertThat(back.leaderId()).isEqualTo(1);
        assertThat(back.leaderEpoch()).isEqualTo(2);
    }

    @Test
    void uncleanElectionOnlyWhenTheTopicAllowsIt() {
        create("clean", 1, 2, Map.of(), 0);   // replicas [1, 2]
        create("unclean", 1, 2, Map.of("unclean.leader.election.enable", "true"), 0);
        for (String t : List.of("clean", "unclean")) {
            PartitionRecord p = partition(t, 0);
            apply(Command.newBuilder().setAlterPartition(AlterPartition.newBuilder().setBrokerId(1)
                    .setBrokerEpoch(image.broker(1).brokerEpoch()).setTopic(t).setPartition(0)
                    .setLeaderEpoch(p.leaderEpoch()).addNewIsr(1).setPartitionEpoch(p.partitionEpoch())).build());
            assertThat(partition(t, 0).isr()).containsExactly(1);
        }
        fence(1);
        assertThat(partition("clean", 0).leaderId()).isEqualTo(-1);
        PartitionRecord unclean = partition("unclean", 0);
        assertThat(unclean.leaderId()).isEqualTo(2);
        assertThat(unclean.isr()).containsExactly(2);
        // An explicit election does not make the clean one unclean.
        apply(Command.newBuilder().setElectLeaders(ElectLeaders.newBuilder().setTopic("clean").addPartitions(0)).build());
        assertThat(partition("clean", 0).leaderId()).isEqualTo(-1);
    }

    @Test
    void aBadUncleanSettingIsInvalidConfig() {
        assertThat(create("t", 1, 1, Map.of("unclean.leader.election.enable", "yes"), 0).getErrorCode())
                .isEqualTo(ErrorCode.INVALID_CONFIG.getNumber());
    }

    @Test
    void reRegistrationGetsANewEpochAndTakesBackLeaderlessPartitions() {
        create("t", 1, 1, Map.of(), 1); // replicas [2]
        long old = image.broker(2).brokerEpoch();
        fence(2);
        assertThat(partition("t", 0).leaderId()).isEqualTo(-1);
        long epoch = apply(Command.newBuilder().setRegisterBroker(RegisterBroker.newBuilder().setBrokerId(2)
                .setHost("h2").setPort(9002).setIncarnationId("again")).build()).getBrokerEpoch();
        assertThat(epoch).isGreaterThan(old);
        assertThat(image.broker(2).fenced()).isFalse();
        assertThat(partition("t", 0).leaderId()).isEqualTo(2);
    }

    @Test
    void aBrokerRestartedBeforeItsSessionExpiredLosesItsLeadershipsToANewEpoch() {
        create("t", 2, 3, Map.of(), 0); // t-0 led by 1, t-1 by 2
        create("solo", 1, 1, Map.of(), 0); // replicas [1]
        long before = image.broker(1).brokerEpoch();
        apply(Command.newBuilder().setRegisterBroker(RegisterBroker.newBuilder().setBrokerId(1)
                .setHost("h1").setPort(9001).setIncarnationId("restarted")).build());
        assertThat(image.broker(1).fenced()).isFalse();
        assertThat(image.broker(1).brokerEpoch()).isGreaterThan(before);
        PartitionRecord led = partition("t", 0);
        assertThat(led.leaderId()).isEqualTo(2);
        assertThat(led.leaderEpoch()).isEqualTo(1);
        assertThat(led.isr()).containsExactly(2, 3); // it rejoins once it has caught up
        assertThat(partition("t", 1).isr()).doesNotContain(1);
        // As the last ISR member it leads again, at a new epoch.
        PartitionRecord solo = partition("solo", 0);
        assertThat(solo.leaderId()).isEqualTo(1);
        assertThat(solo.leaderEpoch()).isEqualTo(2);
        // The same incarnation registering again (a retried registration) changes no leadership.
        apply(Command.newBuilder().setRegisterBroker(RegisterBroker.newBuilder().setBrokerId(2)
                .setHost("h2").setPort(9002).setIncarnationId("i2")).build());
        assertThat(partition("t", 0).leaderId()).isEqualTo(2);
        assertThat(partition("t", 0).leaderEpoch()).isEqualTo(1);
    }
}
