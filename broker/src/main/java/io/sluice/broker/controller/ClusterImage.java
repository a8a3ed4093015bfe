package io.sluice.broker.controller;

import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.proto.TopicPartition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The cluster metadata as the controller's state machine holds it: the cluster id, the registered brokers (epoch,
 * fenced flag), the topics, every partition's leader, leader epoch, replicas, ISR and partition epoch, and the
 * producer-id high-water mark. Every voter holds one and applies the same commands to it in log order, so all of
 * them are equal at equal log indexes ({@link #equals} compares the contents, which tests use).
 *
 * <p>Not thread-safe: confined to the Ratis apply thread (the state machine serializes apply and snapshot).
 * Request handlers read the {@link PublishedImage} instead.
 */
final class ClusterImage {
    private String clusterId = "";
    private long nextProducerId;
    private final TreeMap<Integer, BrokerRegistration> brokers = new TreeMap<>();
    private final TreeMap<String, TopicRecord> topics = new TreeMap<>();
    /** Per topic, its partitions by number. */
    private final TreeMap<String, PartitionRecord[]> partitions = new TreeMap<>();

    String clusterId() {
        return clusterId;
    }

    void setClusterId(String clusterId) {
        this.clusterId = clusterId;
    }

    long nextProducerId() {
        return nextProducerId;
    }

    void setNextProducerId(long nextProducerId) {
        this.nextProducerId = nextProducerId;
    }

    BrokerRegistration broker(int id) {
        return brokers.get(id);
    }

    Collection<BrokerRegistration> brokers() {
        return brokers.values();
    }

    void putBroker(BrokerRegistration b) {
        brokers.put(b.nodeId(), b);
    }

    boolean isLive(int brokerId) {
        BrokerRegistration b = brokers.get(brokerId);
        return b != null && !b.fenced();
    }

    /** The unfenced brokers' ids, ascending. */
    List<Integer> liveBrokerIds() {
        List<Integer> ids = new ArrayList<>();
        for (BrokerRegistration b : brokers.values()) {
            if (!b.fenced()) {
                ids.add(b.nodeId());
            }
        }
        return ids;
    }

    TopicRecord topic(String name) {
        return topics.get(name);
    }

    Collection<TopicRecord> topics() {
        return topics.values();
    }

    void putTopic(TopicRecord topic, List<PartitionRecord> ps) {
        if (ps.size() != topic.partitions()) {
            throw new IllegalArgumentException("topic " + topic.name() + " has " + topic.partitions()
                    + " partitions, got " + ps.size() + " records");
        }
        topics.put(topic.name(), topic);
        partitions.put(topic.name(), ps.toArray(PartitionRecord[]::new));
    }

    void removeTopic(String name) {
        topics.remove(name);
        partitions.remove(name);
    }

    PartitionRecord partition(TopicPartition tp) {
        PartitionRecord[] ps = partitions.get(tp.topic());
        return ps == null || tp.partition() < 0 || tp.partition() >= ps.length ? null : ps[tp.partition()];
    }

    List<PartitionRecord> partitions(String topic) {
        PartitionRecord[] ps = partitions.get(topic);
        return ps == null ? List.of() : List.of(ps);
    }

    void putPartition(PartitionRecord p) {
        PartitionRecord[] ps = partitions.get(p.tp().topic());
        if (ps == null || p.tp().partition() >= ps.length) {
            throw new IllegalArgumentException("no partition " + p.tp() + " to update");
        }
        ps[p.tp().partition()] = p;
    }

    /** Every partition of every topic, topics by name, partitions by number. */
    List<PartitionRecord> allPartitions() {
        List<PartitionRecord> all = new ArrayList<>();
        for (PartitionRecord[] ps : partitions.values()) {
            all.addAll(List.of(ps));
        }
        return all;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ClusterImage other)) {
            return false;
        }
        return clusterId.equals(other.clusterId) && nextProducerId == other.nextProducerId
                && brokers.equals(other.brokers) && topics.equals(other.topics)
                && allPartitions().equals(other.allPartitions());
    }

    @Override
    public int hashCode() {
        return Objects.hash(clusterId, nextProducerId, brokers, topics);
    }

    @Override
    public String toString() {
        return "ClusterImage(cluster " + clusterId + ", next producer id " + nextProducerId + ", brokers "
                + brokers.values() + ", topics " + topics.keySet() + ", partitions " + allPartitions() + ")";
    }

    /** Makes this image equal to {@code other} (a snapshot installed from the leader replaces it). */
    void replaceWith(ClusterImage other) {
        ClusterImage c = other.copy();
        clusterId = c.clusterId;
        nextProducerId = c.nextProducerId;
        brokers.clear();
        brokers.putAll(c.brokers);
        topics.clear();
        topics.putAll(c.topics);
        partitions.clear();
        partitions.putAll(c.partitions);
    }

    /**
     * The changes that turn {@code before} into {@code after}, as the listeners would have heard them had they
     * applied the commands in between: brokers that changed, topics deleted (or re-created under a new id),
     * topics created, partitions changed.
     */
    static List<MetadataDelta> diff(ClusterImage before, ClusterImage after) {
        List<MetadataDelta> out = new ArrayList<>();
        if (!after.clusterId.equals(before.clusterId)) {
            out.add(new MetadataDelta.ClusterIdSet(after.clusterId));
        }
        for (BrokerRegistration b : after.brokers.values()) {
            if (!b.equals(before.brokers.get(b.nodeId()))) {
                out.add(new MetadataDelta.BrokerChanged(b));
            }
        }
        for (TopicRecord t : before.topics.values()) {
            TopicRecord now = after.topics.get(t.name());
            if (now == null || !now.topicId().equals(t.topicId())) {
                out.add(new MetadataDelta.TopicDeleted(t));
            }
        }
        for (TopicRecord t : after.topics.values()) {
            TopicRecord was = before.topics.get(t.name());
            if (was == null || !was.topicId().equals(t.topicId())) {
                out.add(new MetadataDelta.TopicCreated(t, after.partitions(t.name())));
                continue;
            }
            PartitionRecord[] old = before.partitions.get(t.name());
            for (PartitionRecord p : after.partitions.get(t.name())) {
                if (!p.equals(old[p.tp().partition()])) {
                    out.add(new MetadataDelta.PartitionChanged(p));
                }
            }
        }
        return out;
    }

    /** A deep copy (records are immutable; the arrays are not). */
    ClusterImage copy() {
        ClusterImage c = new ClusterImage();
        c.clusterId = clusterId;
        c.nextProducerId = nextProducerId;
        c.brokers.putAll(brokers);
        c.topics.putAll(topics);
        for (Map.Entry<String, PartitionRecord[]> e : partitions.entrySet()) {
            c.partitions.put(e.getKey(), e.getValue().clone());
        }
        return c;
    }
}
