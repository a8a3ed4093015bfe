package io.sluice.broker.controller;

import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.proto.TopicPartition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The metadata as request handlers read it: the {@link ClusterImage} as of the last change the metadata thread
 * published. It may trail the state machine by the changes still queued for the listeners, never by more, so what a
 * reader sees the listeners have seen too (or are being told).
 *
 * <p>Thread-safety: written by the metadata thread only ({@link #apply}), read from any thread through concurrent
 * maps. A topic is published after its partitions and removed before them, so a reader that finds a topic finds
 * its partitions.
 */
final class PublishedImage {
    private volatile String clusterId;
    private final ConcurrentHashMap<Integer, BrokerRegistration> brokers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, TopicRecord> topics = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, List<PartitionRecord>> partitions = new ConcurrentHashMap<>();

    PublishedImage(ClusterImage initial) {
        clusterId = initial.clusterId();
        for (BrokerRegistration b : initial.brokers()) {
            brokers.put(b.nodeId(), b);
        }
        for (TopicRecord t : initial.topics()) {
            partitions.put(t.name(), initial.partitions(t.name()));
            topics.put(t.name(), t);
        }
    }

    /** Metadata thread only. */
    void apply(MetadataDelta delta) {
        if (delta instanceof MetadataDelta.ClusterIdSet c) {
            clusterId = c.clusterId();
        } else if (delta instanceof MetadataDelta.BrokerChanged b) {
            brokers.put(b.broker().nodeId(), b.broker());
        } else if (delta instanceof MetadataDelta.TopicCreated t) {
            partitions.put(t.topic().name(), t.partitions());
            topics.put(t.topic().name(), t.topic());
        } else if (delta instanceof MetadataDelta.TopicDeleted t) {
            topics.remove(t.topic().name());
            partitions.remove(t.topic().name());
        } else if (delta instanceof MetadataDelta.PartitionChanged p) {
            partitions.computeIfPresent(p.partition().tp().topic(), (k, ps) -> {
                List<PartitionRecord> copy = new ArrayList<>(ps);
                copy.set(p.partition().tp().partition(), p.partition());
                return List.copyOf(copy);
            });
        }
    }

    /** The cluster id, empty until the first controller set it. */
    String clusterId() {
        return clusterId;
    }

    Optional<TopicRecord> topic(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    List<TopicRecord> topics() {
        List<TopicRecord> all = new ArrayList<>(topics.values());
        all.sort(Comparator.comparing(TopicRecord::name));
        return all;
    }

    Optional<PartitionRecord> partition(TopicPartition tp) {
        List<PartitionRecord> ps = partitions.get(tp.topic());
        return ps == null || tp.partition() < 0 || tp.partition() >= ps.size() ? Optional.empty()
                : Optional.of(ps.get(tp.partition()));
    }

    List<PartitionRecord> partitions(String topic) {
        return partitions.getOrDefault(topic, List.of());
    }

    Optional<BrokerRegistration> broker(int id) {
        return Optional.ofNullable(brokers.get(id));
    }

    List<BrokerRegistration> brokers() {
        List<BrokerRegistration> all = new ArrayList<>(brokers.values());
        all.sort(Comparator.comparingInt(BrokerRegistration::nodeId));
        return all;
    }
}
