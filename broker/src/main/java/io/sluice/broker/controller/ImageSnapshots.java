package io.sluice.broker.controller;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.broker.controller.command.BrokerState;
import io.sluice.broker.controller.command.ImageSnapshot;
import io.sluice.broker.controller.command.PartitionState;
import io.sluice.broker.controller.command.TopicState;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataCodec;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.state.KeyValue;
import io.sluice.broker.state.StoreBatch;
import io.sluice.broker.state.StoreFamily;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.ratis.server.protocol.TermIndex;

/**
 * The controller's snapshot: the whole {@link ClusterImage} in the broker store's {@code metadata} family, written in
 * one atomic (synced) batch together with the Raft term and index it reflects. Keys:
 *
 * <pre>
 *   topic/&lt;name&gt;, partition/&lt;name&gt;/&lt;n&gt;, cluster.id, producer.id.next   as {@link MetadataCodec} (the
 *                                                                   single-node layout, so its data loads as an
 *                                                                   image at index 0)
 *   broker/&lt;id&gt;                   BrokerState (protobuf)
 *   controller.snapshot            int64 term, int64 index
 * </pre>
 *
 * A snapshot replaces the previous one entirely (the batch deletes the prefixes before it writes). Stateless.
 */
final class ImageSnapshots {
    static final String BROKER_PREFIX = "broker/";
    static final byte[] SNAPSHOT_KEY = "controller.snapshot".getBytes(StandardCharsets.UTF_8);

    private ImageSnapshots() {
    }

    /** A loaded snapshot; {@code termIndex} is null when the store holds an image that no snapshot wrote (or none). */
    record Loaded(ClusterImage image, TermIndex termIndex) {
    }

    static void write(BrokerStore store, ClusterImage image, TermIndex termIndex) {
        StoreBatch batch = new StoreBatch()
                .deletePrefix(StoreFamily.METADATA, MetadataCodec.bytes(MetadataCodec.TOPIC_PREFIX))
                .deletePrefix(StoreFamily.METADATA, MetadataCodec.bytes(MetadataCodec.PARTITION_PREFIX))
                .deletePrefix(StoreFamily.METADATA, MetadataCodec.bytes(BROKER_PREFIX));
        for (TopicRecord t : image.topics()) {
            batch.put(StoreFamily.METADATA, MetadataCodec.topicKey(t.name()), MetadataCodec.encodeTopic(t));
        }
        for (PartitionRecord p : image.allPartitions()) {
            batch.put(StoreFamily.METADATA, MetadataCodec.partitionKey(p.tp()), MetadataCodec.encodePartition(p));
        }
        for (BrokerRegistration b : image.brokers()) {
            batch.put(StoreFamily.METADATA, MetadataCodec.bytes(BROKER_PREFIX + b.nodeId()),
                    ControllerCodec.toState(b).toByteArray());
        }
        if (!image.clusterId().isEmpty()) {
            batch.put(StoreFamily.METADATA, MetadataCodec.CLUSTER_ID_KEY,
                    image.clusterId().getBytes(StandardCharsets.UTF_8));
        }
        batch.put(StoreFamily.METADATA, MetadataCodec.NEXT_PRODUCER_ID_KEY,
                ByteBuffer.allocate(Long.BYTES).putLong(image.nextProducerId()).array());
        batch.put(StoreFamily.METADATA, SNAPSHOT_KEY,
                ByteBuffer.allocate(2 * Long.BYTES).putLong(termIndex.getTerm()).putLong(termIndex.getIndex()).array());
        store.write(batch);
    }

    /** The image as one message, for the snapshot file. */
    static byte[] encode(ClusterImage image) {
        ImageSnapshot.Builder b = ImageSnapshot.newBuilder().setClusterId(image.clusterId())
                .setNextProducerId(image.nextProducerId());
        for (BrokerRegistration r : image.brokers()) {
            b.addBrokers(ControllerCodec.toState(r));
        }
        for (TopicRecord t : image.topics()) {
            b.addTopics(TopicState.newBuilder().setName(t.name()).setTopicId(t.topicId()).setPartitions(t.partitions())
                    .setReplicationFactor(t.replicationFactor()).putAllConfigs(t.configs()).setInternal(t.internal()));
        }
        for (PartitionRecord p : image.allPartitions()) {
            b.addPartitions(ControllerCodec.toState(p));
        }
        return b.build().toByteArray();
    }

