package io.sluice.broker.metadata;

import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.state.KeyValue;
import io.sluice.broker.state.StoreBatch;
import io.sluice.broker.state.StoreFamily;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata of a one-node cluster, kept in the {@link BrokerStore}'s {@code metadata} family: this node is the
 * only broker, the controller, and the leader of every partition at epoch 0 with ISR [itself].
 *
 * <p>Thread-safety: changes run one at a time on the single "sluice-metadata" thread, which writes the store
 * (synced), then updates the in-memory image, then tells the listeners, then completes the caller's future. Reads
 * come from any thread and see the image through concurrent maps: a topic is published after its partitions and
 * removed before them, so a reader that finds a topic finds its partitions.
 */
public final class LocalMetadataStore implements MetadataStore, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalMetadataStore.class);

    private final BrokerStore store;
    private final BrokerRecord self;
    private final String clusterId;
    private final ExecutorService thread;
    private final ConcurrentHashMap<String, TopicRecord> topics = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, List<PartitionRecord>> partitions = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<MetadataListener> listeners = new CopyOnWriteArrayList<>();
    /** Confined to the metadata thread after construction. */
    private long nextProducerId;

    /**
     * Loads the image from {@code store} (blocking: call it at start, not from an event loop), making and persisting
     * the cluster id if this is the node's first start. The store stays the caller's to close.
     */
    public LocalMetadataStore(BrokerStore store, BrokerRecord self) {
        this.store = store;
        this.self = self;
        this.clusterId = loadOrCreateClusterId(store);
        byte[] next = store.get(StoreFamily.METADATA, MetadataCodec.NEXT_PRODUCER_ID_KEY);
        this.nextProducerId = next == null ? 0 : ByteBuffer.wrap(next).getLong();
        loadImage();
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sluice-metadata");
            t.setDaemon(true);
            return t;
        });
    }

    private static String loadOrCreateClusterId(BrokerStore store) {
        byte[] stored = store.get(StoreFamily.METADATA, MetadataCodec.CLUSTER_ID_KEY);
        if (stored != null) {
            return new String(stored, StandardCharsets.UTF_8);
        }
        // Kafka's form: a random UUID as 22 characters of URL-safe base64.
        UUID uuid = UUID.randomUUID();
        ByteBuffer raw = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits());
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(raw.array());
        store.put(StoreFamily.METADATA, MetadataCodec.CLUSTER_ID_KEY, id.getBytes(StandardCharsets.UTF_8));
        log.info("formed a new cluster {} in {}", id, store.path());
        return id;
    }

    private void loadImage() {
        Map<String, List<PartitionRecord>> byTopic = new HashMap<>();
        for (KeyValue kv : store.scan(StoreFamily.METADATA, MetadataCodec.bytes(MetadataCodec.PARTITION_PREFIX))) {
            PartitionRecord p = MetadataCodec.decodePartition(kv.value());
            byTopic.computeIfAbsent(p.tp().topic(), t -> new ArrayList<>()).add(p);
        }
        for (KeyValue kv : store.scan(StoreFamily.METADATA, MetadataCodec.bytes(MetadataCodec.TOPIC_PREFIX))) {
            TopicRecord t = MetadataCodec.decodeTopic(kv.value());
            List<PartitionRecord> ps = byTopic.getOrDefault(t.name(), List.of());
            ps.sort(Comparator.comparingInt(p -> p.tp().partition()));
            if (ps.size() != t.partitions()) {
                // Topic and partitions are written in one atomic batch, so this is damage, not a torn write.
                throw new IllegalStateException(store.path() + ": topic " + t.name() + " has " + t.partitions()
                        + " partitions but the store holds " + ps.size() + " partition records");
            }
            partitions.put(t.name(), List.copyOf(ps));
            topics.put(t.name(), t);
        }
    }

    // ---------------------------------------------------------------- changes (metadata thread)

    @Override
    public CompletableFuture<TopicRecord> createTopic(String name, int partitionCount, int replicationFactor,
                                                      Map<String, String> configs) {
        return submit(() -> create(name, partitionCount, replicationFactor, configs, false));
    }

    @Override
    public CompletableFuture<TopicRecord> createInternalTopic(String name, int partitionCount, int replicationFactor,
                                                              Map<String, String> configs) {
        return submit(() -> create(name, partitionCount, replicationFactor, configs, true));
    }

    private TopicRecord create(String name, int partitionCount, int replicationFactor, Map<String, String> configs,
                               boolean internal) {
        Topics.validateName(name, internal);
        if (topics.containsKey(name)) {
            throw new MetadataException(ErrorCode.TOPIC_ALREADY_EXISTS, "topic '" + name + "' already exists");
        }
        for (String existing : topics.keySet()) {
            if (Topics.collisionKey(existing).equals(Topics.collisionKey(name))) {
                throw new MetadataException(ErrorCode.INVALID_TOPIC, "topic '" + name + "' collides with existing topic '"
                        + existing + "': '.' and '_' are the same in metric names");
            }
        }
        Topics.validatePartitions(partitionCount);
        Topics.validateReplicationFactor(replicationFactor, brokers().size());
        Map<String, String> configCopy = configs == null ? Map.of() : new TreeMap<>(configs);
        Topics.validateConfigs(configCopy);

        TopicRecord topic = new TopicRecord(name, newTopicId(), partitionCount, replicationFactor, configCopy,
                Topics.isInternal(name));
        List<PartitionRecord> ps = new ArrayList<>(partitionCount);
        StoreBatch batch = new StoreBatch().put(StoreFamily.METADATA, MetadataCodec.topicKey(name),
                MetadataCodec.encodeTopic(topic));
        for (int i = 0; i < partitionCount; i++) {
            PartitionRecord p = new PartitionRecord(new TopicPartition(name, i), self.nodeId(), 0,
                    List.of(self.nodeId()), List.of(self.nodeId()), 0);
            ps.add(p);
            batch.put(StoreFamily.METADATA, MetadataCodec.partitionKey(p.tp()), MetadataCodec.encodePartition(p));
        }
        store.write(batch); // synced: the metadata family promises durability
        List<PartitionRecord> published = List.copyOf(ps);
        partitions.put(name, published);
        topics.put(name, topic);
        log.info("created topic {} ({} partitions, configs {})", name, partitionCount, configCopy);
        for (MetadataListener l : listeners) {
            notify(l, () -> l.onTopicCreated(topic, published), "onTopicCreated " + name);
        }
        return topic;
    }

    private static String newTopicId() {
        UUID uuid = UUID.randomUUID();
        return uuid.toString();
    }

    @Override
    public CompletableFuture<Void> deleteTopic(String name) {
        return submit(() -> {
            TopicRecord topic = topics.get(name);
            if (topic == null) {
                throw new MetadataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + name + "' does not exist");
            }
            if (topic.internal()) {
                throw new MetadataException(ErrorCode.INVALID_TOPIC, "topic '" + name + "' is internal and cannot be deleted");
            }
            store.write(new StoreBatch()
                    .delete(StoreFamily.METADATA, MetadataCodec.topicKey(name))
                    .deletePrefix(StoreFamily.METADATA, MetadataCodec.partitionPrefix(name)));
            topics.remove(name);
            partitions.remove(name);
            log.info("deleted topic {}", name);
            for (MetadataListener l : listeners) {
                notify(l, () -> l.onTopicDeleted(topic), "onTopicDeleted " + name);
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<Long> allocateProducerIds(int blockSize) {
        return submit(() -> {
            if (blockSize < 1) {
                throw new IllegalArgumentException("producer id block size " + blockSize + " must be positive");
            }
            long first = nextProducerId;
            long next;
            try {
                next = Math.addExact(first, blockSize);
            } catch (ArithmeticException e) {
                throw new IllegalStateException("producer ids are exhausted at " + first, e);
            }
            // Persisted (synced) before the block is handed out, so a crash can only waste ids, never reuse them.
            store.put(StoreFamily.METADATA, MetadataCodec.NEXT_PRODUCER_ID_KEY,
                    ByteBuffer.allocate(Long.BYTES).putLong(next).array());
            nextProducerId = next;
            return first;
        });
    }

    @Override
    public CompletableFuture<Void> addListener(MetadataListener listener) {
        return submit(() -> {
            for (TopicRecord t : topics()) {
                List<PartitionRecord> ps = partitions(t.name());
                notify(listener, () -> listener.onTopicCreated(t, ps), "replay of " + t.name());
            }
            listeners.add(listener);
            return null;
        });
    }

    @Override
    public void removeListener(MetadataListener listener) {
        listeners.remove(listener);
    }

    private static void notify(MetadataListener listener, Runnable call, String what) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.error("metadata listener {} failed on {}; the change stands and the other listeners are told",
                    listener, what, e);
        }
    }

    private <T> CompletableFuture<T> submit(Supplier<T> change) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                T value;
                try {
                    value = change.get();
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                    return;
                }
                result.complete(value);
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("metadata store is closed", e));
        }
        return result;
    }

    // ---------------------------------------------------------------- reads (any thread)

    @Override
    public Optional<TopicRecord> topic(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    @Override
    public List<TopicRecord> topics() {
        List<TopicRecord> all = new ArrayList<>(topics.values());
        all.sort(Comparator.comparing(TopicRecord::name));
        return all;
    }

    @Override
    public Optional<PartitionRecord> partition(TopicPartition tp) {
        List<PartitionRecord> ps = partitions.get(tp.topic());
        return ps == null || tp.partition() >= ps.size() ? Optional.empty() : Optional.of(ps.get(tp.partition()));
    }

    @Override
    public List<PartitionRecord> partitions(String topic) {
        return partitions.getOrDefault(topic, List.of());
    }

    @Override
    public List<BrokerRecord> brokers() {
        return List.of(self);
    }

    @Override
    public int controllerId() {
        return self.nodeId();
    }

    @Override
    public String clusterId() {
        return clusterId;
    }

    /** Lets changes already submitted finish (bounded), then stops the metadata thread. The store is not closed. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("metadata thread did not finish its queued changes in 30 s; stopping it");
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
