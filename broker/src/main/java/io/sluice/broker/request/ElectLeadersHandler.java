package io.sluice.broker.request;

import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.PreferredElection;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ElectLeadersPartitionResult;
import io.sluice.proto.message.ElectLeadersRequest;
import io.sluice.proto.message.ElectLeadersResponse;
import io.sluice.proto.message.ElectLeadersTopic;
import io.sluice.proto.message.ElectLeadersTopicResult;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ElectLeaders} (preferred): names the partitions from this broker's metadata (every partition of a topic
 * named without partitions, or of every topic), and proposes one controller command for all of them. Any broker
 * answers: the command goes through the controller quorum to the active controller, as {@code CreateTopics} does, and
 * the answer goes out once the change is in this broker's metadata, so a {@code Metadata} request to it afterwards
 * shows the new leaders. A topic that does not exist is answered at topic level.
 */
final class ElectLeadersHandler implements RequestHandler {
    private final MetadataStore metadata;

    ElectLeadersHandler(MetadataStore metadata) {
        this.metadata = metadata;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        ElectLeadersRequest request = frame.message().getElectLeaders();
        frame.release();
        // Per topic, in request order: the partitions to elect; unknown topics and bad numbers answered here.
        Map<String, Set<Integer>> asked = new LinkedHashMap<>();
        if (request.getAllTopicPartitions()) {
            for (TopicRecord t : metadata.topics()) {
                asked.put(t.name(), new LinkedHashSet<>());
            }
        } else {
            for (ElectLeadersTopic t : request.getTopicsList()) {
                asked.computeIfAbsent(t.getName(), n -> new LinkedHashSet<>()).addAll(t.getPartitionsList());
            }
        }
        Map<String, ElectLeadersTopicResult.Builder> results = new LinkedHashMap<>();
        List<TopicPartition> elect = new ArrayList<>();
        asked.forEach((name, partitions) -> {
            ElectLeadersTopicResult.Builder r = ElectLeadersTopicResult.newBuilder().setName(name);
            results.put(name, r);
            List<PartitionRecord> existing = metadata.topic(name).isPresent() ? metadata.partitions(name) : List.of();
            if (existing.isEmpty()) {
                r.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).setErrorMessage("topic '" + name
                        + "' does not exist");
                return;
            }
            if (partitions.isEmpty()) {
                existing.forEach(p -> elect.add(p.tp()));
                return;
            }
            for (int partition : partitions) {
                if (partition < 0) {
                    r.addPartitions(partitionResult(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition "
                            + partition + " of topic '" + name + "' does not exist"));
                } else {
                    // One the controller does not know is answered by it, from the image it applies to.
                    elect.add(new TopicPartition(name, partition));
                }
            }
        });
        if (elect.isEmpty()) {
            send(context, results);
            return;
        }
        metadata.electPreferredLeaders(elect).whenComplete((elections, error) -> {
            if (error != null) {
                ApiError e = ApiError.from(error, "preferred leader election");
                elect.forEach(tp -> results.get(tp.topic()).addPartitions(partitionResult(tp.partition(), e.code(),
                        e.message())));
            } else {
                for (PreferredElection p : elections) {
                    results.get(p.tp().topic()).addPartitions(partitionResult(p.tp().partition(), p.error(),
                            p.message()));
                }
            }
            send(context, results);
        });
    }

    private static ElectLeadersPartitionResult partitionResult(int partition, ErrorCode code, String message) {
        return ElectLeadersPartitionResult.newBuilder().setPartition(partition).setErrorCode(code)
                .setErrorMessage(message == null ? "" : message).build();
    }

    private static void send(RequestContext context, Map<String, ElectLeadersTopicResult.Builder> results) {
        ElectLeadersResponse.Builder body = ElectLeadersResponse.newBuilder();
        results.values().forEach(body::addTopics);
        context.send(Response.newBuilder().setElectLeaders(body));
    }
}
