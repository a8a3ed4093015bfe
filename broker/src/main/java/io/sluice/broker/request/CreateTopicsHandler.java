package io.sluice.broker.request;

import io.sluice.broker.metadata.MetadataException;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.CreatableTopic;
import io.sluice.proto.message.CreateTopicsRequest;
import io.sluice.proto.message.CreateTopicsResponse;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code CreateTopics}: each topic is created through the metadata store, with the broker's defaults for a
 * partition count or replication factor of 0. The answer goes out once every topic is durable and its
 * partitions are open (the store completes its future after its listeners ran), so a client may produce
 * as soon as it has the answer.
 */
final class CreateTopicsHandler implements RequestHandler {
    private final MetadataStore metadata;
    private final int defaultPartitions;
    private final int defaultReplicationFactor;

    CreateTopicsHandler(MetadataStore metadata, int defaultPartitions, int defaultReplicationFactor) {
        this.metadata = metadata;
        this.defaultPartitions = defaultPartitions;
        this.defaultReplicationFactor = defaultReplicationFactor;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        CreateTopicsRequest request = frame.message().getCreateTopics();
        frame.release();
        List<CompletableFuture<TopicResult>> results = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (CreatableTopic t : request.getTopicsList()) {
            if (!seen.add(t.getName())) {
                results.add(CompletableFuture.completedFuture(result(t.getName(), ApiError.of(ErrorCode.INVALID_REQUEST,
                        "topic " + t.getName() + " is named twice in one request"))));
                continue;
            }
            int partitions = t.getNumPartitions() == 0 ? defaultPartitions : t.getNumPartitions();
            int rf = t.getReplicationFactor() == 0 ? defaultReplicationFactor : t.getReplicationFactor();
            if (request.getValidateOnly()) {
                results.add(CompletableFuture.completedFuture(validateOnly(t.getName())));
                continue;
            }
            results.add(metadata.createTopic(t.getName(), partitions, rf, t.getConfigsMap())
                    .handle((created, error) -> result(t.getName(), error == null ? ApiError.NONE : ApiError.from(error, t.getName()))));
        }
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
            CreateTopicsResponse.Builder body = CreateTopicsResponse.newBuilder();
            results.forEach(r -> body.addTopics(r.join()));
            context.send(Response.newBuilder().setCreateTopics(body));
        });
    }

    private TopicResult validateOnly(String name) {
        if (metadata.topic(name).isPresent()) {
            return result(name, ApiError.of(ErrorCode.TOPIC_ALREADY_EXISTS, "topic " + name + " already exists"));
        }
        try {
            io.sluice.broker.metadata.Topics.validateName(name, false);
            return result(name, ApiError.NONE);
        } catch (MetadataException e) {
            return result(name, ApiError.of(e.errorCode(), e.getMessage()));
        }
    }

    private static TopicResult result(String name, ApiError error) {
        return TopicResult.newBuilder().setName(name).setErrorCode(error.code()).setErrorMessage(error.message()).build();
    }
}
