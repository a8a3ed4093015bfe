package io.sluice.broker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.controller.command.AlterPartition;
import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.controller.command.CreateTopic;
import io.sluice.broker.controller.command.ElectLeaders;
import io.sluice.broker.controller.command.ElectPreferredLeaders;
import io.sluice.broker.controller.command.PartitionElection;
import io.sluice.broker.controller.command.PartitionId;
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

    private CommandApplier.Applied electPreferred(String... partitions) {
        ElectPreferredLeaders.Builder e = ElectPreferredLeaders.newBuilder();
        for (String tp : partitions) {
            int dash = tp.lastIndexOf('-');
            e.addPartitions(PartitionId.newBuilder().setTopic(tp.substring(0, dash))
                    .setPartition(Integer.parseInt(tp.substring(dash + 1))));
        }
        return applier.apply(Command.newBuilder().setElectPreferredLeaders(e).build(), ++index);
    }

    private void addToIsr(String topic, int p, int broker) {
        PartitionRecord r = partition(topic, p);
        List<Integer> isr = new java.util.ArrayList<>(r.isr());
        isr.add(broker);
        assertThat(apply(Command.newBuilder().setAlterPartition(AlterPartition.newBuilder().setBrokerId(r.leaderId())
                .setBrokerEpoch(image.broker(r.leaderId()).brokerEpoch()).setTopic(topic).setPartition(p)
                .setLeaderEpoch(r.leaderEpoch()).addAllNewIsr(isr).setPartitionEpoch(r.partitionEpoch())).build())
                .getErrorCode()).isZero();
    }

    @Test
    void preferredElectionMovesLeadershipHomeOnlyOnceThePreferredReplicaIsLiveAndInSync() {
        create("t", 3, 3, Map.of(), 0); // replicas [1,2,3], [2,3,1], [3,1,2]
        fence(1);
        unfence(1);
        PartitionRecord away = partition("t", 0);
        assertThat(away.leaderId()).isEqualTo(2); // unfencing alone does not move it back
        assertThat(away.isr()).containsExactly(2, 3);

        // Live but not caught up yet: it stays where it is, and nothing changes.
        ClusterImage before = image.copy();
        CommandApplier.Applied notYet = electPreferred("t-0");
        assertThat(notYet.result().getErrorCode()).isZero();
        assertThat(notYet.result().getElections(0).getErrorCode())
                .isEqualTo(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE.getNumber());
        assertThat(notYet.result().getElections(0).getErrorMessage()).contains("not in the ISR");
        assertThat(notYet.deltas()).isEmpty();
        assertThat(image).isEqualTo(before);

        addToIsr("t", 0, 1);
        PartitionRecord caughtUp = partition("t", 0);
        CommandApplier.Applied moved = electPreferred("t-0", "t-1", "t-7", "nope-0");
        List<PartitionElection> r = moved.result().getElectionsList();
        assertThat(r).extracting(PartitionElection::getTopic, PartitionElection::getPartition,
                PartitionElection::getErrorCode).containsExactly(
                org.assertj.core.groups.Tuple.tuple("t", 0, ErrorCode.NONE.getNumber()),
                org.assertj.core.groups.Tuple.tuple("t", 1, ErrorCode.ELECTION_NOT_NEEDED.getNumber()),
                org.assertj.core.groups.Tuple.tuple("t", 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.getNumber()),
                org.assertj.core.groups.Tuple.tuple("nope", 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.getNumber()));
        PartitionRecord home = partition("t", 0);
        assertThat(home.leaderId()).isEqualTo(1);
        assertThat(home.leaderEpoch()).isEqualTo(caughtUp.leaderEpoch() + 1);
        assertThat(home.partitionEpoch()).isEqualTo(caughtUp.partitionEpoch() + 1);
        assertThat(home.isr()).isEqualTo(caughtUp.isr()); // the old leader stays in sync and follows
        assertThat(r.get(0).getLeaderId()).isEqualTo(1);
        assertThat(r.get(0).getLeaderEpoch()).isEqualTo(home.leaderEpoch());
        assertThat(moved.deltas()).containsExactly(new MetadataDelta.PartitionChanged(home));

        // Led by its preferred replica already: no second epoch bump.
        assertThat(electPreferred("t-0").result().getElections(0).getErrorCode())
                .isEqualTo(ErrorCode.ELECTION_NOT_NEEDED.getNumber());
        assertThat(partition("t", 0)).isEqualTo(home);
    }

    @Test
    void aFencedPreferredReplicaIsNotAvailableEvenAsTheLastIsrMember() {
        create("solo", 1, 1, Map.of(), 0); // replicas [1]
        fence(1); // offline; 1 stays the last ISR member
        CommandApplier.Applied r = electPreferred("solo-0");
        assertThat(r.result().getElections(0).getErrorCode())
                .isEqualTo(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE.getNumber());
        assertThat(r.result().getElections(0).getErrorMessage()).contains("not live");
        assertThat(r.result().getElections(0).getLeaderId()).isEqualTo(-1);
        assertThat(r.deltas()).isEmpty();
    }
}
