package io.sluice.broker.controller;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.metadata.MetadataCodec;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.broker.metadata.MetadataListener;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.state.StoreFamily;
import io.sluice.broker.testing.FreePorts;
import io.sluice.broker.testing.TestQuorum;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metadata store's contract on a one-voter quorum: what a single-node broker runs (the same path as a cluster).
 * Multi-voter behaviour is in {@link ControllerQuorumIT}.
 */
class QuorumMetadataStoreTest {
    static final BrokerRecord SELF = new BrokerRecord(1, "127.0.0.1", 9292);

    @TempDir
    Path logDir;
    final int ratisPort = FreePorts.next();
    BrokerStore store;
    QuorumMetadataStore metadata;

    @BeforeEach
    void open() throws Exception {
        store = BrokerStore.open(BrokerStore.dirIn(logDir));
        metadata = TestQuorum.singleVoter(store, logDir, ratisPort, SELF);
    }

    @AfterEach
    void close() {
        metadata.close();
        store.close();
    }

    void reopen() throws Exception {
        close();
        open();
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    /** The error code the future failed with. */
    static ErrorCode failure(CompletableFuture<?> f) {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause();
            assertThat(cause).isInstanceOf(MetadataException.class);
            return ((MetadataException) cause).errorCode();
        }
        throw new AssertionError("expected the change to be refused");
    }

    static String message(CompletableFuture<?> f) {
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isNotNull();
        return f.handle((v, e) -> e instanceof CompletionException ? e.getCause().getMessage() : e.getMessage()).join();
    }

    @Test
    void createdTopicHasOneLocalLeaderPartitionEach() throws Exception {
        TopicRecord t = await(metadata.createTopic("orders", 3, 1, Map.of("retention.ms", "1000")));
        assertThat(t.name()).isEqualTo("orders");
        assertThat(t.partitions()).isEqualTo(3);
        assertThat(t.internal()).isFalse();
        assertThat(t.configs()).containsExactly(Map.entry("retention.ms", "1000"));
        assertThat(metadata.topic("orders")).contains(t);
        assertThat(metadata.partitions("orders")).extracting(p -> p.tp().partition()).containsExactly(0, 1, 2);
        assertThat(metadata.partition(new TopicPartition("orders", 2))).hasValueSatisfying(p -> {
            assertThat(p.leaderId()).isEqualTo(1);
            assertThat(p.leaderEpoch()).isZero();
            assertThat(p.replicas()).containsExactly(1);
            assertThat(p.isr()).containsExactly(1);
        });
        assertThat(metadata.partition(new TopicPartition("orders", 3))).isEmpty();
        assertThat(metadata.brokers()).containsExactly(SELF);
        assertThat(metadata.controllerId()).isEqualTo(1);
    }

    @Test
    void duplicateTopicIsRefused() throws Exception {
        await(metadata.createTopic("orders", 1, 1, Map.of()));
        assertThat(failure(metadata.createTopic("orders", 2, 1, Map.of()))).isEqualTo(ErrorCode.TOPIC_ALREADY_EXISTS);
        assertThat(metadata.topic("orders").orElseThrow().partitions()).isEqualTo(1);
    }

    @Test
    void illegalNamesAreInvalidTopic() throws Exception {
        for (String bad : List.of("", ".", "..", "a/b", "a b", "ü", "x".repeat(250), "__mine")) {
            assertThat(failure(metadata.createTopic(bad, 1, 1, Map.of()))).as(bad).isEqualTo(ErrorCode.INVALID_TOPIC);
        }
        assertThat(failure(metadata.createTopic(null, 1, 1, Map.of()))).isEqualTo(ErrorCode.INVALID_TOPIC);
        assertThat(await(metadata.createTopic("x".repeat(249), 1, 1, Map.of())).name()).hasSize(249);
        assertThat(await(metadata.createTopic("a.b-c_D9", 1, 1, Map.of())).name()).isEqualTo("a.b-c_D9");
        // '.' and '_' collide in metric names, as in Kafka.
        assertThat(failure(metadata.createTopic("a_b-c_D9", 1, 1, Map.of()))).isEqualTo(ErrorCode.INVALID_TOPIC);
        assertThat(metadata.topics()).hasSize(2);
    }

    @Test
    void onlyTheBrokerCreatesInternalTopicsAndNobodyDeletesThem() throws Exception {
        TopicRecord t = await(metadata.createInternalTopic("__consumer_offsets", 8, 1, Map.of()));
        assertThat(t.internal()).isTrue();
        assertThat(failure(metadata.deleteTopic("__consumer_offsets"))).isEqualTo(ErrorCode.INVALID_TOPIC);
        assertThat(metadata.partitions("__consumer_offsets")).hasSize(8);
    }

