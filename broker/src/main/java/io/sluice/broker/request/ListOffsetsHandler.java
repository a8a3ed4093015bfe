package io.sluice.broker.request;

import io.sluice.broker.log.TimestampOffset;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.ListOffsetsPartition;
import io.sluice.proto.message.ListOffsetsPartitionResponse;
import io.sluice.proto.message.ListOffsetsRequest;
import io.sluice.proto.message.ListOffsetsResponse;
import io.sluice.proto.message.ListOffsetsTopic;
import io.sluice.proto.message.ListOffsetsTopicResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;

/**
 * {@code ListOffsets}: the earliest offset (−2: the log start), the latest (−1: the high watermark for
 * consumers, the log end for followers), or the first offset whose record timestamp is at least a given one.
 */
final class ListOffsetsHandler implements RequestHandler {
    static final long EARLIEST = -2;
    static final long LATEST = -1;

    private final ReplicaManager replicas;

    ListOffsetsHandler(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        ListOffsetsRequest request = frame.message().getListOffsets();
        frame.release();
        boolean follower = request.getReplicaId() >= 0;
        ListOffsetsResponse.Builder body = ListOffsetsResponse.newBuilder();
        for (ListOffsetsTopic topic : request.getTopicsList()) {
            ListOffsetsTopicResponse.Builder t = ListOffsetsTopicResponse.newBuilder().setName(topic.getName());
            for (ListOffsetsPartition p : topic.getPartitionsList()) {
                t.addPartitions(lookup(new TopicPartition(topic.getName(), p.getPartition()), p, follower));
            }
            body.addTopics(t);
        }
        context.send(Response.newBuilder().setListOffsets(body));
    }

    private ListOffsetsPartitionResponse.Builder lookup(TopicPartition tp, ListOffsetsPartition p, boolean follower) {
        ListOffsetsPartitionResponse.Builder r = ListOffsetsPartitionResponse.newBuilder()
                .setPartition(tp.partition())
                .setTimestamp(-1)
                .setOffset(-1)
                .setLeaderEpoch(-1);
        Partition partition = replicas.partition(tp);
        if (partition == null) {
            return r.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).setErrorMessage("this broker does not host " + tp);
        }
        r.setLeaderEpoch(partition.leaderEpoch());
        ApiError epochError = FetchHandler.checkLeader(partition, -1, p.getCurrentLeaderEpoch());
        if (epochError.isError()) {
            return r.setErrorCode(epochError.code()).setErrorMessage(epochError.message());
        }
        try {
            long ts = p.getTimestamp();
            if (ts == EARLIEST) {
                return r.setOffset(partition.logStartOffset());
            }
            if (ts == LATEST) {
                return r.setOffset(follower ? partition.logEndOffset() : partition.highWatermark());
            }
            if (ts < 0) {
                return r.setErrorCode(ErrorCode.INVALID_REQUEST).setErrorMessage(tp + ": timestamp " + ts
                        + " is neither -2 (earliest), -1 (latest) nor a time in ms");
            }
            TimestampOffset found = partition.offsetForTimestamp(ts);
            return found == null ? r : r.setTimestamp(found.timestamp()).setOffset(found.offset());
        } catch (RuntimeException e) {
            ApiError error = ApiError.from(e, tp);
            return r.setErrorCode(error.code()).setErrorMessage(error.message());
        }
    }
}
