package io.sluice.broker.request;

import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.DeleteTopicsRequest;
import io.sluice.proto.message.DeleteTopicsResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** {@code DeleteTopics}: each topic is deleted through the metadata store, which closes and removes its logs. */
final class DeleteTopicsHandler implements RequestHandler {
    private final MetadataStore metadata;

    DeleteTopicsHandler(MetadataStore metadata) {
        this.metadata = metadata;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        DeleteTopicsRequest request = frame.message().getDeleteTopics();
        frame.release();
        List<CompletableFuture<TopicResult>> results = new ArrayList<>();
        for (String name : request.getTopicsList()) {
            results.add(metadata.deleteTopic(name).handle((v, error) -> {
                ApiError e = error == null ? ApiError.NONE : ApiError.from(error, name);
                return TopicResult.newBuilder().setName(name).setErrorCode(e.code()).setErrorMessage(e.message()).build();
            }));
        }
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
            DeleteTopicsResponse.Builder body = DeleteTopicsResponse.newBuilder();
            results.forEach(r -> body.addTopics(r.join()));
            context.send(Response.newBuilder().setDeleteTopics(body));
        });
    }
}
