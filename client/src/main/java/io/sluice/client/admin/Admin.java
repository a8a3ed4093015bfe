package io.sluice.client.admin;

import io.sluice.client.ClientConfig;
import io.sluice.client.Futures;
import io.sluice.client.SluiceClient;
import io.sluice.client.errors.Errors;
import io.sluice.client.errors.SluiceException;
import io.sluice.client.errors.UnknownTopicException;
import io.sluice.client.metadata.Cluster;
import io.sluice.client.metadata.Node;
import io.sluice.client.metadata.PartitionInfo;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.CreatableTopic;
import io.sluice.proto.message.CreateTopicsRequest;
import io.sluice.proto.message.DeleteTopicsRequest;
import io.sluice.proto.message.ElectLeadersPartitionResult;
import io.sluice.proto.message.ElectLeadersRequest;
import io.sluice.proto.message.ElectLeadersResponse;
import io.sluice.proto.message.ElectLeadersTopic;
import io.sluice.proto.message.ElectLeadersTopicResult;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.MetadataRequest;
import io.sluice.proto.message.MetadataResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Topic and cluster administration, blocking, each call bounded by request.timeout.ms (retriable errors are retried
 * with backoff within it). Errors are the typed exceptions of {@link io.sluice.client.errors}: e.g.
 * {@link io.sluice.client.errors.TopicExistsException}, {@link io.sluice.client.errors.InvalidConfigException}
 * (naming the key), {@link UnknownTopicException}.
 *
 * <pre>
 * try (Admin admin = Admin.create("127.0.0.1:9292")) {
 *     admin.createTopic("orders", 3, 1, Map.of("retention.ms", "3600000"));
 * }
 * </pre>
 *
 * <p>Thread-safe.
 */
public final class Admin implements AutoCloseable {
    private final SluiceClient client;
    private final int timeoutMs;

    public Admin(ClientConfig config) {
        this.client = new SluiceClient(config);
        this.timeoutMs = config.requestTimeoutMs();
    }

    /** An admin client with default settings for {@code bootstrapServers} ("host:port,..."). */
    public static Admin create(String bootstrapServers) {
        return new Admin(ClientConfig.of(bootstrapServers).withClientId("sluice-admin"));
    }

