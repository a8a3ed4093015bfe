package io.sluice.client.metadata;

import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.BrokerInfo;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.MetadataResponse;
import io.sluice.proto.message.PartitionMetadata;
import io.sluice.proto.message.TopicMetadata;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable snapshot of cluster metadata: brokers by id, and for each known topic its partitions (index =
 * partition number) with leader and epoch. {@link #update} returns a new snapshot; nothing is ever changed in place,
 * so a snapshot may be read from any thread.
 */
public final class Cluster {
    private static final Cluster EMPTY = new Cluster("", -1, Map.of(), Map.of(), Map.of());

    private final String clusterId;
    private final int controllerId;
    private final Map<Integer, Node> nodes;
    private final Map<String, List<PartitionInfo>> topics;
    private final Map<String, ErrorCode> topicErrors;

    private Cluster(String clusterId, int controllerId, Map<Integer, Node> nodes, Map<String, List<PartitionInfo>> topics,
                    Map<String, ErrorCode> topicErrors) {
        this.clusterId = clusterId;
        this.controllerId = controllerId;
        this.nodes = nodes;
        this.topics = topics;
        this.topicErrors = topicErrors;
    }

    public static Cluster empty() {
        return EMPTY;
    }

    /**
     * This snapshot with {@code response} applied: brokers and controller replaced; topics in the response replaced
     * (or, on a topic-level error, removed and the error kept); other topics kept unless {@code allTopics}, in which
     * case the response is the whole truth.
     */
    public Cluster update(MetadataResponse response, boolean allTopics) {
        Map<Integer, Node> newNodes = new HashMap<>();
        for (BrokerInfo b : response.getBrokersList()) {
            newNodes.put(b.getNodeId(), new Node(b.getNodeId(), b.getHost(), b.getPort()));
        }
        Map<String, List<PartitionInfo>> newTopics = allTopics ? new HashMap<>() : new HashMap<>(topics);
        Map<String, ErrorCode> newErrors = allTopics ? new HashMap<>() : new HashMap<>(topicErrors);
        for (TopicMetadata t : response.getTopicsList()) {
            if (t.getErrorCode() != ErrorCode.NONE) {
                newTopics.remove(t.getName());
                newErrors.put(t.getName(), t.getErrorCode());
                continue;
            }
            newErrors.remove(t.getName());
            List<PartitionMetadata> sorted = new ArrayList<>(t.getPartitionsList());
            sorted.sort(Comparator.comparingInt(PartitionMetadata::getPartition));
            List<PartitionInfo> partitions = new ArrayList<>(sorted.size());
            for (PartitionMetadata p : sorted) {
                partitions.add(new PartitionInfo(new TopicPartition(t.getName(), p.getPartition()),
                        p.getErrorCode() == ErrorCode.NONE || p.getLeaderId() >= 0 ? p.getLeaderId() : -1,
                        p.getLeaderEpoch(), p.getReplicasList(), p.getIsrList(), p.getLogStartOffset(),
                        p.getLogEndOffset(), p.getHighWatermark()));
            }
            newTopics.put(t.getName(), Collections.unmodifiableList(partitions));
        }
        return new Cluster(response.getClusterId(), response.getControllerId(), Collections.unmodifiableMap(newNodes),
                Collections.unmodifiableMap(newTopics), Collections.unmodifiableMap(newErrors));
    }

    public String clusterId() {
        return clusterId;
    }

    public int controllerId() {
        return controllerId;
    }

    public Collection<Node> nodes() {
        return nodes.values();
    }

    /** The broker with this id, or null. */
    public Node node(int id) {
        return nodes.get(id);
    }

    public Set<String> topics() {
        return topics.keySet();
    }

    public boolean hasTopic(String topic) {
        return topics.containsKey(topic);
    }

    /** The error the last metadata answer gave for the topic (e.g. UNKNOWN_TOPIC_OR_PARTITION), or null. */
    public ErrorCode topicError(String topic) {
        return topicErrors.get(topic);
    }

    /** The topic's partitions in partition order, or an empty list when the topic is unknown. */
    public List<PartitionInfo> partitions(String topic) {
        return topics.getOrDefault(topic, List.of());
    }

    /** The number of partitions, or -1 when the topic is unknown. */
    public int partitionCount(String topic) {
        List<PartitionInfo> partitions = topics.get(topic);
        return partitions == null ? -1 : partitions.size();
    }

    /** The partition's metadata, or null. */
    public PartitionInfo partition(TopicPartition tp) {
        List<PartitionInfo> partitions = topics.get(tp.topic());
        if (partitions == null || tp.partition() >= partitions.size()) {
            return null;
        }
        PartitionInfo info = partitions.get(tp.partition());
        return info.partition().partition() == tp.partition() ? info : null;
    }

    /** The leader's node id, or -1 when unknown or offline. */
    public int leader(String topic, int partition) {
        List<PartitionInfo> partitions = topics.get(topic);
        if (partitions == null || partition >= partitions.size()) {
            return -1;
        }
        return partitions.get(partition).leader();
    }

    /** The leader's node, or null when unknown, offline, or not among the known brokers. */
    public Node leaderNode(TopicPartition tp) {
        int leader = leader(tp.topic(), tp.partition());
        return leader < 0 ? null : nodes.get(leader);
    }

    @Override
    public String toString() {
        return "Cluster(" + clusterId + ", controller " + controllerId + ", nodes " + nodes.values() + ", topics "
                + topics.keySet() + ")";
    }
}
