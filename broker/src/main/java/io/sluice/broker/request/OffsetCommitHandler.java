package io.sluice.broker.request;

import io.sluice.broker.group.GroupCoordinator;
import io.sluice.broker.group.OffsetAndMetadata;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.OffsetCommitPartition;
import io.sluice.proto.message.OffsetCommitRequest;
import io.sluice.proto.message.OffsetCommitResponse;
import io.sluice.proto.message.OffsetCommitTopic;
import io.sluice.proto.message.OffsetCommitTopicResponse;
import io.sluice.proto.message.PartitionError;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code OffsetCommit}: the group's offsets become records in its partition of {@code __consumer_offsets}
 * (see {@link GroupCoordinator}); the answer goes out once the high watermark has passed them. A broker that does not
 * lead that partition answers {@code NOT_COORDINATOR}.
 */
final class OffsetCommitHandler implements RequestHandler {
    private final GroupCoordinator coordinator;

    OffsetCommitHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        OffsetCommitRequest request = frame.message().getOffsetCommit();
        frame.release();
        Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        for (OffsetCommitTopic t : request.getTopicsList()) {
            for (OffsetCommitPartition p : t.getPartitionsList()) {
                offsets.put(new TopicPartition(t.getName(), p.getPartition()), new OffsetAndMetadata(
                        p.getCommittedOffset(), p.getCommittedLeaderEpoch(), p.getMetadata(), OffsetAndMetadata.NO_TIMESTAMP));
            }
        }
        coordinator.commit(request.getGroupId(), offsets).whenComplete((result, error) -> {
            OffsetCommitResponse.Builder body = OffsetCommitResponse.newBuilder();
            for (OffsetCommitTopic t : request.getTopicsList()) {
                OffsetCommitTopicResponse.Builder tr = OffsetCommitTopicResponse.newBuilder().setName(t.getName());
                for (OffsetCommitPartition p : t.getPartitionsList()) {
                    TopicPartition tp = new TopicPartition(t.getName(), p.getPartition());
                    ApiError e = error != null ? ApiError.from(error, request.getGroupId())
                            : ApiError.of(result.getOrDefault(tp, ErrorCode.UNKNOWN_SERVER_ERROR), "");
                    if (e.isError() && e.message().isEmpty()) {
                        e = ApiError.of(e.code(), describe(e.code(), request.getGroupId(), tp));
                    }
                    tr.addPartitions(PartitionError.newBuilder().setPartition(tp.partition())
                            .setErrorCode(e.code()).setErrorMessage(e.message()));
                }
                body.addTopics(tr);
            }
            context.send(Response.newBuilder().setOffsetCommit(body));
        });
    }

    private static String describe(ErrorCode code, String group, TopicPartition tp) {
        return switch (code) {
            case INVALID_GROUP_ID -> "group id '" + group + "' is not valid (empty)";
            case OFFSET_METADATA_TOO_LARGE -> tp + ": the commit's metadata is longer than offset.metadata.max.bytes";
            case COORDINATOR_NOT_AVAILABLE -> "the offsets partition of group '" + group + "' is not available (not"
                    + " created yet, too few in-sync replicas, or the commit was not replicated in time); retry";
            case NOT_COORDINATOR -> "this broker is not the coordinator of group '" + group + "' (it does not lead the"
                    + " group's partition of __consumer_offsets); refresh the metadata and retry on its leader";
            case COORDINATOR_LOAD_IN_PROGRESS -> "the coordinator of group '" + group + "' is loading its offsets; retry";
            default -> code + " committing " + tp + " for group '" + group + "'";
        };
    }
}
