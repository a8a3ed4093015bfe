package io.sluice.broker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.testing.RawConnection;
import io.sluice.broker.testing.TestCluster;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.AlterPartitionRequest;
import io.sluice.proto.message.BrokerHeartbeatRequest;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.MetadataRequest;
import io.sluice.proto.message.MetadataResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real brokers, each a controller voter, registering and heartbeating over the broker protocol to whichever
 * of them is the active controller.
 */
class ClusterIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private TestCluster cluster;

    @BeforeEach
    void start() {
        cluster = new TestCluster(dir, 3, Map.of(
                BrokerConfig.BROKER_SESSION_TIMEOUT_MS, "1500",
                BrokerConfig.BROKER_HEARTBEAT_INTERVAL_MS, "100"));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void everyBrokerRegistersAndSeesTheSameClusterAndController() throws Exception {
        await().atMost(WAIT).until(() -> cluster.running().values().stream()
                .allMatch(b -> TestCluster.liveBrokerIds(b.metadata()).equals(List.of(1, 2, 3))));
        int controller = cluster.controller().config().nodeId();
        String clusterId = cluster.broker(1).metadata().clusterId();
        for (SluiceBroker b : cluster.running().values()) {
            assertThat(b.metadata().controllerId()).isEqualTo(controller);
            assertThat(b.metadata().clusterId()).isEqualTo(clusterId);
            try (RawConnection c = new RawConnection("127.0.0.1", b.port());
                 InboundFrame<Response> f = c.call(Request.newBuilder().setMetadata(MetadataRequest.newBuilder()))) {
                MetadataResponse m = f.message().getMetadata();
                assertThat(m.getControllerId()).isEqualTo(controller);
                assertThat(m.getBrokersList()).extracting(i -> i.getNodeId()).containsExactly(1, 2, 3);
            }
        }
        // Brokers stay live past their session timeout: their heartbeats reach the controller.
        await().during(Duration.ofSeconds(3)).atMost(WAIT)
                .until(() -> TestCluster.liveBrokerIds(cluster.controller().metadata()).equals(List.of(1, 2, 3)));
    }

    @Test
    void aBrokerThatIsNotTheControllerAnswersNotController() throws Exception {
        SluiceBroker controller = cluster.controller();
        SluiceBroker other = cluster.running().values().stream().filter(b -> b != controller).findFirst().orElseThrow();
        try (RawConnection c = new RawConnection("127.0.0.1", other.port())) {
            try (InboundFrame<Response> f = c.call(Request.newBuilder().setBrokerHeartbeat(
                    BrokerHeartbeatRequest.newBuilder().setBrokerId(1).setBrokerEpoch(1)))) {
                assertThat(f.message().getBrokerHeartbeat().getErrorCode()).isEqualTo(ErrorCode.NOT_CONTROLLER);
            }
            try (InboundFrame<Response> f = c.call(Request.newBuilder().setAlterPartition(
                    AlterPartitionRequest.newBuilder().setBrokerId(1).setBrokerEpoch(1)))) {
                assertThat(f.message().getAlterPartition().getErrorCode()).isEqualTo(ErrorCode.NOT_CONTROLLER);
            }
        }
    }

    @Test
    void aStoppedBrokerIsFencedAndItsPartitionsGetNewLeaders() {
        SluiceBroker controller = cluster.controller();
        MetadataStore m = controller.metadata();
        await().atMost(WAIT).until(() -> TestCluster.liveBrokerIds(m).equals(List.of(1, 2, 3)));
        m.createTopic("replicated", 6, 3, Map.of()).join();
        int victim = cluster.running().keySet().stream().filter(id -> id != controller.config().nodeId())
                .findFirst().orElseThrow();
        // The victim has taken up every leadership the metadata gives it (and no other).
        await().atMost(WAIT).until(() -> {
            Set<TopicPartition> assigned = m.partitions("replicated").stream().filter(p -> p.leaderId() == victim)
                    .map(PartitionRecord::tp).collect(Collectors.toSet());
            Set<TopicPartition> led = cluster.broker(victim).replicaManager().partitions().stream()
                    .filter(Partition::isLeader).map(Partition::topicPartition)
                    .filter(tp -> tp.topic().equals("replicated")).collect(Collectors.toSet());
            return !assigned.isEmpty() && assigned.equals(led);
        });
        List<PartitionRecord> before = m.partitions("replicated");
        SluiceBroker stopping = cluster.broker(victim);
        cluster.stop(victim);
        // Controlled shutdown: it had the controller move its leaderships away and followed the change before it
        // stopped (a killed broker would still believe it leads; its partitions move when its session ends).
        assertThat(stopping.replicaManager().partitions()).noneMatch(Partition::isLeader);
        await().atMost(WAIT).until(() -> TestCluster.registration(m, victim).fenced());
        for (PartitionRecord was : before) {
            PartitionRecord now = m.partition(was.tp()).orElseThrow();
            assertThat(now.isr()).doesNotContain(victim);
            if (was.leaderId() == victim) {
                assertThat(now.leaderId()).isNotEqualTo(victim).isIn(was.isr());
                assertThat(now.leaderEpoch()).isEqualTo(was.leaderEpoch() + 1);
                // The new leader opened the partition.
                assertThat(cluster.broker(now.leaderId()).replicaManager().partition(now.tp())).isNotNull();
            }
        }
        // It comes back: registers with a new epoch and is live again.
        long oldEpoch = TestCluster.registration(m, victim).brokerEpoch();
        cluster.start(victim);
        await().atMost(WAIT).until(() -> !TestCluster.registration(m, victim).fenced());
        assertThat(TestCluster.registration(m, victim).brokerEpoch()).isGreaterThan(oldEpoch);
    }

    @Test
    void whenTheControllerBrokerStopsAnotherTakesOverAndHeartbeatsFollowIt() {
        int old = cluster.controller().config().nodeId();
        cluster.stop(old);
        await().atMost(WAIT).until(() -> cluster.controller() != null);
        MetadataStore m = cluster.controller().metadata();
        assertThat(cluster.controller().config().nodeId()).isNotEqualTo(old);
        await().atMost(WAIT).until(() -> TestCluster.registration(m, old).fenced());
        // The survivors heartbeat to the new controller and stay live past their session timeout.
        await().during(Duration.ofSeconds(3)).atMost(WAIT)
                .until(() -> TestCluster.liveBrokerIds(m).size() == 2 && !TestCluster.liveBrokerIds(m).contains(old));
        m.createTopic("after-failover", 2, 2, Map.of()).join();
    }
}
