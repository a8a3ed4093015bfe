package io.sluice.broker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.testing.TestBroker;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.AlterPartitionData;
import io.sluice.proto.message.AlterPartitionPartitionResponse;
import io.sluice.proto.message.AlterPartitionRequest;
import io.sluice.proto.message.AlterPartitionTopic;
import io.sluice.proto.message.BrokerHeartbeatRequest;
import io.sluice.proto.message.BrokerHeartbeatResponse;
import io.sluice.proto.message.BrokerRegistrationRequest;
import io.sluice.proto.message.BrokerRegistrationResponse;
import io.sluice.proto.message.ElectLeadersPartitionResult;
import io.sluice.proto.message.ElectLeadersRequest;
import io.sluice.proto.message.ElectLeadersResponse;
import io.sluice.proto.message.ElectLeadersTopic;
import io.sluice.proto.message.ElectLeadersTopicResult;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller APIs on the wire, against a single broker (a one-voter quorum: it is the active controller), and
 * the broker's own session: it heartbeats to itself through the same API and stays unfenced.
 */
class ControllerApisIT {
    @TempDir
    Path dir;

    private TestBroker broker;

    @BeforeEach
    void start() {
        broker = new TestBroker(dir.resolve("data"), Map.of(
                BrokerConfig.BROKER_SESSION_TIMEOUT_MS, "1000",
                BrokerConfig.BROKER_HEARTBEAT_INTERVAL_MS, "100"));
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private BrokerRegistration self() {
        return broker.broker().metadata().registrations().stream().filter(b -> b.nodeId() == 1).findFirst()
                .orElseThrow();
    }

    @Test
    void theBrokerHeartbeatsToItselfAndStaysUnfencedPastItsSessionTimeout() {
        assertThat(broker.broker().metadata().controllerId()).isEqualTo(1);
        assertThat(broker.broker().metadata().isActiveController()).isTrue();
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> !self().fenced());
        assertThat(self().port()).isEqualTo(broker.broker().port());
    }

    @Test
    void heartbeatAnswersTheFencedFlagAndRefusesAnOldEpoch() throws Exception {
        long epoch = self().brokerEpoch();
        try (InboundFrame<Response> f = broker.connection().call(heartbeat(1, epoch))) {
            BrokerHeartbeatResponse r = f.message().getBrokerHeartbeat();
            assertThat(r.getErrorCode()).isEqualTo(ErrorCode.NONE);
            assertThat(r.getIsFenced()).isFalse();
        }
        try (InboundFrame<Response> f = broker.connection().call(heartbeat(1, epoch - 1))) {
            assertThat(f.message().getBrokerHeartbeat().getErrorCode()).isEqualTo(ErrorCode.STALE_BROKER_EPOCH);
        }
    }

    @Test
    void aRegisteredBrokerThatNeverHeartbeatsIsFencedAndUnfencedByItsFirstHeartbeat() throws Exception {
        long epoch;
        try (InboundFrame<Response> f = broker.connection().call(Request.newBuilder().setBrokerRegistration(
                BrokerRegistrationRequest.newBuilder().setBrokerId(7).setHost("127.0.0.1").setPort(1)
                        .setIncarnationId("seven")))) {
            BrokerRegistrationResponse r = f.message().getBrokerRegistration();
            assertThat(r.getErrorCode()).isEqualTo(ErrorCode.NONE);
            epoch = r.getBrokerEpoch();
            assertThat(epoch).isGreaterThan(self().brokerEpoch());
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> registration(7).fenced());
        assertThat(broker.broker().metadata().brokers()).extracting(b -> b.nodeId()).containsExactly(1);
        try (InboundFrame<Response> f = broker.connection().call(heartbeat(7, epoch))) {
            BrokerHeartbeatResponse r = f.message().getBrokerHeartbeat();
            assertThat(r.getErrorCode()).isEqualTo(ErrorCode.NONE);
            assertThat(r.getIsFenced()).isFalse();
        }
        assertThat(registration(7).fenced()).isFalse();
    }

    private BrokerRegistration registration(int id) {
        return broker.broker().metadata().registrations().stream().filter(b -> b.nodeId() == id).findFirst()
                .orElseThrow();
    }

