package io.sluice.client.consumer;

import io.sluice.client.Futures;
import io.sluice.client.SluiceClient;
import io.sluice.client.errors.CoordinatorNotAvailableException;
import io.sluice.client.errors.Errors;
import io.sluice.client.errors.NotLeaderException;
import io.sluice.client.metadata.Cluster;
import io.sluice.client.metadata.Node;
import io.sluice.proto.ConsumerOffsets;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.ListOffsetsPartition;
import io.sluice.proto.message.ListOffsetsPartitionResponse;
import io.sluice.proto.message.ListOffsetsRequest;
import io.sluice.proto.message.ListOffsetsTopic;
import io.sluice.proto.message.ListOffsetsTopicResponse;
import io.sluice.proto.message.OffsetCommitPartition;
import io.sluice.proto.message.OffsetCommitRequest;
import io.sluice.proto.message.OffsetCommitTopic;
import io.sluice.proto.message.OffsetCommitTopicResponse;
import io.sluice.proto.message.OffsetFetchPartitionResponse;
import io.sluice.proto.message.OffsetFetchRequest;
import io.sluice.proto.message.OffsetFetchResponse;
import io.sluice.proto.message.OffsetFetchTopic;
import io.sluice.proto.message.OffsetFetchTopicResponse;
import io.sluice.proto.message.PartitionError;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The consumer's blocking offset requests: ListOffsets to each partition's leader, OffsetCommit and OffsetFetch to
 * the group's coordinator. Each retries retriable errors with backoff until request.timeout.ms.
 *
 * <p>The coordinator is found in the metadata, as the leader of partition
 * {@link ConsumerOffsets#partitionFor(String, int)} of {@value ConsumerOffsets#TOPIC}; NOT_COORDINATOR and
 * COORDINATOR_NOT_AVAILABLE refresh the metadata before the retry, COORDINATOR_LOAD_IN_PROGRESS only waits. While the
 * metadata has no such topic the request goes to any broker, which creates the topic and answers
 * COORDINATOR_NOT_AVAILABLE until it can serve. Stateless beyond its client; called from the polling thread.
 */
final class OffsetsClient {
    static final long EARLIEST = -2;
    static final long LATEST = -1;

    private final SluiceClient client;
    private final int timeoutMs;

    OffsetsClient(SluiceClient client, int timeoutMs) {
        this.client = client;
        this.timeoutMs = timeoutMs;
    }

    /** The offset for {@code timestamp} (-2 earliest, -1 latest) of each partition. */
    Map<TopicPartition, Long> listOffsets(Collection<TopicPartition> partitions, long timestamp) {
        List<String> topics = partitions.stream().map(TopicPartition::topic).distinct().toList();
        CompletableFuture<Map<TopicPartition, Long>> f = client.withRetries(timeoutMs,
                () -> client.awaitTopics(topics, timeoutMs).thenCompose(cluster -> listOnce(cluster, partitions, timestamp)));
        return Futures.get(f, timeoutMs + 1000L, "ListOffsets for " + partitions);
    }

    private CompletableFuture<Map<TopicPartition, Long>> listOnce(Cluster cluster, Collection<TopicPartition> partitions,
                                                                  long timestamp) {
        Map<Node, Map<String, ListOffsetsTopic.Builder>> byLeader = new HashMap<>();
        for (TopicPartition tp : partitions) {
            Node leader = cluster.leaderNode(tp);
            if (leader == null) {
                return CompletableFuture.failedFuture(new NotLeaderException("no leader known for " + tp));
            }
            byLeader.computeIfAbsent(leader, n -> new LinkedHashMap<>())
                    .computeIfAbsent(tp.topic(), t -> ListOffsetsTopic.newBuilder().setName(t))
                    .addPartitions(ListOffsetsPartition.newBuilder().setPartition(tp.partition())
                            .setTimestamp(timestamp).setCurrentLeaderEpoch(-1));
        }
        Map<TopicPartition, Long> out = new HashMap<>();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        byLeader.forEach((node, topics) -> {
            ListOffsetsRequest.Builder req = ListOffsetsRequest.newBuilder().setReplicaId(-1);
            topics.values().forEach(req::addTopics);
            all.add(client.send(node, Request.newBuilder().setListOffsets(req), timeoutMs).thenAccept(frame -> parse(frame,
                    response -> {
                        for (ListOffsetsTopicResponse t : response.getListOffsets().getTopicsList()) {
                            for (ListOffsetsPartitionResponse p : t.getPartitionsList()) {
                                TopicPartition tp = new TopicPartition(t.getName(), p.getPartition());
                                if (p.getErrorCode() != ErrorCode.NONE) {
                                    throw Errors.of(p.getErrorCode(), "ListOffsets " + tp + " on " + node, p.getErrorMessage());
                                }
                                synchronized (out) {
                                    out.put(tp, p.getOffset());
                                }
                            }
                        }
                        return null;
                    })));
        });
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> {
            for (TopicPartition tp : partitions) {
                Long offset = out.get(tp);
                if (offset == null || offset < 0) {
                    throw Errors.of(ErrorCode.UNKNOWN_SERVER_ERROR, "ListOffsets gave no offset for " + tp
                            + (offset == null ? "" : " (" + offset + ")"));
                }
            }
            return out;
        });
    }

    void commit(String group, Map<TopicPartition, Long> offsets) {
        if (offsets.isEmpty()) {
            return;
        }
        Map<String, OffsetCommitTopic.Builder> topics = new LinkedHashMap<>();
        offsets.forEach((tp, offset) -> topics.computeIfAbsent(tp.topic(), t -> OffsetCommitTopic.newBuilder().setName(t))
                .addPartitions(OffsetCommitPartition.newBuilder().setPartition(tp.partition()).setCommittedOffset(offset)
                        .setCommittedLeaderEpoch(-1)));
        OffsetCommitRequest.Builder req = OffsetCommitRequest.newBuilder().setGroupId(group);
        topics.values().forEach(req::addTopics);
        CompletableFuture<Void> f = client.withRetries(timeoutMs,
                () -> sendToCoordinator(group, Request.newBuilder().setOffsetCommit(req.clone())).thenApply(frame ->
                        parse(frame, response -> {
                            for (OffsetCommitTopicResponse t : response.getOffsetCommit().getTopicsList()) {
                                for (PartitionError p : t.getPartitionsList()) {
                                    if (p.getErrorCode() != ErrorCode.NONE) {
                                        throw Errors.of(p.getErrorCode(), "OffsetCommit of group " + group + " for "
                                                + t.getName() + "-" + p.getPartition(), p.getErrorMessage());
                                    }
                                }
                            }
                            return null;
                        })));
        Futures.get(f, timeoutMs + 1000L, "OffsetCommit of group " + group);
    }

    Map<TopicPartition, Long> committed(String group, Set<TopicPartition> partitions) {
        Map<String, OffsetFetchTopic.Builder> topics = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            topics.computeIfAbsent(tp.topic(), t -> OffsetFetchTopic.newBuilder().setName(t)).addPartitions(tp.partition());
        }
        OffsetFetchRequest.Builder req = OffsetFetchRequest.newBuilder().setGroupId(group);
        topics.values().forEach(req::addTopics);
        CompletableFuture<Map<TopicPartition, Long>> f = client.withRetries(timeoutMs,
                () -> sendToCoordinator(group, Request.newBuilder().setOffsetFetch(req.clone())).thenApply(frame ->
                        parse(frame, response -> {
                            OffsetFetchResponse r = response.getOffsetFetch();
                            if (r.getErrorCode() != ErrorCode.NONE) {
                                throw Errors.of(r.getErrorCode(), "OffsetFetch of group " + group, r.getErrorMessage());
                            }
                            Map<TopicPartition, Long> out = new HashMap<>();
                            for (OffsetFetchTopicResponse t : r.getTopicsList()) {
                                for (OffsetFetchPartitionResponse p : t.getPartitionsList()) {
                                    TopicPartition tp = new TopicPartition(t.getName(), p.getPartition());
                                    if (p.getErrorCode() != ErrorCode.NONE) {
                                        throw Errors.of(p.getErrorCode(), "OffsetFetch of group " + group + " for " + tp,
                                                p.getErrorMessage());
                                    }
                                    if (p.getCommittedOffset() >= 0 && partitions.contains(tp)) {
                                        out.put(tp, p.getCommittedOffset());
                                    }
                                }
                            }
                            return out;
                        })));
        return Futures.get(f, timeoutMs + 1000L, "OffsetFetch of group " + group);
    }

    /** Sends {@code request} to the coordinator of {@code group} as the metadata names it (fetched if not cached). */
    private CompletableFuture<InboundFrame<Response>> sendToCoordinator(String group, Request.Builder request) {
        String topic = ConsumerOffsets.TOPIC;
        client.addTopicInterest(List.of(topic));
        Cluster cached = client.cluster();
        CompletableFuture<Cluster> metadata = cached.hasTopic(topic) ? CompletableFuture.completedFuture(cached)
                : client.fetchMetadata(List.of(topic), false);
        return metadata.thenCompose(cluster -> {
            if (!cluster.hasTopic(topic)) {
                // Not created yet: any broker creates it on this request and answers COORDINATOR_NOT_AVAILABLE.
                return client.sendAny(request, timeoutMs);
            }
            TopicPartition tp = new TopicPartition(topic, ConsumerOffsets.partitionFor(group, cluster.partitionCount(topic)));
            Node coordinator = cluster.leaderNode(tp);
            if (coordinator == null) {
                return CompletableFuture.failedFuture(new CoordinatorNotAvailableException("the coordinator of group "
                        + group + " (the leader of " + tp + ") is not known or offline"));
            }
            return client.send(coordinator, request, timeoutMs);
        });
    }

    private static <T> T parse(InboundFrame<Response> frame, Function<Response, T> parser) {
        try {
            return parser.apply(frame.message());
        } finally {
            frame.release();
        }
    }
}
