package io.sluice.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.broker.server.BrokerConfig;
import io.sluice.broker.server.SluiceBroker;
import io.sluice.broker.testing.RawConnection;
import io.sluice.broker.testing.TestCluster;
import io.sluice.client.consumer.Consumer;
import io.sluice.client.consumer.ConsumerConfig;
import io.sluice.proto.ConsumerOffsets;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.OffsetCommitPartition;
import io.sluice.proto.message.OffsetCommitRequest;
import io.sluice.proto.message.OffsetCommitTopic;
import io.sluice.proto.message.OffsetFetchRequest;
import io.sluice.proto.message.OffsetFetchResponse;
import io.sluice.proto.message.OffsetFetchTopic;
import io.sluice.proto.message.PartitionError;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real brokers: a group's committed offsets live in its partition of {@code __consumer_offsets}, replicated
 * three times; the partition's leader is the group's coordinator, the other brokers answer NOT_COORDINATOR, and when
 * the coordinator stops, the partition's new leader serves the same offsets to the client library.
 */
class CoordinatorFailoverIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String GROUP = "billing";
    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);

    @TempDir
    Path dir;
    private TestCluster cluster;

    @BeforeEach
    void start() {
        cluster = new TestCluster(dir, 3, Map.of(
                BrokerConfig.BROKER_SESSION_TIMEOUT_MS, "2000",
                BrokerConfig.BROKER_HEARTBEAT_INTERVAL_MS, "500",
                BrokerConfig.REPLICA_LAG_TIME_MAX_MS, "1000"));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void committedOffsetsAreServedByTheNewCoordinatorAfterTheOldOneStopsAndCommitsCarryOn() {
        Consumer consumer = consumer();
        consumer.commitSync(Map.of(ORDERS_0, 42L, ORDERS_1, 7L));
        consumer.commitSync(Map.of(ORDERS_0, 50L));

        TopicRecord offsetsTopic = view().topic(ConsumerOffsets.TOPIC).orElseThrow();
        assertThat(offsetsTopic.replicationFactor()).as("offsets.topic.replication.factor").isEqualTo(3);
        TopicPartition groupPartition = groupPartition(offsetsTopic);
        PartitionRecord before = view().partition(groupPartition).orElseThrow();
        assertThat(before.replicas()).hasSize(3);
        int oldCoordinator = before.leaderId();

        cluster.stop(oldCoordinator);
        PartitionRecord after = await().atMost(PATIENCE).until(() -> view().partition(groupPartition).orElseThrow(),
                p -> p.leaderId() >= 0 && p.leaderId() != oldCoordinator);
        assertThat(after.leaderEpoch()).isGreaterThan(before.leaderEpoch());

        // The same client (its metadata still names the stopped broker) and a new one read what was committed.
        assertThat(consumer.committed(Set.of(ORDERS_0, ORDERS_1))).containsOnly(Map.entry(ORDERS_0, 50L),
                Map.entry(ORDERS_1, 7L));
        Consumer fresh = consumer();
        assertThat(fresh.committed(Set.of(ORDERS_0, ORDERS_1))).containsOnly(Map.entry(ORDERS_0, 50L),
                Map.entry(ORDERS_1, 7L));

        // Commits carry on with the new coordinator, and survive it too once the old one is back as a follower.
        consumer.commitSync(Map.of(ORDERS_0, 60L, ORDERS_1, 8L));
        assertThat(fresh.committed(Set.of(ORDERS_0, ORDERS_1))).containsOnly(Map.entry(ORDERS_0, 60L),
                Map.entry(ORDERS_1, 8L));
        assertThat(view().partition(groupPartition).orElseThrow().leaderId()).isEqualTo(after.leaderId());
        cluster.start(oldCoordinator);
        await().atMost(PATIENCE).until(() -> view().partition(groupPartition).orElseThrow().isr().size() == 3);
        int secondCoordinator = after.leaderId();
        cluster.stop(secondCoordinator);
        await().atMost(PATIENCE).until(() -> view().partition(groupPartition).orElseThrow(),
                p -> p.leaderId() >= 0 && p.leaderId() != secondCoordinator);
        assertThat(consumer().committed(Set.of(ORDERS_0, ORDERS_1))).containsOnly(Map.entry(ORDERS_0, 60L),
                Map.entry(ORDERS_1, 8L));
    }

    @Test
    void onlyTheLeaderOfTheGroupsOffsetsPartitionServesTheGroup() throws Exception {
        consumer().commitSync(Map.of(ORDERS_0, 5L)); // creates __consumer_offsets and waits for the coordinator
        TopicPartition groupPartition = groupPartition(view().topic(ConsumerOffsets.TOPIC).orElseThrow());
        int coordinator = view().partition(groupPartition).orElseThrow().leaderId();
        for (int id : cluster.running().keySet()) {
            try (RawConnection conn = new RawConnection("127.0.0.1", cluster.broker(id).port())) {
                PartitionError committed = commit(conn, 6);
                OffsetFetchResponse fetched = fetch(conn);
                if (id == coordinator) {
                    assertThat(committed.getErrorCode()).isEqualTo(ErrorCode.NONE);
                    assertThat(fetched.getErrorCode()).isEqualTo(ErrorCode.NONE);
                    assertThat(fetched.getTopics(0).getPartitions(0).getCommittedOffset()).isEqualTo(6);
                } else {
                    assertThat(committed.getErrorCode()).as("broker %d", id).isEqualTo(ErrorCode.NOT_COORDINATOR);
                    assertThat(committed.getErrorMessage()).contains("not the coordinator");
                    assertThat(fetched.getErrorCode()).as("broker %d", id).isEqualTo(ErrorCode.NOT_COORDINATOR);
                }
            }
        }
        assertThat(consumer().committed(Set.of(ORDERS_0))).containsExactly(Map.entry(ORDERS_0, 6L));
    }

    // ---------------------------------------------------------------- helpers

    private static TopicPartition groupPartition(TopicRecord offsetsTopic) {
        return new TopicPartition(ConsumerOffsets.TOPIC, ConsumerOffsets.partitionFor(GROUP, offsetsTopic.partitions()));
    }

    private static PartitionError commit(RawConnection conn, long offset) throws InterruptedException {
        OffsetCommitRequest.Builder req = OffsetCommitRequest.newBuilder().setGroupId(GROUP)
                .addTopics(OffsetCommitTopic.newBuilder().setName(ORDERS_0.topic()).addPartitions(
                        OffsetCommitPartition.newBuilder().setPartition(0).setCommittedOffset(offset)
                                .setCommittedLeaderEpoch(-1)));
        try (InboundFrame<Response> f = conn.call(Request.newBuilder().setOffsetCommit(req))) {
            return f.message().getOffsetCommit().getTopics(0).getPartitions(0);
        }
    }

    private static OffsetFetchResponse fetch(RawConnection conn) throws InterruptedException {
        OffsetFetchRequest.Builder req = OffsetFetchRequest.newBuilder().setGroupId(GROUP)
                .addTopics(OffsetFetchTopic.newBuilder().setName(ORDERS_0.topic()).addPartitions(0));
        try (InboundFrame<Response> f = conn.call(Request.newBuilder().setOffsetFetch(req))) {
            return f.message().getOffsetFetch();
        }
    }

    /** The metadata as a running broker has it (every broker follows the same committed log). */
    private MetadataStore view() {
        SluiceBroker controller = cluster.controller();
        return controller != null ? controller.metadata() : cluster.running().values().iterator().next().metadata();
    }

    private Consumer consumer() {
        Map<String, Object> settings = new HashMap<>();
        StringJoiner bootstrap = new StringJoiner(",");
        cluster.running().values().forEach(b -> bootstrap.add(b.bootstrap()));
        settings.put(ConsumerConfig.BOOTSTRAP_SERVERS, bootstrap.toString());
        settings.put(ConsumerConfig.GROUP_ID, GROUP);
        settings.put(ConsumerConfig.RETRY_BACKOFF_MS, "50");
        settings.put(ConsumerConfig.REQUEST_TIMEOUT_MS, "30000");
        Consumer consumer = Consumer.create(settings);
        cluster.closeLater(consumer);
        return consumer;
    }
}
