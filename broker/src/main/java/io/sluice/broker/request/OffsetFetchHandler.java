package io.sluice.broker.request;

import io.sluice.broker.group.GroupCoordinator;
import io.sluice.broker.group.OffsetAndMetadata;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.OffsetFetchPartitionResponse;
import io.sluice.proto.message.OffsetFetchRequest;
import io.sluice.proto.message.OffsetFetchResponse;
import io.sluice.proto.message.OffsetFetchTopic;
import io.sluice.proto.message.OffsetFetchTopicResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code OffsetFetch}: a group's committed offsets for the partitions asked, or for every partition it
 * committed when none are named; -1 where nothing was committed. Answered by the group's coordinator only (others:
 * {@code NOT_COORDINATOR}), from commits the high watermark has passed.
 */
final class OffsetFetchHandler implements RequestHandler {
    private final GroupCoordinator coordinator;

    OffsetFetchHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        OffsetFetchRequest request = frame.message().getOffsetFetch();
        frame.release();
        List<TopicPartition> wanted = null;
        if (request.getTopicsCount() > 0) {
            wanted = new ArrayList<>();
            for (OffsetFetchTopic t : request.getTopicsList()) {
                for (int p : t.getPartitionsList()) {
                    wanted.add(new TopicPartition(t.getName(), p));
                }
            }
        }
        List<TopicPartition> asked = wanted;
        coordinator.fetch(request.getGroupId(), wanted).whenComplete((result, error) -> {
            OffsetFetchResponse.Builder body = OffsetFetchResponse.newBuilder();
            if (error != null || result.error() != ErrorCode.NONE) {
                ApiError e = error != null ? ApiError.from(error, request.getGroupId())
                        : ApiError.of(result.error(), result.errorMessage() == null ? "" : result.errorMessage());
                body.setErrorCode(e.code()).setErrorMessage(e.message());
                context.send(Response.newBuilder().setOffsetFetch(body));
                return;
            }
            // In the order asked (every asked partition answered), or the group's own order when none were named.
            List<TopicPartition> order = asked != null ? asked : new ArrayList<>(result.offsets().keySet());
            Map<String, OffsetFetchTopicResponse.Builder> topics = new LinkedHashMap<>();
            for (TopicPartition tp : order) {
                OffsetAndMetadata o = result.offsets().get(tp);
                topics.computeIfAbsent(tp.topic(), n -> OffsetFetchTopicResponse.newBuilder().setName(n))
                        .addPartitions(OffsetFetchPartitionResponse.newBuilder()
                                .setPartition(tp.partition())
                                .setCommittedOffset(o == null ? -1 : o.offset())
                                .setCommittedLeaderEpoch(o == null ? -1 : o.leaderEpoch())
                                .setMetadata(o == null || o.metadata() == null ? "" : o.metadata()));
            }
            topics.values().forEach(body::addTopics);
            context.send(Response.newBuilder().setOffsetFetch(body));
        });
    }
}
