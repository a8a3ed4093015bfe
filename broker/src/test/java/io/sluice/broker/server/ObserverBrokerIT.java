package io.sluice.broker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.testing.LogBytes;
import io.sluice.broker.testing.RawConnection;
import io.sluice.broker.testing.TestCluster;
import io.sluice.client.producer.Producer;
import io.sluice.client.producer.ProducerConfig;
import io.sluice.client.producer.ProducerRecord;
import io.sluice.client.producer.RecordMetadata;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.BrokerHeartbeatRequest;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.MetadataRequest;
import io.sluice.proto.message.MetadataResponse;
import io.sluice.proto.message.PartitionMetadata;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three brokers that are the controller voters and a fourth, broker 4, that is not (ARCHITECTURE.md §7: it follows
 * the metadata as a Ratis listener on {@code controller.quorum.observer.address}). Broker 4 registers, heartbeats to
 * the active controller, leads and follows partitions and answers metadata like the others; it is never the active
 * controller, keeps working while a voter stops, and rejoins after a restart.
 */
class ObserverBrokerIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int OBSERVER = 4;
    private static final String TOPIC = "wide";

    @TempDir
    Path dir;
    private TestCluster cluster;

    @BeforeEach
    void start() {
        cluster = new TestCluster(dir, 3, 1, Map.of(
                BrokerConfig.BROKER_SESSION_TIMEOUT_MS, "2000",
                BrokerConfig.BROKER_HEARTBEAT_INTERVAL_MS, "100",
                BrokerConfig.REPLICA_LAG_TIME_MAX_MS, "1000"));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void theObserverRegistersLeadsReplicatesAndAnswersMetadataLikeAVoter() throws Exception {
        assertThat(cluster.isVoter(OBSERVER)).isFalse();
        await().atMost(WAIT).until(() -> cluster.running().values().stream()
                .allMatch(b -> TestCluster.liveBrokerIds(b.metadata()).equals(List.of(1, 2, 3, 4))));
        SluiceBroker observer = cluster.broker(OBSERVER);
        int controller = cluster.controller().config().nodeId();
        assertThat(controller).isNotEqualTo(OBSERVER);
        assertThat(observer.metadata().isActiveController()).isFalse();
        assertThat(observer.metadata().controllerId()).isEqualTo(controller);
        assertThat(observer.metadata().clusterId()).isEqualTo(cluster.broker(1).metadata().clusterId());
        try (RawConnection c = new RawConnection("127.0.0.1", observer.port());
             InboundFrame<Response> f = c.call(Request.newBuilder().setBrokerHeartbeat(
                     BrokerHeartbeatRequest.newBuilder().setBrokerId(1).setBrokerEpoch(1)))) {
            assertThat(f.message().getBrokerHeartbeat().getErrorCode()).isEqualTo(ErrorCode.NOT_CONTROLLER);
        }

        // Created through the observer (it proposes to the voters): four replicas each, one leadership per broker.
        observer.metadata().createTopic(TOPIC, 4, 4, Map.of()).get(30, TimeUnit.SECONDS);
        TopicPartition led = awaitLedBy(OBSERVER);
        produce(led, 200);
        awaitIdenticalReplicas(led, List.of(1, 2, 3, 4));
        // And it follows the others' partitions.
        for (PartitionRecord p : observer.metadata().partitions(TOPIC)) {
            if (p.leaderId() != OBSERVER) {
                produce(p.tp(), 20);
                awaitIdenticalReplicas(p.tp(), List.of(1, 2, 3, 4));
            }
        }

        // The metadata it answers is the voters'.
        await().atMost(WAIT).untilAsserted(() -> {
            MetadataResponse fromObserver = metadata(OBSERVER);
            for (int id = 1; id <= 3; id++) {
                MetadataResponse fromVoter = metadata(id);
                assertThat(fromObserver.getControllerId()).isEqualTo(fromVoter.getControllerId()).isEqualTo(controller);
                assertThat(fromObserver.getClusterId()).isEqualTo(fromVoter.getClusterId());
                assertThat(fromObserver.getBrokersList()).isEqualTo(fromVoter.getBrokersList());
                assertThat(assignments(fromObserver)).isEqualTo(assignments(fromVoter));
            }
            assertThat(fromObserver.getBrokersList()).extracting(b -> b.getNodeId()).containsExactly(1, 2, 3, 4);
        });
        assertThat(observer.metadata().isActiveController()).isFalse();
    }

    @Test
    void theObserverKeepsWorkingWhileTheControllerStopsAndRejoinsAfterARestart() throws Exception {
        await().atMost(WAIT).until(() -> TestCluster.liveBrokerIds(cluster.broker(OBSERVER).metadata()).equals(List.of(1, 2, 3, 4)));
        cluster.broker(OBSERVER).metadata().createTopic(TOPIC, 4, 4, Map.of()).get(30, TimeUnit.SECONDS);
        TopicPartition led = awaitLedBy(OBSERVER);
        produce(led, 100);

        // The active controller, a voter, stops: another takes over and the observer follows it, live all along.
        int old = cluster.controller().config().nodeId();
        cluster.stop(old);
        await().atMost(WAIT).until(() -> cluster.controller() != null);
        int next = cluster.controller().config().nodeId();
        assertThat(next).isNotEqualTo(old).isNotEqualTo(OBSERVER);
        MetadataStore observer = cluster.broker(OBSERVER).metadata();
        await().atMost(WAIT).until(() -> observer.controllerId() == next);
        await().during(Duration.ofSeconds(3)).atMost(WAIT)
                .until(() -> !TestCluster.registration(cluster.controller().metadata(), OBSERVER).fenced());
        assertThat(observer.partition(led).orElseThrow().leaderId()).isEqualTo(OBSERVER);
        produce(led, 100);
        awaitIdenticalReplicas(led, List.of(OBSERVER, 1, 2, 3).stream().filter(id -> id != old).toList());
        assertThat(observer.isActiveController()).isFalse();
        cluster.start(old);

        // The observer restarts: it asks to be added as a listener again (a no-op) and catches up.
        long epoch = TestCluster.registration(observer, OBSERVER).brokerEpoch();
        cluster.stop(OBSERVER);
        // Meanwhile its partitions move to the others, which take more records and a new topic.
        MetadataStore voter = cluster.broker(next).metadata();
        await().atMost(WAIT).until(() -> voter.partition(led).orElseThrow().leaderId() != OBSERVER);
        produce(led, 50);
        voter.createTopic("while-away", 1, 3, Map.of()).get(30, TimeUnit.SECONDS);
        cluster.start(OBSERVER);
        MetadataStore back = cluster.broker(OBSERVER).metadata();
        await().atMost(WAIT).until(() -> !TestCluster.registration(back, OBSERVER).fenced()
                && TestCluster.registration(back, OBSERVER).brokerEpoch() > epoch);
        assertThat(back.topic("while-away")).isPresent();
        assertThat(back.isActiveController()).isFalse();
        await().atMost(WAIT).until(() -> back.controllerId() == cluster.controller().config().nodeId());
        awaitIdenticalReplicas(led, List.of(1, 2, 3, 4));
    }

    /** Waits until {@code id} leads a partition of the topic (by the metadata and in its replica manager). */
    private TopicPartition awaitLedBy(int id) {
        return await().atMost(WAIT).until(() -> {
            MetadataStore m = cluster.broker(id).metadata();
            for (PartitionRecord p : m.partitions(TOPIC)) {
                Partition local = cluster.broker(id).replicaManager().partition(p.tp());
                if (p.leaderId() == id && local != null && local.isLeader()) {
                    return p.tp();
                }
            }
            return null;
        }, tp -> tp != null);
    }

    private void produce(TopicPartition tp, int records) throws Exception {
        Producer producer = Producer.create(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS, cluster.bootstrap(),
                ProducerConfig.ACKS, "all",
                ProducerConfig.RETRY_BACKOFF_MS, "50",
                ProducerConfig.DELIVERY_TIMEOUT_MS, "60000"));
        cluster.closeLater(producer);
        List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            byte[] value = ("value-" + i).getBytes(StandardCharsets.UTF_8);
            sends.add(producer.send(new ProducerRecord(tp.topic(), tp.partition(), null, null, value, null)));
        }
        producer.flush();
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }

    private MetadataResponse metadata(int id) throws Exception {
        try (RawConnection c = new RawConnection("127.0.0.1", cluster.broker(id).port());
             InboundFrame<Response> f = c.call(Request.newBuilder().setMetadata(MetadataRequest.newBuilder()
                     .addTopics(TOPIC)))) {
            return f.message().getMetadata();
        }
    }

    /** Leader, epoch, replicas and ISR of each partition (log offsets differ by who answers). */
    private static List<String> assignments(MetadataResponse m) {
        List<String> out = new ArrayList<>();
        m.getTopicsList().forEach(t -> {
            for (PartitionMetadata p : t.getPartitionsList()) {
                out.add(t.getName() + "-" + p.getPartition() + " leader " + p.getLeaderId() + " epoch "
                        + p.getLeaderEpoch() + " replicas " + p.getReplicasList() + " isr " + p.getIsrList());
            }
        });
        return out;
    }

    /** Waits until every replica's log end and high watermark equal the leader's, then compares their bytes. */
    private void awaitIdenticalReplicas(TopicPartition tp, List<Integer> ids) throws Exception {
        int[] leader = new int[1];
        await().atMost(WAIT).until(() -> {
            PartitionRecord p = cluster.broker(ids.get(0)).metadata().partition(tp).orElseThrow();
            leader[0] = p.leaderId();
            if (!cluster.running().containsKey(leader[0])) {
                return false;
            }
            Partition l = cluster.broker(leader[0]).replicaManager().partition(tp);
            if (l == null || !l.isLeader() || l.highWatermark() != l.logEndOffset()) {
                return false;
            }
            for (int id : ids) {
                Partition r = cluster.broker(id).replicaManager().partition(tp);
                if (r == null || r.logEndOffset() != l.highWatermark() || r.highWatermark() != l.highWatermark()) {
                    return false;
                }
            }
            return true;
        });
        Partition l = cluster.broker(leader[0]).replicaManager().partition(tp);
        long hw = l.highWatermark();
        byte[] expected = LogBytes.below(l, hw);
        assertThat(expected.length).isPositive();
        for (int id : ids) {
            assertThat(LogBytes.below(cluster.broker(id).replicaManager().partition(tp), hw))
                    .as("broker %d's replica of %s below the high watermark %d", id, tp, hw).isEqualTo(expected);
        }
    }
}