    @Test
    void alterPartitionRefusesAStalePartitionEpoch() throws Exception {
        broker.broker().metadata().createTopic("isr", 1, 1, Map.of()).join();
        TopicPartition tp = new TopicPartition("isr", 0);
        PartitionRecord p = broker.broker().metadata().partition(tp).orElseThrow();
        long epoch = self().brokerEpoch();
        AlterPartitionPartitionResponse first = alter(epoch, p.leaderEpoch(), p.partitionEpoch());
        assertThat(first.getErrorCode()).isEqualTo(ErrorCode.NONE);
        assertThat(first.getPartitionEpoch()).isEqualTo(p.partitionEpoch() + 1);
        assertThat(first.getIsrList()).containsExactly(1);
        AlterPartitionPartitionResponse stale = alter(epoch, p.leaderEpoch(), p.partitionEpoch());
        assertThat(stale.getErrorCode()).isEqualTo(ErrorCode.INVALID_UPDATE_VERSION);
        assertThat(stale.getPartitionEpoch()).isEqualTo(p.partitionEpoch() + 1); // the current one, to retry with
        assertThat(alter(epoch, p.leaderEpoch() + 1, first.getPartitionEpoch()).getErrorCode())
                .isEqualTo(ErrorCode.UNKNOWN_LEADER_EPOCH);
    }

    @Test
    void electLeadersAnswersPerPartitionAndUnknownTopicsAtTopicLevel() throws Exception {
        broker.broker().metadata().createTopic("led", 2, 1, Map.of()).join();
        Request.Builder request = Request.newBuilder().setElectLeaders(ElectLeadersRequest.newBuilder()
                .addTopics(ElectLeadersTopic.newBuilder().setName("led").addPartitions(1).addPartitions(-1)
                        .addPartitions(7).addPartitions(1))
                .addTopics(ElectLeadersTopic.newBuilder().setName("nope").addPartitions(0))
                .addTopics(ElectLeadersTopic.newBuilder().setName("bad name!")));
        try (InboundFrame<Response> f = broker.connection().call(request)) {
            ElectLeadersResponse r = f.message().getElectLeaders();
            assertThat(r.getTopicsList()).extracting(ElectLeadersTopicResult::getName, ElectLeadersTopicResult::getErrorCode)
                    .containsExactly(tuple("led", ErrorCode.NONE), tuple("nope", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
                            tuple("bad name!", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
            // Each partition once, a negative number refused here, an unknown one by the controller.
            assertThat(r.getTopics(0).getPartitionsList()).extracting(ElectLeadersPartitionResult::getPartition,
                    ElectLeadersPartitionResult::getErrorCode).containsExactly(
                    tuple(-1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
                    tuple(1, ErrorCode.ELECTION_NOT_NEEDED),
                    tuple(7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        }
        // Everything: the one-replica partitions are led by their only, preferred, replica already.
        try (InboundFrame<Response> f = broker.connection().call(Request.newBuilder().setElectLeaders(
                ElectLeadersRequest.newBuilder().setAllTopicPartitions(true)))) {
            ElectLeadersResponse r = f.message().getElectLeaders();
            assertThat(r.getTopicsList()).extracting(ElectLeadersTopicResult::getName).contains("led");
            assertThat(r.getTopicsList()).flatExtracting(ElectLeadersTopicResult::getPartitionsList)
                    .extracting(ElectLeadersPartitionResult::getErrorCode).containsOnly(ErrorCode.ELECTION_NOT_NEEDED);
        }
    }

    private AlterPartitionPartitionResponse alter(long brokerEpoch, int leaderEpoch, int partitionEpoch)
            throws Exception {
        Request.Builder request = Request.newBuilder().setAlterPartition(AlterPartitionRequest.newBuilder()
                .setBrokerId(1).setBrokerEpoch(brokerEpoch).addTopics(AlterPartitionTopic.newBuilder().setName("isr")
                        .addPartitions(AlterPartitionData.newBuilder().setPartition(0).setLeaderEpoch(leaderEpoch)
                                .addNewIsr(1).setPartitionEpoch(partitionEpoch))));
        try (InboundFrame<Response> f = broker.connection().call(request)) {
            assertThat(f.message().getAlterPartition().getErrorCode()).isEqualTo(ErrorCode.NONE);
            return f.message().getAlterPartition().getTopics(0).getPartitions(0);
        }
    }

    private static Request.Builder heartbeat(int id, long epoch) {
        return Request.newBuilder().setBrokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(id)
                .setBrokerEpoch(epoch));
    }
}