    static ClusterImage decode(byte[] bytes) throws InvalidProtocolBufferException {
        ImageSnapshot s = ImageSnapshot.parseFrom(bytes);
        ClusterImage image = new ClusterImage();
        image.setClusterId(s.getClusterId());
        image.setNextProducerId(s.getNextProducerId());
        for (BrokerState b : s.getBrokersList()) {
            image.putBroker(ControllerCodec.fromState(b));
        }
        Map<String, List<PartitionRecord>> byTopic = new HashMap<>();
        for (PartitionState p : s.getPartitionsList()) {
            byTopic.computeIfAbsent(p.getTopic(), t -> new ArrayList<>()).add(ControllerCodec.fromState(p));
        }
        for (TopicState t : s.getTopicsList()) {
            List<PartitionRecord> ps = byTopic.getOrDefault(t.getName(), new ArrayList<>());
            ps.sort(Comparator.comparingInt(p -> p.tp().partition()));
            image.putTopic(new TopicRecord(t.getName(), t.getTopicId(), t.getPartitions(), t.getReplicationFactor(),
                    new TreeMap<>(t.getConfigsMap()), t.getInternal()), ps);
        }
        return image;
    }

    static Loaded load(BrokerStore store) {
        ClusterImage image = new ClusterImage();
        byte[] clusterId = store.get(StoreFamily.METADATA, MetadataCodec.CLUSTER_ID_KEY);
        if (clusterId != null) {
            image.setClusterId(new String(clusterId, StandardCharsets.UTF_8));
        }
        byte[] next = store.get(StoreFamily.METADATA, MetadataCodec.NEXT_PRODUCER_ID_KEY);
        image.setNextProducerId(next == null ? 0 : ByteBuffer.wrap(next).getLong());
        for (KeyValue kv : store.scan(StoreFamily.METADATA, MetadataCodec.bytes(BROKER_PREFIX))) {
            try {
                image.putBroker(ControllerCodec.fromState(BrokerState.parseFrom(kv.value())));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException(store.path() + ": broker record "
                        + new String(kv.key(), StandardCharsets.UTF_8) + " is corrupt", e);
            }
        }
        Map<String, List<PartitionRecord>> byTopic = new HashMap<>();
        for (KeyValue kv : store.scan(StoreFamily.METADATA, MetadataCodec.bytes(MetadataCodec.PARTITION_PREFIX))) {
            PartitionRecord p = MetadataCodec.decodePartition(kv.value());
            byTopic.computeIfAbsent(p.tp().topic(), t -> new ArrayList<>()).add(p);
        }
        for (KeyValue kv : store.scan(StoreFamily.METADATA, MetadataCodec.bytes(MetadataCodec.TOPIC_PREFIX))) {
            TopicRecord t = MetadataCodec.decodeTopic(kv.value());
            List<PartitionRecord> ps = byTopic.getOrDefault(t.name(), new ArrayList<>());
            ps.sort(Comparator.comparingInt(p -> p.tp().partition()));
            if (ps.size() != t.partitions()) {
                // Written in one atomic batch, so this is damage, not a torn write.
                throw new IllegalStateException(store.path() + ": topic " + t.name() + " has " + t.partitions()
                        + " partitions but the store holds " + ps.size() + " partition records");
            }
            image.putTopic(t, ps);
        }
        byte[] ti = store.get(StoreFamily.METADATA, SNAPSHOT_KEY);
        TermIndex termIndex = null;
        if (ti != null) {
            ByteBuffer b = ByteBuffer.wrap(ti);
            termIndex = TermIndex.valueOf(b.getLong(), b.getLong());
        }
        return new Loaded(image, termIndex);
    }
}
