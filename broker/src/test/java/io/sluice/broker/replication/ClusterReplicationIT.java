package io.sluice.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.log.OffsetCheckpointFile;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.Topics;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.server.BrokerConfig;
import io.sluice.broker.server.SluiceBroker;
import io.sluice.broker.testing.LogBytes;
import io.sluice.broker.testing.TestCluster;
import io.sluice.client.errors.NotEnoughReplicasException;
import io.sluice.client.producer.Producer;
import io.sluice.client.producer.ProducerConfig;
import io.sluice.client.producer.RecordMetadata;
import io.sluice.client.tools.topics.SluiceTopics;
import io.sluice.proto.TopicPartition;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three real brokers, each a controller voter, replicating through the controller alone: leaders come from the
 * controller's partition records, followers fetch from them, ISR changes go through AlterPartition, and a stopped
 * leader is fenced and replaced from the ISR. The client library produces (acks=all, idempotent) and consumes.
 */
class ClusterReplicationIT {
    private static final Logger log = LoggerFactory.getLogger(ClusterReplicationIT.class);
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String TOPIC = "replicated";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

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
    void replicatesFailsOverWithoutLosingAcknowledgedRecordsAndTheStoppedLeaderRejoins() throws Exception {
        createTopic(TOPIC, 2);
        PartitionRecord initial = awaitFullIsr(TP);
        Producer producer = producer(Integer.MAX_VALUE);

        // Phase 1: replication, every replica byte-identical below the high watermark.
        Map<Long, String> acked = new ConcurrentHashMap<>();
        AtomicLong nextValue = new AtomicLong();
        List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            sends.add(send(producer, nextValue.getAndIncrement(), acked));
        }
        producer.flush();
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        assertThat(acked).hasSize(2_000);
        awaitIdenticalReplicas(TP, initial.leaderId(), List.of(1, 2, 3));