    /** Creates one topic; partitions and replication factor 0 take the broker's defaults. */
    public void createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
        SluiceException error = createTopics(List.of(new NewTopic(name, partitions, replicationFactor, configs))).get(name);
        if (error != null) {
            throw error;
        }
    }

    /**
     * Creates topics in one request (sent to the controller when metadata names one). Returns the failure of each
     * topic that was not created; an empty map when all were.
     */
    public Map<String, SluiceException> createTopics(Collection<NewTopic> topics) {
        CreateTopicsRequest.Builder req = CreateTopicsRequest.newBuilder().setTimeoutMs(timeoutMs);
        for (NewTopic t : topics) {
            req.addTopics(CreatableTopic.newBuilder().setName(t.name()).setNumPartitions(t.partitions())
                    .setReplicationFactor(t.replicationFactor()).putAllConfigs(t.configs()));
        }
        return topicResults("CreateTopics", () -> sendToController(Request.newBuilder().setCreateTopics(req.clone()))
                .thenApply(frame -> parse(frame, r -> r.getCreateTopics().getTopicsList())));
    }

    /** Deletes topics; returns the failure of each one that was not deleted. */
    public Map<String, SluiceException> deleteTopics(Collection<String> names) {
        DeleteTopicsRequest.Builder req = DeleteTopicsRequest.newBuilder().setTimeoutMs(timeoutMs).addAllTopics(names);
        return topicResults("DeleteTopics", () -> sendToController(Request.newBuilder().setDeleteTopics(req.clone()))
                .thenApply(frame -> parse(frame, r -> r.getDeleteTopics().getTopicsList())));
    }

    /** Deletes one topic. */
    public void deleteTopic(String name) {
        SluiceException error = deleteTopics(List.of(name)).get(name);
        if (error != null) {
            throw error;
        }
    }

    private Map<String, SluiceException> topicResults(String what,
                                                      java.util.function.Supplier<CompletableFuture<List<TopicResult>>> send) {
        // A request-level retriable failure (broker unavailable, timeout) is retried; per-topic errors are answers.
        List<TopicResult> results = Futures.get(client.withRetries(timeoutMs, send), timeoutMs + 1000L, what);
        Map<String, SluiceException> errors = new LinkedHashMap<>();
        for (TopicResult r : results) {
            if (r.getErrorCode() != ErrorCode.NONE) {
                errors.put(r.getName(), Errors.of(r.getErrorCode(), what + " " + r.getName(), r.getErrorMessage()));
            }
        }
        return errors;
    }

    private CompletableFuture<InboundFrame<Response>> sendToController(Request.Builder request) {
        Cluster cluster = client.cluster();
        Node controller = cluster.node(cluster.controllerId());
        return controller != null ? client.send(controller, request, timeoutMs) : client.sendAny(request, timeoutMs);
    }

    /**
     * Preferred leader election (Kafka's {@code kafka-leader-election.sh --election-type PREFERRED}): moves each
     * partition's leadership to its preferred replica, the first of its replicas, where that one is live and in the
     * ISR. Sent to the controller when metadata names one (any broker would pass it on through the quorum).
     *
     * @param partitions per topic, the partition numbers (empty: every partition of the topic); null: every
     *                   partition of every topic
     * @return one result per partition, by topic in the order given, then by partition
     * @throws UnknownTopicException when a named topic does not exist
     * @throws IllegalArgumentException for an illegal topic name or a negative partition
     */
    public List<LeaderElectionResult> electPreferredLeaders(Map<String, ? extends Collection<Integer>> partitions) {
        ElectLeadersRequest.Builder req = ElectLeadersRequest.newBuilder()
                .setAllTopicPartitions(partitions == null);
        if (partitions != null) {
            partitions.forEach((topic, ps) -> {
                for (int p : ps) {
                    new io.sluice.proto.TopicPartition(topic, p); // checks the name and number before sending
                }
                req.addTopics(ElectLeadersTopic.newBuilder().setName(topic).addAllPartitions(ps));
            });
        }
        ElectLeadersResponse response = Futures.get(client.withRetries(timeoutMs, () -> sendToController(
                Request.newBuilder().setElectLeaders(req.clone())).thenApply(f -> parse(f, Response::getElectLeaders))),
                timeoutMs + 1000L, "ElectLeaders");
        List<LeaderElectionResult> out = new ArrayList<>();
        for (ElectLeadersTopicResult t : response.getTopicsList()) {
            if (t.getErrorCode() != ErrorCode.NONE) {
                throw Errors.of(t.getErrorCode(), "elect leaders of topic " + t.getName(), t.getErrorMessage());
            }
            List<ElectLeadersPartitionResult> ps = new ArrayList<>(t.getPartitionsList());
            ps.sort(java.util.Comparator.comparingInt(ElectLeadersPartitionResult::getPartition));
            for (ElectLeadersPartitionResult p : ps) {
                out.add(new LeaderElectionResult(new io.sluice.proto.TopicPartition(t.getName(), p.getPartition()),
                        p.getErrorCode(), p.getErrorMessage()));
            }
        }
        return out;
    }

    /** The names of all topics, internal ones ({@code __consumer_offsets}) included, sorted. */
    public Set<String> listTopics() {
        return listTopics(true);
    }

    /** The names of the topics, sorted; internal ones (created by the broker itself) only when asked for. */
    public Set<String> listTopics(boolean includeInternal) {
        MetadataResponse md = metadata(List.of(), true);
        Set<String> names = new TreeSet<>();
        md.getTopicsList().forEach(t -> {
            if (includeInternal || !t.getInternal()) {
                names.add(t.getName());
            }
        });
        return names;
    }

    /**
     * Describes topics. The log start/end offsets and high watermark of a partition come from its leader: partitions
     * that the first broker asked does not lead are asked of their leaders.
     *
     * @throws UnknownTopicException when a topic does not exist
     */
    public Map<String, TopicDescription> describeTopics(Collection<String> names) {
        MetadataResponse first = metadata(names, false);
        Cluster cluster = Cluster.empty().update(first, false);
        Map<String, TopicDescription> out = new LinkedHashMap<>();
        Map<Integer, List<String>> askLeaders = new HashMap<>();
        for (String name : names) {
            if (!cluster.hasTopic(name)) {
                ErrorCode code = cluster.topicError(name);
                throw code == null || code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                        ? new UnknownTopicException("topic " + name + " does not exist")
                        : Errors.of(code, "describe topic " + name, "");
            }
            for (PartitionInfo p : cluster.partitions(name)) {
                if (!p.hasOffsets() && p.leader() >= 0 && cluster.node(p.leader()) != null) {
                    askLeaders.computeIfAbsent(p.leader(), id -> new ArrayList<>()).add(name);
                }
            }
        }
        Map<io.sluice.proto.TopicPartition, PartitionInfo> fromLeaders = new HashMap<>();
        askLeaders.forEach((leader, topics) -> {
            Node node = cluster.node(leader);
            MetadataResponse md = Futures.get(client.withRetries(timeoutMs, () -> client.send(node,
                    Request.newBuilder().setMetadata(MetadataRequest.newBuilder().addAllTopics(
                            topics.stream().distinct().toList())), timeoutMs).thenApply(f -> parse(f, Response::getMetadata))),
                    timeoutMs + 1000L, "metadata from " + node);
            Cluster c = Cluster.empty().update(md, false);
            for (String t : topics) {
                for (PartitionInfo p : c.partitions(t)) {
                    if (p.hasOffsets()) {
                        fromLeaders.put(p.partition(), p);
                    }
                }
            }
        });
        for (String name : names) {
            List<PartitionInfo> partitions = new ArrayList<>();
            for (PartitionInfo p : cluster.partitions(name)) {
                partitions.add(fromLeaders.getOrDefault(p.partition(), p));
            }
            boolean internal = first.getTopicsList().stream().anyMatch(t -> t.getName().equals(name) && t.getInternal());
            out.put(name, new TopicDescription(name, internal, partitions));
        }
        return out;
    }

    /** Describes one topic. */
    public TopicDescription describeTopic(String name) {
        return describeTopics(List.of(name)).get(name);
    }

    /** The cluster id, controller and brokers. */
    public ClusterDescription describeCluster() {
        MetadataResponse md = metadata(List.of(), false);
        List<Node> nodes = new ArrayList<>();
        md.getBrokersList().forEach(b -> nodes.add(new Node(b.getNodeId(), b.getHost(), b.getPort())));
        return new ClusterDescription(md.getClusterId(), md.getControllerId(), nodes);
    }

    private MetadataResponse metadata(Collection<String> topics, boolean allTopics) {
        Request.Builder req = Request.newBuilder().setMetadata(
                MetadataRequest.newBuilder().addAllTopics(topics).setAllTopics(allTopics && topics.isEmpty()));
        MetadataResponse md = Futures.get(client.withRetries(timeoutMs, () -> client.sendAny(req.clone(), timeoutMs)
                .thenApply(f -> parse(f, Response::getMetadata))), timeoutMs + 1000L, "Metadata");
        return md;
    }

    private static <T> T parse(InboundFrame<Response> frame, Function<Response, T> parser) {
        try {
            return parser.apply(frame.message());
        } finally {
            frame.release();
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
