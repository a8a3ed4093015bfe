package io.sluice.broker.testing;

import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.server.BrokerConfig;
import io.sluice.client.consumer.Consumer;
import io.sluice.client.consumer.ConsumerConfig;
import io.sluice.client.consumer.ConsumerRecord;
import io.sluice.proto.TopicPartition;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import io.sluice.broker.server.SluiceBroker;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Real brokers in one JVM: brokers {@code 1..voters} are the controller voters, the next {@code observers} ones
 * are not (they follow the metadata as Ratis listeners on a {@code controller.quorum.observer.address} of their
 * own). Listeners on ephemeral ports, Ratis ports picked free once (the voters list names them, an observer keeps
 * its across restarts), data in {@code dir/broker-<id>}. Brokers start in parallel, since each one waits for a
 * quorum majority; {@link #stop} and {@link #start} stop and restart one on the same data.
 */
public final class TestCluster implements AutoCloseable {
    private final Path dir;
    private final Map<String, String> overrides;
    private final String voters;
    private final int size;
    /** Ratis addresses of the brokers that are not voters, by node id. */
    private final Map<Integer, String> observers = new HashMap<>();
    private final Map<Integer, SluiceBroker> running = new ConcurrentHashMap<>();
    /** Clients and the like a test opened on this cluster, closed (last first) before the brokers stop. */
    private final List<AutoCloseable> resources = new ArrayList<>();

    /** {@code size} brokers, every one a controller voter. */
    public TestCluster(Path dir, int size, Map<String, String> overrides) {
        this(dir, size, 0, overrides);
    }

    /** {@code voters} brokers that are controller voters and {@code observers} more that are not. */
    public TestCluster(Path dir, int voters, int observers, Map<String, String> overrides) {
        this.dir = dir;
        this.size = voters + observers;
        this.overrides = overrides;
        StringJoiner v = new StringJoiner(",");
        for (int id = 1; id <= voters; id++) {
            v.add(id + "@127.0.0.1:" + FreePorts.next());
        }
        this.voters = v.toString();
        for (int id = voters + 1; id <= size; id++) {
            this.observers.put(id, "127.0.0.1:" + FreePorts.next());
        }
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (int id = 1; id <= size; id++) {
            int node = id;
            starts.add(CompletableFuture.runAsync(() -> start(node)));
        }
        try {
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            // A broker still starting is not in `running` yet: wait for every start to end (each gives up after
            // its own quorum timeout) so that close() stops them all and no Ratis server outlives the cluster.
            for (CompletableFuture<Void> s : starts) {
                try {
                    s.join();
                } catch (RuntimeException ignored) {
                    // reported through e
                }
            }
            close();
            throw new IllegalStateException("the test cluster did not start", e);
        }
    }

    public void start(int id) {
        Map<String, String> settings = new HashMap<>();
        settings.put(BrokerConfig.NODE_ID, Integer.toString(id));
        settings.put(BrokerConfig.LISTENERS, "127.0.0.1:0");
        settings.put(BrokerConfig.METRICS_PORT, "0");
        settings.put(BrokerConfig.LOG_DIRS, dir.resolve("broker-" + id).toString());
        settings.put(BrokerConfig.CONTROLLER_QUORUM_VOTERS, voters);
        if (observers.containsKey(id)) {
            settings.put(BrokerConfig.CONTROLLER_QUORUM_OBSERVER_ADDRESS, observers.get(id));
        }
        settings.put(BrokerConfig.LOG_SEGMENT_BYTES, Integer.toString(8 << 20));
        settings.put(BrokerConfig.LOG_SEGMENT_PREFILL_BYTES, Integer.toString(1 << 20));
        settings.put(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, "2");
        // Every broker holds a replica of __consumer_offsets (Kafka's 3 for three or more).
        settings.put(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, Integer.toString(Math.min(3, size)));
        settings.putAll(overrides);
        running.put(id, SluiceBroker.start(BrokerConfig.of(settings)));
    }

    /** Whether broker {@code id} is a controller voter (else an observer). */
    public boolean isVoter(int id) {
        return !observers.containsKey(id);
    }

    /** Stops broker {@code id} (a clean shutdown: its controller quorum member stops too). */
    public void stop(int id) {
        SluiceBroker b = running.remove(id);
        if (b != null) {
            b.close();
        }
    }

    public SluiceBroker broker(int id) {
        SluiceBroker b = running.get(id);
        if (b == null) {
            throw new IllegalStateException("broker " + id + " is not running");
        }
        return b;
    }

    public Map<Integer, SluiceBroker> running() {
        return Map.copyOf(running);
    }

    /** The running brokers' listeners, as a client's {@code bootstrap.servers}. */
    public String bootstrap() {
        StringJoiner j = new StringJoiner(",");
        running.values().forEach(b -> j.add(b.bootstrap()));
        return j.toString();
    }

    /**
     * Every record of {@code tp} from offset 0 up to {@code end}, read with a consumer: its value as UTF-8, by
     * offset. Fails on an offset read twice; returns what it read when {@code patience} runs out first.
     */
    public Map<Long, String> readAll(TopicPartition tp, long end, Duration patience) {
        Map<Long, String> read = new HashMap<>();
        try (Consumer consumer = Consumer.create(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS, bootstrap()))) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + patience.toNanos();
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord r : consumer.poll(Duration.ofMillis(500))) {
                    ByteBuffer v = r.value();
                    byte[] b = new byte[v.remaining()];
                    v.get(b);
                    if (read.put(r.offset(), new String(b, StandardCharsets.UTF_8)) != null) {
                        throw new AssertionError(tp + ": offset " + r.offset() + " read twice");
                    }
                }
            }
        }
        return read;
    }

    /** Closes {@code resource} at {@link #close()}, before any broker stops. Returns it. */
    public synchronized <T extends AutoCloseable> T closeLater(T resource) {
        resources.add(resource);
        return resource;
    }

    /** The node ids of the live (registered, unfenced) brokers in {@code metadata}'s image. */
    public static List<Integer> liveBrokerIds(MetadataStore metadata) {
        return metadata.brokers().stream().map(BrokerRecord::nodeId).toList();
    }

    /** Broker {@code id}'s registration in {@code metadata}'s image, fenced or not. */
    public static BrokerRegistration registration(MetadataStore metadata, int id) {
        return metadata.registrations().stream().filter(b -> b.nodeId() == id).findFirst().orElseThrow();
    }

    /** The running broker that is the active controller now, or null during an election. */
    public SluiceBroker controller() {
        return running.values().stream().filter(b -> b.metadata().isActiveController()).findFirst().orElse(null);
    }

    public int size() {
        return size;
    }

    /**
     * Stops every broker, one after the other: each moves its leaderships away first (controlled shutdown), which
     * needs a quorum majority, so stopping them all at once would leave the last ones waiting for it in vain. The
     * observers go first, while the voters still form one.
     */
    @Override
    public void close() {
        List<AutoCloseable> opened;
        synchronized (this) {
            opened = new ArrayList<>(resources);
            resources.clear();
        }
        RuntimeException failure = null;
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing " + opened.get(i) + " failed", e);
                }
            }
        }
        List<Integer> order = new ArrayList<>(running.keySet());
        order.sort(java.util.Comparator.comparing((Integer id) -> isVoter(id)).thenComparing(id -> id));
        for (int id : order) {
            stop(id);
        }
        if (failure != null) {
            throw failure;
        }
    }
}
