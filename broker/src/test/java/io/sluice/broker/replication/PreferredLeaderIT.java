package io.sluice.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.Topics;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.server.BrokerConfig;
import io.sluice.broker.server.SluiceBroker;
import io.sluice.broker.testing.TestCluster;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leadership returns home after a failover: three real brokers, a broker stops (its leaderships move to other ISR
 * members), restarts, catches up, and then leads its preferred partitions again at a higher leader epoch, moved by
 * the active controller's automatic rebalance (a one-second interval here) or by {@code sluice-topics elect-leaders};
 * producers with acks=all keep going throughout and nothing acknowledged is lost or written twice.
 */
class PreferredLeaderIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String TOPIC = "homes";
    private static final int PARTITIONS = 3;

    @TempDir
    Path dir;
    private TestCluster cluster;
    private Producer producer;
    private final Map<TopicPartition, Map<Long, String>> acked = new ConcurrentHashMap<>();
    private final Set<String> ackedTwice = ConcurrentHashMap.newKeySet();
    private final AtomicLong next = new AtomicLong();

    private void startCluster(boolean autoRebalance) {
        cluster = new TestCluster(dir, 3, Map.of(
                BrokerConfig.BROKER_SESSION_TIMEOUT_MS, "2000",
                BrokerConfig.BROKER_HEARTBEAT_INTERVAL_MS, "500",
                BrokerConfig.REPLICA_LAG_TIME_MAX_MS, "1000",
                BrokerConfig.AUTO_LEADER_REBALANCE_ENABLE, Boolean.toString(autoRebalance),
                BrokerConfig.LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, "1"));
        // Three partitions over three brokers: each broker is the preferred replica of one.
        cluster.running().values().iterator().next().metadata()
                .createTopic(TOPIC, PARTITIONS, 3, Map.of(Topics.MIN_INSYNC_REPLICAS, "2")).join();
        await().atMost(PATIENCE).until(() -> partitions().stream().allMatch(this::homeAndInSync));
    }

    @AfterEach
    void stop() {
        if (producer != null) {
            producer.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aRestartedBrokerLeadsItsPreferredPartitionsAgainAfterTheRebalanceAndNothingIsLost() throws Exception {
        startCluster(true);
        int victim = aBrokerThatIsNotTheController();
        List<TopicPartition> home = preferredBy(victim);
        assertThat(home).isNotEmpty();
        Map<TopicPartition, Integer> epochs = new HashMap<>();

        try (Writer writer = new Writer()) {
            await().atMost(PATIENCE).until(() -> next.get() > 200);
            cluster.stop(victim);
            await().atMost(PATIENCE).until(() -> home.stream().allMatch(tp -> {
                PartitionRecord p = view().partition(tp).orElseThrow();
                return p.leaderId() >= 0 && p.leaderId() != victim;
            }));
            home.forEach(tp -> epochs.put(tp, view().partition(tp).orElseThrow().leaderEpoch()));
            long ackedBefore = ackedCount();
            await().atMost(PATIENCE).until(() -> ackedCount() > ackedBefore + 200);

            cluster.start(victim);
            // Once it is back in the ISR, the next check (within a second or two) moves its partitions home.
            await().atMost(PATIENCE).until(() -> home.stream().allMatch(tp -> {
                PartitionRecord p = view().partition(tp).orElseThrow();
                Partition local = cluster.broker(victim).replicaManager().partition(tp);
                return p.leaderId() == victim && local != null && local.isLeader()
                        && local.leaderEpoch() == p.leaderEpoch();
            }));
            for (TopicPartition tp : home) {
                assertThat(view().partition(tp).orElseThrow().leaderEpoch()).as(tp + " leader epoch")
                        .isGreaterThan(epochs.get(tp));
            }
            assertThat(partitions()).allMatch(p -> p.leaderId() == p.replicas().get(0));
            long ackedAtHome = ackedCount();
            await().atMost(PATIENCE).until(() -> ackedCount() > ackedAtHome + 200);
        }
        assertNothingLost();
    }

    @Test
    void electLeadersMovesLeadershipHomeOnDemandAndSaysWhenItCannot() throws Exception {
        startCluster(false);
        int victim = aBrokerThatIsNotTheController();
        List<TopicPartition> home = preferredBy(victim);
        try (Writer writer = new Writer()) {
            await().atMost(PATIENCE).until(() -> next.get() > 100);
            cluster.stop(victim);
            await().atMost(PATIENCE).until(() -> home.stream()
                    .allMatch(tp -> view().partition(tp).orElseThrow().leaderId() != victim));

            // While it is down its preferred replica is not available, and the tool says so (exit 1).
            TopicPartition first = home.get(0);
            Result down = electLeaders("--topic", TOPIC, "--partition", Integer.toString(first.partition()));
            assertThat(down.code).as(down.err).isEqualTo(1);
            assertThat(down.out).contains("Error completing leader election (PREFERRED) for partition: " + name(first)
                    + ": PREFERRED_LEADER_NOT_AVAILABLE");
            assertThat(down.err).contains("1 of 1 partitions could not be elected");

            cluster.start(victim);
            await().atMost(PATIENCE).until(() -> home.stream()
                    .allMatch(tp -> view().partition(tp).orElseThrow().isr().contains(victim)));
            // With the automatic rebalance off, leadership stays where the failover put it.
            assertThat(home).allMatch(tp -> view().partition(tp).orElseThrow().leaderId() != victim);
            Map<TopicPartition, Integer> epochs = home.stream().collect(Collectors.toMap(tp -> tp,
                    tp -> view().partition(tp).orElseThrow().leaderEpoch()));

            Result moved = electLeaders("--topic", TOPIC);
            assertThat(moved.code).as(moved.err).isZero();
            String elected = home.stream().map(PreferredLeaderIT::name).collect(Collectors.joining(", "));
            assertThat(moved.out).contains("Successfully completed leader election (PREFERRED) for partitions "
                    + elected + "\n").contains("Valid replica already elected for partitions ");
            // The answer comes once the change is in the answering broker's metadata; every broker follows it.
            await().atMost(PATIENCE).until(() -> home.stream().allMatch(tp -> {
                Partition local = cluster.broker(victim).replicaManager().partition(tp);
                return local != null && local.isLeader();
            }));
            for (TopicPartition tp : home) {
                PartitionRecord p = view().partition(tp).orElseThrow();
                assertThat(p.leaderId()).isEqualTo(victim);
                assertThat(p.leaderEpoch()).isGreaterThan(epochs.get(tp));
            }

            // Every partition of every topic (__consumer_offsets too, once the restarted broker is in all ISRs).
            await().atMost(PATIENCE).until(() -> view().topics().stream().flatMap(t -> view().partitions(t.name())
                    .stream()).allMatch(p -> p.isr().size() == 3));
            Result again = electLeaders("--all-topic-partitions");
            assertThat(again.code).as(again.out + again.err).isZero();
            assertThat(again.out.lines().filter(l -> l.startsWith("Valid replica already elected for partitions ")))
                    .singleElement().asString().contains(name(first));
            Result unknown = electLeaders("--topic", "nope");
            assertThat(unknown.code).isEqualTo(1);
            assertThat(unknown.err).isEqualTo("sluice-topics: error: topic nope does not exist\n");
            long ackedAtHome = ackedCount();
            await().atMost(PATIENCE).until(() -> ackedCount() > ackedAtHome + 100);
        }
        assertNothingLost();
    }

    // ---------------------------------------------------------------- helpers

    private record Result(int code, String out, String err) {
    }

    private Result electLeaders(String... args) {
        List<String> all = new ArrayList<>(List.of("--bootstrap", cluster.bootstrap(), "elect-leaders"));
        all.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = SluiceTopics.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String name(TopicPartition tp) {
        return tp.topic() + "-" + tp.partition();
    }

    private MetadataStore view() {
        SluiceBroker controller = cluster.controller();
        return controller != null ? controller.metadata() : cluster.running().values().iterator().next().metadata();
    }

    private List<PartitionRecord> partitions() {
        return view().partitions(TOPIC);
    }

    private List<TopicPartition> preferredBy(int broker) {
        return partitions().stream().filter(p -> p.replicas().get(0) == broker).map(PartitionRecord::tp).toList();
    }

    private int aBrokerThatIsNotTheController() {
        SluiceBroker controller = await().atMost(PATIENCE).until(cluster::controller, c -> c != null);
        return cluster.running().keySet().stream().filter(id -> cluster.broker(id) != controller).findFirst()
                .orElseThrow();
    }

    /** Led by its preferred replica, with every replica in sync and knowing the epoch. */
    private boolean homeAndInSync(PartitionRecord p) {
        if (p.leaderId() != p.replicas().get(0) || p.isr().size() != 3) {
            return false;
        }
        for (int id : p.replicas()) {
            Partition local = cluster.broker(id).replicaManager().partition(p.tp());
            if (local == null || local.leaderEpoch() != p.leaderEpoch()) {
                return false;
            }
        }
        return true;
    }

    private long ackedCount() {
        return acked.values().stream().mapToLong(Map::size).sum();
    }

    /** Every record sent was acknowledged once, and each partition holds exactly the acknowledged records. */
    private void assertNothingLost() {
        assertThat(ackedTwice).as("offsets acknowledged for two records").isEmpty();
        assertThat(ackedCount()).as("every record sent was acknowledged").isEqualTo(next.get());
        for (int p = 0; p < PARTITIONS; p++) {
            TopicPartition tp = new TopicPartition(TOPIC, p);
            Map<Long, String> read = readAll(tp);
            Map<Long, String> expected = acked.getOrDefault(tp, Map.of());
            assertThat(read).as(tp + ": read back").isEqualTo(expected);
        }
    }

    private Map<Long, String> readAll(TopicPartition tp) {
        int leader = view().partition(tp).orElseThrow().leaderId();
        long end = await().atMost(PATIENCE).until(
                () -> cluster.broker(leader).replicaManager().partition(tp).highWatermark(),
                hw -> hw >= acked.getOrDefault(tp, Map.of()).size());
        return cluster.readAll(tp, end, PATIENCE);
    }

    /**
     * Sends keyed records (spread over the partitions) with acks=all and idempotence, a couple of milliseconds apart,
     * until closed; close waits for every send to be answered.
     */
    private final class Writer implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
        private final Thread thread;

        Writer() {
            Map<String, Object> settings = new HashMap<>();
            settings.put(ProducerConfig.BOOTSTRAP_SERVERS, cluster.bootstrap());
            settings.put(ProducerConfig.ACKS, "all");
            settings.put(ProducerConfig.ENABLE_IDEMPOTENCE, "true");
            settings.put(ProducerConfig.RETRIES, Integer.toString(Integer.MAX_VALUE));
            settings.put(ProducerConfig.RETRY_BACKOFF_MS, "50");
            settings.put(ProducerConfig.REQUEST_TIMEOUT_MS, "5000");
            settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS, "60000");
            settings.put(ProducerConfig.LINGER_MS, "1");
            producer = Producer.create(settings);
            thread = new Thread(this::run, "test-writer");
            thread.start();
        }

        private void run() {
            while (running.get()) {
                long n = next.getAndIncrement();
                String value = "value-" + n;
                CompletableFuture<RecordMetadata> f = producer.send(TOPIC, ("k" + n).getBytes(StandardCharsets.UTF_8),
                        value.getBytes(StandardCharsets.UTF_8)).whenComplete((m, e) -> {
                            if (e == null && acked.computeIfAbsent(new TopicPartition(m.topic(), m.partition()),
                                    k -> new ConcurrentHashMap<>()).putIfAbsent(m.offset(), value) != null) {
                                ackedTwice.add(m.partition() + "@" + m.offset());
                            }
                        });
                synchronized (sends) {
                    sends.add(f);
                }
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        @Override
        public void close() throws Exception {
            running.set(false);
            thread.join();
            producer.flush();
            List<CompletableFuture<RecordMetadata>> all;
            synchronized (sends) {
                all = new ArrayList<>(sends);
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
    }
}