    @Test
    void partitionCountOutOfRangeIsInvalidPartitions() throws Exception {
        assertThat(failure(metadata.createTopic("t", 0, 1, Map.of()))).isEqualTo(ErrorCode.INVALID_PARTITIONS);
        assertThat(failure(metadata.createTopic("t", -1, 1, Map.of()))).isEqualTo(ErrorCode.INVALID_PARTITIONS);
        assertThat(failure(metadata.createTopic("t", 10_001, 1, Map.of()))).isEqualTo(ErrorCode.INVALID_PARTITIONS);
        assertThat(await(metadata.createTopic("t", 10_000, 1, Map.of())).partitions()).isEqualTo(10_000);
    }

    @Test
    void replicationFactorAboveLiveBrokersIsRefused() {
        assertThat(failure(metadata.createTopic("t", 1, 0, Map.of()))).isEqualTo(ErrorCode.INVALID_REPLICATION_FACTOR);
        assertThat(failure(metadata.createTopic("t", 1, 2, Map.of()))).isEqualTo(ErrorCode.INVALID_REPLICATION_FACTOR);
        assertThat(metadata.topics()).isEmpty();
    }

    @Test
    void badConfigsAreInvalidConfigNamingTheKey() {
        var unknown = metadata.createTopic("t", 1, 1, Map.of("no.such.key", "1"));
        assertThat(failure(unknown)).isEqualTo(ErrorCode.INVALID_CONFIG);
        assertThat(message(unknown)).contains("no.such.key");
        var badValue = metadata.createTopic("t", 1, 1, Map.of("segment.bytes", "ten"));
        assertThat(failure(badValue)).isEqualTo(ErrorCode.INVALID_CONFIG);
        assertThat(message(badValue)).contains("segment.bytes");
        var outOfRange = metadata.createTopic("t", 1, 1, Map.of("retention.ms", "-5"));
        assertThat(message(outOfRange)).contains("retention.ms");
        var minIsr = metadata.createTopic("t", 1, 1, Map.of("min.insync.replicas", "0"));
        assertThat(failure(minIsr)).isEqualTo(ErrorCode.INVALID_CONFIG);
        assertThat(message(minIsr)).contains("min.insync.replicas");
        assertThat(metadata.topics()).isEmpty();
    }

    @Test
    void deleteRemovesTopicAndPartitionsAndUnknownIsReported() throws Exception {
        await(metadata.createTopic("a", 2, 1, Map.of()));
        await(metadata.createTopic("ab", 2, 1, Map.of())); // shares a prefix with "a": must survive its deletion
        await(metadata.deleteTopic("a"));
        assertThat(metadata.topic("a")).isEmpty();
        assertThat(metadata.partitions("a")).isEmpty();
        assertThat(failure(metadata.deleteTopic("a"))).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        reopen();
        assertThat(metadata.topics()).extracting(TopicRecord::name).containsExactly("ab");
        assertThat(metadata.partitions("ab")).hasSize(2);
        // A re-created topic is a new topic.
        TopicRecord again = await(metadata.createTopic("a", 1, 1, Map.of()));
        assertThat(again.partitions()).isEqualTo(1);
    }

    @Test
    void imageAndClusterIdSurviveReopen() throws Exception {
        TopicRecord orders = await(metadata.createTopic("orders", 12, 1, Map.of("segment.bytes", "1048576")));
        await(metadata.createInternalTopic("__consumer_offsets", 8, 1, Map.of()));
        List<PartitionRecord> partitions = metadata.partitions("orders");
        String clusterId = metadata.clusterId();
        assertThat(clusterId).hasSize(22);
        reopen();
        assertThat(metadata.clusterId()).isEqualTo(clusterId);
        assertThat(metadata.topic("orders")).contains(orders);
        assertThat(metadata.partitions("orders")).isEqualTo(partitions);
        assertThat(metadata.topics()).extracting(TopicRecord::name).containsExactly("__consumer_offsets", "orders");
    }

    @Test
    void theSingleNodeStoreLayoutLoadsAsTheImage(@TempDir Path oldDir) throws Exception {
        // What the single-node store (before the quorum) left in the metadata family: no controller snapshot key.
        TopicRecord legacy = new TopicRecord("legacy", "id-1", 2, 1, Map.of("retention.ms", "5000"), false);
        try (BrokerStore old = BrokerStore.open(BrokerStore.dirIn(oldDir))) {
            old.put(StoreFamily.METADATA, MetadataCodec.CLUSTER_ID_KEY, "AAAAAAAAAAAAAAAAAAAAAA".getBytes(UTF_8));
            old.put(StoreFamily.METADATA, MetadataCodec.NEXT_PRODUCER_ID_KEY,
                    ByteBuffer.allocate(8).putLong(5000).array());
            old.put(StoreFamily.METADATA, MetadataCodec.topicKey("legacy"), MetadataCodec.encodeTopic(legacy));
            for (int p = 0; p < 2; p++) {
                PartitionRecord r = new PartitionRecord(new TopicPartition("legacy", p), 1, 0, List.of(1), List.of(1), 0);
                old.put(StoreFamily.METADATA, MetadataCodec.partitionKey(r.tp()), MetadataCodec.encodePartition(r));
            }
            try (QuorumMetadataStore q = TestQuorum.singleVoter(old, oldDir, FreePorts.next(), SELF)) {
                assertThat(q.clusterId()).isEqualTo("AAAAAAAAAAAAAAAAAAAAAA");
                assertThat(q.topic("legacy")).contains(legacy);
                assertThat(q.partitions("legacy")).extracting(PartitionRecord::leaderId).containsExactly(1, 1);
                assertThat(await(q.allocateProducerIds(1))).isEqualTo(5000);
            }
        }
    }

