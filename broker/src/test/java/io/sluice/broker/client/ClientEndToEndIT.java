package io.sluice.broker.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.server.BrokerConfig;
import io.sluice.broker.server.SluiceBroker;
import io.sluice.broker.testing.FreePorts;
import io.sluice.broker.testing.DroppingProxy;
import io.sluice.client.admin.Admin;
import io.sluice.client.consumer.Consumer;
import io.sluice.client.consumer.ConsumerRecord;
import io.sluice.client.consumer.ConsumerRecords;
import io.sluice.client.producer.Producer;
import io.sluice.client.producer.ProducerRecord;
import io.sluice.proto.TopicPartition;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client library against a real broker: everything produced is consumed exactly once, verified, across a
 * broker restart and a lost answer; committed offsets survive a restart.
 */
class ClientEndToEndIT {
    private static final int VALUE_SIZE = 100;

    @TempDir
    Path dir;

    private int port;
    private int quorumPort;
    private SluiceBroker broker;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        quorumPort = FreePorts.next();
        startBroker();
    }

    private void startBroker() {
        broker = SluiceBroker.start(BrokerConfig.of(Map.of(
                BrokerConfig.LISTENERS, "127.0.0.1:" + port,
                BrokerConfig.METRICS_PORT, "0",
                BrokerConfig.CONTROLLER_QUORUM_VOTERS, "1@127.0.0.1:" + quorumPort,
                BrokerConfig.LOG_DIRS, dir.resolve("data").toString(),
                BrokerConfig.LOG_SEGMENT_BYTES, Integer.toString(16 << 20),
                BrokerConfig.LOG_SEGMENT_PREFILL_BYTES, Integer.toString(1 << 20),
                BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, "2",
                BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, "1")));
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closeables.add(c);
        return c;
    }

    private String bootstrap() {
        return "127.0.0.1:" + port;
    }

    private Producer producer(String bootstrap) {
        return closeLater(Producer.create(Map.of("bootstrap.servers", bootstrap, "acks", "all",
                "linger.ms", "5", "delivery.timeout.ms", "60000", "request.timeout.ms", "5000", "retry.backoff.ms", "50")));
    }

    private Consumer consumer(String group) {
        Map<String, Object> settings = new HashMap<>(Map.of("bootstrap.servers", bootstrap(), "auto.offset.reset", "earliest"));
        if (group != null) {
            settings.put("group.id", group);
        }
        return closeLater(Consumer.create(settings));
    }

    private static byte[] value(long seq) {
        ByteBuffer b = ByteBuffer.allocate(VALUE_SIZE);
        b.putLong(seq);
        while (b.hasRemaining()) {
            b.put((byte) (seq * 31 + b.position()));
        }
        return b.array();
    }

    /** Sends records seq in [from, to); records every acknowledged seq and the first failure. */
    private static void send(Producer producer, String topic, long from, long to, BitSet acked, AtomicReference<Throwable> failure) {
        for (long seq = from; seq < to; seq++) {
            long s = seq;
            byte[] key = ByteBuffer.allocate(8).putLong(seq).array();
            producer.send(new ProducerRecord(topic, key, value(seq))).whenComplete((md, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                } else {
                    synchronized (acked) {
                        acked.set((int) s);
                    }
                }
            });
        }
    }

    /** Reads every partition of {@code topic} from the start until {@code expected} records came; checks each value. */
    private static BitSet consumeAll(Consumer consumer, String topic, int partitions, long expected) {
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            tps.add(new TopicPartition(topic, p));
        }
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        BitSet seen = new BitSet();
        Map<TopicPartition, Long> nextOffset = new HashMap<>();
        long count = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        // Plain checks rather than AssertJ per record: a million records.
        while (count < expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("consumed " + count + " of " + expected + " within 120 s");
            }
            ConsumerRecords records = consumer.poll(Duration.ofMillis(500));
            for (ConsumerRecord r : records) {
                ByteBuffer v = r.value();
                long seq = v.remaining() >= 8 ? v.getLong(v.position()) : -1;
                if (seq < 0 || !v.equals(ByteBuffer.wrap(value(seq)))) {
                    throw new AssertionError("bad value at " + r.topicPartition() + " offset " + r.offset());
                }
                if (seen.get((int) seq)) {
                    throw new AssertionError("seq " + seq + " seen twice (again at " + r.topicPartition() + " offset " + r.offset() + ")");
                }
                seen.set((int) seq);
                Long next = nextOffset.put(r.topicPartition(), r.offset() + 1);
                if (r.offset() != (next == null ? 0 : next)) {
                    throw new AssertionError(r.topicPartition() + ": offset " + r.offset() + " after " + next);
                }
                count++;
            }
        }
        assertThat(consumer.poll(Duration.ofMillis(300)).count()).as("nothing beyond what was produced").isZero();
        return seen;
    }

    @Test
    void aMillionRecordsAcrossEightPartitionsAreConsumedExactlyOnceAndVerified() {
        try (Admin admin = Admin.create(bootstrap())) {
            admin.createTopic("events", 8, 1, Map.of());
        }
        Producer producer = producer(bootstrap());
        BitSet acked = new BitSet();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int n = 1_000_000;
        long t0 = System.nanoTime();
        send(producer, "events", 0, n, acked, failure);
        producer.flush();
        long t1 = System.nanoTime();
        assertThat(failure.get()).isNull();
        assertThat(acked.cardinality()).isEqualTo(n);

        BitSet seen = consumeAll(consumer(null), "events", 8, n);
        assertThat(seen.cardinality()).isEqualTo(n);
        System.out.printf("1M records: produced in %d ms, consumed in %d ms%n", (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
    }

    @Test
    void aBrokerRestartMidStreamLosesAndDuplicatesNothing() throws Exception {
        try (Admin admin = Admin.create(bootstrap())) {
            admin.createTopic("orders", 4, 1, Map.of());
        }
        Producer producer = producer(bootstrap());
        BitSet acked = new BitSet();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int n = 200_000;
        Thread sender = new Thread(() -> send(producer, "orders", 0, n, acked, failure));
        sender.start();
        while (true) {
            synchronized (acked) {
                if (acked.cardinality() >= 50_000) {
                    break;
                }
            }
            assertThat(failure.get()).isNull();
            Thread.sleep(5);
        }
        broker.close();
        Thread.sleep(500);
        startBroker();
        sender.join();
        producer.flush();
        assertThat(failure.get()).as("every send eventually acknowledged").isNull();
        assertThat(acked.cardinality()).isEqualTo(n);

        BitSet seen = consumeAll(consumer(null), "orders", 4, n);
        assertThat(seen.cardinality()).isEqualTo(n);
    }

    @Test
    void aRetriedBatchWhoseAnswerWasLostIsNotWrittenTwice() throws Exception {
        try (Admin admin = Admin.create(bootstrap())) {
            admin.createTopic("payments", 1, 1, Map.of());
        }
        try (DroppingProxy proxy = new DroppingProxy(port)) {
            Producer producer = producer("127.0.0.1:" + proxy.port());
            BitSet acked = new BitSet();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            send(producer, "payments", 0, 1_000, acked, failure);
            producer.flush();
            proxy.dropNextResponses(3); // the broker appends, the producer never hears: it must retry
            send(producer, "payments", 1_000, 2_000, acked, failure);
            producer.flush();
            send(producer, "payments", 2_000, 3_000, acked, failure);
            producer.flush();
            assertThat(proxy.dropped()).isEqualTo(3);
            assertThat(failure.get()).isNull();
            assertThat(acked.cardinality()).isEqualTo(3_000);
        }
        assertThat(broker.replicaManager().partition(new TopicPartition("payments", 0)).logEndOffset()).isEqualTo(3_000);
        assertThat(consumeAll(consumer(null), "payments", 1, 3_000).cardinality()).isEqualTo(3_000);
    }

    @Test
    void committedOffsetsSurviveARestart() throws Exception {
        try (Admin admin = Admin.create(bootstrap())) {
            admin.createTopic("clicks", 2, 1, Map.of());
        }
        Producer producer = producer(bootstrap());
        BitSet acked = new BitSet();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        send(producer, "clicks", 0, 100, acked, failure);
        producer.flush();
        TopicPartition p0 = new TopicPartition("clicks", 0);
        TopicPartition p1 = new TopicPartition("clicks", 1);
        Consumer c = consumer("dashboards");
        c.commitSync(Map.of(p0, 17L, p1, 3L));
        assertThat(c.committed(Set.of(p0, p1))).containsEntry(p0, 17L).containsEntry(p1, 3L);
        c.close();
        closeables.remove(c);

        broker.close();
        startBroker();
        Consumer again = consumer("dashboards");
        assertThat(again.committed(Set.of(p0, p1))).containsEntry(p0, 17L).containsEntry(p1, 3L);
        assertThat(consumer("someone-else").committed(Set.of(p0))).satisfiesAnyOf(
                m -> assertThat(m).doesNotContainKey(p0),
                m -> assertThat(m.get(p0)).isNull(),
                m -> assertThat(m.get(p0)).isEqualTo(-1L));
    }
}