        // Phase 2: the leader stops while a producer keeps sending.
        int oldLeader = initial.leaderId();
        AtomicBoolean producing = new AtomicBoolean(true);
        List<CompletableFuture<RecordMetadata>> during = new ArrayList<>();
        AtomicLong stoppedAtNanos = new AtomicLong(Long.MAX_VALUE);
        AtomicLong resumedAtNanos = new AtomicLong(Long.MAX_VALUE);
        Thread writer = new Thread(() -> {
            while (producing.get()) {
                CompletableFuture<RecordMetadata> f = send(producer, nextValue.getAndIncrement(), acked);
                f.whenComplete((m, e) -> {
                    long now = System.nanoTime();
                    if (e == null && now > stoppedAtNanos.get()) {
                        resumedAtNanos.accumulateAndGet(now, Math::min);
                    }
                });
                synchronized (during) {
                    during.add(f);
                }
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "test-writer");
        writer.start();
        await().atMost(PATIENCE).until(() -> acked.size() > 2_200);
        long stopBegan = System.nanoTime();
        cluster.stop(oldLeader);
        stoppedAtNanos.set(System.nanoTime());
        log.info("leader {} stopped in {} ms", oldLeader,
                TimeUnit.NANOSECONDS.toMillis(stoppedAtNanos.get() - stopBegan));

        PartitionRecord elected = await().atMost(PATIENCE).until(() -> controllerView().partition(TP).orElseThrow(),
                p -> p.leaderId() >= 0 && p.leaderId() != oldLeader);
        assertThat(initial.isr()).contains(elected.leaderId());
        assertThat(elected.leaderEpoch()).isGreaterThan(initial.leaderEpoch());
        await().atMost(PATIENCE).until(() -> resumedAtNanos.get() != Long.MAX_VALUE);
        log.info("FAILOVER: leader {} stopped; broker {} leads at epoch {}; the producer resumed {} ms after the stop"
                        + " returned ({} ms after it began)", oldLeader, elected.leaderId(), elected.leaderEpoch(),
                TimeUnit.NANOSECONDS.toMillis(resumedAtNanos.get() - stoppedAtNanos.get()),
                TimeUnit.NANOSECONDS.toMillis(resumedAtNanos.get() - stopBegan));
        int ackedAtResume = acked.size();
        await().atMost(PATIENCE).until(() -> acked.size() > ackedAtResume + 300);
        producing.set(false);
        writer.join();
        producer.flush();
        List<CompletableFuture<RecordMetadata>> all;
        synchronized (during) {
            all = new ArrayList<>(during);
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        long sent = nextValue.get();
        assertThat(ackedTwice).as("offsets acknowledged for two records").isEmpty();
        assertThat(acked).as("every record sent was acknowledged (idempotent retries across the failover)")
                .hasSize((int) sent);

        // Nothing acknowledged lost, nothing twice: read everything back from the new leader.
        Map<Long, String> read = readAll(TP, elected.leaderId());
        assertThat(read).hasSize((int) sent);
        Set<String> values = new HashSet<>(read.values());
        assertThat(values).as("no value twice").hasSize(read.size());
        acked.forEach((offset, value) -> assertThat(read.get(offset)).as("acked offset %d", offset).isEqualTo(value));

        // Phase 3: the old leader restarts, truncates/catches up as a follower and rejoins the ISR (AlterPartition).
        cluster.start(oldLeader);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(controllerView().partition(TP).orElseThrow().isr())
                .containsExactlyInAnyOrder(1, 2, 3));
        PartitionRecord rejoined = controllerView().partition(TP).orElseThrow();
        assertThat(rejoined.leaderId()).isEqualTo(elected.leaderId());
        awaitIdenticalReplicas(TP, elected.leaderId(), List.of(1, 2, 3));

        // sluice-topics describe against the cluster shows the same leader, replicas and ISR.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = SluiceTopics.run(new String[] {"--bootstrap", cluster.bootstrap(), "describe", "--topic", TOPIC},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String described = out.toString(StandardCharsets.UTF_8);
        log.info("sluice-topics describe:\n{}", described);
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(described).contains("ReplicationFactor: 3").doesNotContain("UnderReplicated");
        String[] row = described.lines().filter(l -> l.trim().startsWith("0 ")).findFirst().orElseThrow().trim()
                .split("\\s+");
        assertThat(row[1]).isEqualTo(Integer.toString(rejoined.leaderId()));
        assertThat(row[2]).isEqualTo(Integer.toString(rejoined.leaderEpoch()));
        assertThat(row[3].split(",")).containsExactlyInAnyOrder("1", "2", "3");
        assertThat(row[4].split(",")).containsExactlyInAnyOrder("1", "2", "3");
        assertThat(row[7]).isEqualTo(Long.toString(sent));
    }

    @Test
    void aMillionRecordsReplicateAndEveryReplicaIsByteIdenticalBelowTheHighWatermark() throws Exception {
        createTopic(TOPIC, 2);
        PartitionRecord p = awaitFullIsr(TP);
        Producer producer = producer(Integer.MAX_VALUE);
        int records = 1_000_000;
        AtomicLong acknowledged = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < records; i++) {
            producer.send(TOPIC, null, bytes("v" + i)).whenComplete((m, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                } else {
                    acknowledged.incrementAndGet();
                }
            });
        }
        producer.flush();
        await().atMost(PATIENCE).until(() -> failure.get() != null || acknowledged.get() == records);
        assertThat(failure.get()).isNull();
        awaitIdenticalReplicas(TP, p.leaderId(), List.of(1, 2, 3));
        assertThat(leaderPartition(TP).highWatermark()).isEqualTo(records);
    }

    @Test
    void aStoppedFollowerLeavesTheIsrThroughTheControllerAndBelowMinIsrAcksAllIsRefused() throws Exception {
        String strict = "strict";
        TopicPartition strictTp = new TopicPartition(strict, 0);
        createTopic(TOPIC, 2);
        createTopic(strict, 3);
        PartitionRecord p = awaitFullIsr(TP);
        awaitFullIsr(strictTp);
        Producer producer = producer(0);
        producer.send(TOPIC, null, bytes("before")).get(30, TimeUnit.SECONDS);
        producer.send(strict, null, bytes("before")).get(30, TimeUnit.SECONDS);

        // A follower that is neither the leader of TP nor of the strict topic, nor the active controller if possible.
        int strictLeader = controllerView().partition(strictTp).orElseThrow().leaderId();
        int follower = p.replicas().stream().filter(r -> r != p.leaderId() && r != strictLeader).findFirst()
                .orElse(p.replicas().stream().filter(r -> r != p.leaderId()).findFirst().orElseThrow());
        cluster.stop(follower);
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(controllerView().partition(TP).orElseThrow().isr()).doesNotContain(follower).hasSize(2);
            assertThat(controllerView().partition(strictTp).orElseThrow().isr()).doesNotContain(follower);
        });
        // The leaders hold the committed ISR too, and count the shrink.
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(leaderPartition(TP).inSyncReplicas()).hasSize(2));
        assertThat(cluster.broker(p.leaderId()).replicaManager().isrShrinks()).isPositive();
        // The stopped follower checkpointed its high watermark on the way down ("before" was committed).
        Map<TopicPartition, Long> checkpointed = new OffsetCheckpointFile(
                dir.resolve("broker-" + follower).resolve(OffsetCheckpointFile.HIGH_WATERMARKS)).read();
        assertThat(checkpointed).containsEntry(TP, 1L);

        // ISR 2 meets min.insync.replicas=2; the strict topic (3) refuses acks=all.
        assertThat(producer.send(TOPIC, null, bytes("with two")).get(30, TimeUnit.SECONDS).offset()).isEqualTo(1);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(leaderPartition(strictTp).inSyncReplicas()).hasSize(2));
        assertThatThrownBy(() -> producer.send(strict, null, bytes("refused")).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NotEnoughReplicasException.class);

        // The follower returns: it catches up, the leaders propose it back, the controller commits it.
        cluster.start(follower);
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(controllerView().partition(TP).orElseThrow().isr()).containsExactlyInAnyOrder(1, 2, 3);
            assertThat(controllerView().partition(strictTp).orElseThrow().isr()).containsExactlyInAnyOrder(1, 2, 3);
        });
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(leaderPartition(strictTp).inSyncReplicas())
                .hasSize(3));
        assertThat(cluster.broker(p.leaderId()).replicaManager().isrExpands()).isPositive();
        assertThat(producer.send(strict, null, bytes("recovered")).get(30, TimeUnit.SECONDS).offset()).isEqualTo(1);
        awaitIdenticalReplicas(TP, controllerView().partition(TP).orElseThrow().leaderId(), List.of(1, 2, 3));
    }

    // ---------------------------------------------------------------- helpers

    private void createTopic(String name, int minIsr) {
        cluster.running().values().iterator().next().metadata()
                .createTopic(name, 1, 3, Map.of(Topics.MIN_INSYNC_REPLICAS, Integer.toString(minIsr))).join();
    }

    /** The metadata as a running broker has it (every broker follows the same committed log). */
    private MetadataStore controllerView() {
        SluiceBroker controller = cluster.controller();
        return controller != null ? controller.metadata() : cluster.running().values().iterator().next().metadata();
    }

    private Partition leaderPartition(TopicPartition tp) {
        int leader = controllerView().partition(tp).orElseThrow().leaderId();
        return cluster.broker(leader).replicaManager().partition(tp);
    }

    private PartitionRecord awaitFullIsr(TopicPartition tp) {
        return await().atMost(PATIENCE).until(() -> {
            PartitionRecord p = controllerView().partition(tp).orElse(null);
            if (p == null || p.isr().size() != 3 || p.leaderId() < 0) {
                return null;
            }
            for (int id : p.replicas()) {
                Partition local = cluster.broker(id).replicaManager().partition(tp);
                if (local == null || local.leaderEpoch() != p.leaderEpoch()) {
                    return null;
                }
            }
            Partition leader = cluster.broker(p.leaderId()).replicaManager().partition(tp);
            return leader.isLeader() && leader.inSyncReplicas().size() == 3 ? p : null;
        }, r -> r != null);
    }

    private Producer producer(int retries) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(ProducerConfig.BOOTSTRAP_SERVERS, cluster.bootstrap());
        settings.put(ProducerConfig.ACKS, "all");
        settings.put(ProducerConfig.ENABLE_IDEMPOTENCE, "true");
        settings.put(ProducerConfig.RETRIES, Integer.toString(retries));
        settings.put(ProducerConfig.RETRY_BACKOFF_MS, "50");
        settings.put(ProducerConfig.REQUEST_TIMEOUT_MS, "5000");
        settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS, "60000");
        settings.put(ProducerConfig.LINGER_MS, "1");
        Producer producer = Producer.create(settings);
        cluster.closeLater(producer);
        return producer;
    }

    private final Set<Long> ackedTwice = ConcurrentHashMap.newKeySet();

    private CompletableFuture<RecordMetadata> send(Producer producer, long n, Map<Long, String> acked) {
        String value = "value-" + n;
        return producer.send(TOPIC, null, bytes(value)).whenComplete((m, e) -> {
            if (e == null && acked.putIfAbsent(m.offset(), value) != null) {
                ackedTwice.add(m.offset());
            }
        });
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Every record of {@code tp} below the leader's high watermark, by offset, read with the consumer. */
    private Map<Long, String> readAll(TopicPartition tp, int leader) {
        long end = cluster.broker(leader).replicaManager().partition(tp).highWatermark();
        return cluster.readAll(tp, end, PATIENCE);
    }

    /** Waits until every replica's log end and high watermark equal the leader's, then compares their bytes. */
    private void awaitIdenticalReplicas(TopicPartition tp, int leader, List<Integer> ids) throws Exception {
        await().atMost(PATIENCE).until(() -> {
            Partition l = cluster.broker(leader).replicaManager().partition(tp);
            long hw = l.highWatermark();
            if (hw != l.logEndOffset()) {
                return false;
            }
            for (int id : ids) {
                Partition p = cluster.broker(id).replicaManager().partition(tp);
                if (p == null || p.logEndOffset() != hw || p.highWatermark() != hw) {
                    return false;
                }
            }
            return true;
        });
        long hw = cluster.broker(leader).replicaManager().partition(tp).highWatermark();
        byte[] expected = LogBytes.below(cluster.broker(leader).replicaManager().partition(tp), hw);
        assertThat(expected.length).isPositive();
        for (int id : ids) {
            assertThat(LogBytes.below(cluster.broker(id).replicaManager().partition(tp), hw))
                    .as("broker %d's log below the high watermark %d", id, hw).isEqualTo(expected);
        }
    }
}