    @Test
    void eachStoreFormsItsOwnCluster(@TempDir Path otherDir) throws Exception {
        try (BrokerStore other = BrokerStore.open(BrokerStore.dirIn(otherDir));
             QuorumMetadataStore otherMetadata = TestQuorum.singleVoter(other, otherDir, FreePorts.next(), SELF)) {
            assertThat(otherMetadata.clusterId()).isNotEqualTo(metadata.clusterId());
        }
    }

    @Test
    void producerIdBlocksAreNeverReusedAcrossReopen() throws Exception {
        Set<Long> handedOut = new HashSet<>();
        long first = await(metadata.allocateProducerIds(1000));
        long second = await(metadata.allocateProducerIds(10));
        assertThat(second).isEqualTo(first + 1000);
        addBlock(handedOut, first, 1000);
        addBlock(handedOut, second, 10);
        reopen();
        long third = await(metadata.allocateProducerIds(5));
        assertThat(third).isGreaterThanOrEqualTo(second + 10);
        addBlock(handedOut, third, 5);
        assertThat(handedOut).hasSize(1015);
        assertThatThrownBy(() -> await(metadata.allocateProducerIds(0))).hasCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentProducerIdAllocationsGetDisjointBlocks() throws Exception {
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            futures.add(metadata.allocateProducerIds(100));
        }
        Set<Long> ids = new HashSet<>();
        for (CompletableFuture<Long> f : futures) {
            addBlock(ids, await(f), 100);
        }
        assertThat(ids).hasSize(5000);
    }

    private static void addBlock(Set<Long> ids, long first, int size) {
        for (long id = first; id < first + size; id++) {
            assertThat(ids.add(id)).as("id %d handed out twice", id).isTrue();
        }
    }

    @Test
    void listenersHearEveryChangeInCommitOrderAfterAReplayOfTheImage() throws Exception {
        await(metadata.createTopic("b-existing", 1, 1, Map.of()));
        await(metadata.createTopic("a-existing", 2, 1, Map.of()));
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Set<String> threads = Collections.synchronizedSet(new HashSet<>());
        MetadataListener listener = new MetadataListener() {
            @Override
            public void onTopicCreated(TopicRecord topic, List<PartitionRecord> partitions) {
                // The change is visible (durable and in the image) by the time a listener hears of it.
                assertThat(metadata.topic(topic.name())).contains(topic);
                events.add("created " + topic.name() + " " + partitions.size());
                threads.add(Thread.currentThread().getName());
            }

            @Override
            public void onTopicDeleted(TopicRecord topic) {
                events.add("deleted " + topic.name());
                threads.add(Thread.currentThread().getName());
            }
        };
        MetadataListener failing = new MetadataListener() {
            @Override
            public void onTopicCreated(TopicRecord topic, List<PartitionRecord> partitions) {
                throw new IllegalStateException("listener bug");
            }
        };
        await(metadata.addListener(failing));
        await(metadata.addListener(listener));
        // Submitted without waiting: the order of submission is the commit order.
        List<CompletableFuture<?>> changes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            changes.add(metadata.createTopic("t" + i, 1, 1, Map.of()));
            if (i % 3 == 0) {
                changes.add(metadata.deleteTopic("t" + i));
            }
        }
        changes.add(metadata.createTopic("t1", 1, 1, Map.of())); // refused: no event
        for (CompletableFuture<?> f : changes) {
            f.handle((v, e) -> null).get(10, TimeUnit.SECONDS);
        }
        List<String> expected = new ArrayList<>(List.of("created a-existing 2", "created b-existing 1"));
        for (int i = 0; i < 20; i++) {
            expected.add("created t" + i + " 1");
            if (i % 3 == 0) {
                expected.add("deleted t" + i);
            }
        }
        assertThat(events).containsExactlyElementsOf(expected);
        assertThat(threads).containsExactly("sluice-metadata-1");

        metadata.removeListener(listener);
        await(metadata.createTopic("after-removal", 1, 1, Map.of()));
        assertThat(events).hasSize(expected.size());
    }

    @Test
    void changesAfterCloseFail() {
        metadata.close();
        assertThatThrownBy(() -> await(metadata.createTopic("late", 1, 1, Map.of())))
                .hasCauseInstanceOf(IllegalStateException.class);
    }
}
