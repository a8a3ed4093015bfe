package io.sluice.broker.request;

import io.sluice.broker.log.EpochEndOffset;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.EpochEndOffsetTopic;
import io.sluice.proto.message.OffsetForLeaderPartition;
import io.sluice.proto.message.OffsetForLeaderTopic;
import io.sluice.proto.message.OffsetsForLeaderEpochRequest;
import io.sluice.proto.message.OffsetsForLeaderEpochResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.ErrorCode;

/**
 * {@code OffsetsForLeaderEpoch}, on the leader: for each partition, the largest leader epoch at or below the one
 * asked for that the leader's log holds, and where it ends there (the next epoch's start offset, or the log end
 * for the newest). A follower truncates its log to where its history and the leader's agree with it (see
 * {@code replication.ReplicaFetcher}). The request's {@code current_leader_epoch} is checked like a fetch's.
 *
 * <p>Stateless; the leader-epoch lookup takes the log's lock briefly (no I/O under it).
 */
final class OffsetsForLeaderEpochHandler implements RequestHandler {
    private final ReplicaManager replicas;

    OffsetsForLeaderEpochHandler(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        OffsetsForLeaderEpochRequest request = frame.message().getOffsetsForLeaderEpoch();
        frame.release();
        OffsetsForLeaderEpochResponse.Builder body = OffsetsForLeaderEpochResponse.newBuilder();
        for (OffsetForLeaderTopic topic : request.getTopicsList()) {
            EpochEndOffsetTopic.Builder t = EpochEndOffsetTopic.newBuilder().setName(topic.getName());
            for (OffsetForLeaderPartition p : topic.getPartitionsList()) {
                TopicPartition tp = new TopicPartition(topic.getName(), p.getPartition());
                io.sluice.proto.message.EpochEndOffset.Builder answer = io.sluice.proto.message.EpochEndOffset.newBuilder()
                        .setPartition(p.getPartition())
                        .setLeaderEpoch(-1)
                        .setEndOffset(-1);
                Partition partition = replicas.partition(tp);
                ApiError error;
                if (partition == null) {
                    error = ApiError.of(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "this broker does not host " + tp);
                } else {
                    error = FetchHandler.checkLeader(partition, request.getReplicaId(), p.getCurrentLeaderEpoch());
                }
                if (error.isError()) {
                    context.countError(error.code());
                    answer.setErrorCode(error.code()).setErrorMessage(error.message());
                } else {
                    EpochEndOffset end = partition.log().endOffsetForEpoch(p.getLeaderEpoch());
                    answer.setLeaderEpoch(end.epoch()).setEndOffset(end.endOffset());
                }
                t.addPartitions(answer);
            }
            body.addTopics(t);
        }
        context.send(Response.newBuilder().setOffsetsForLeaderEpoch(body));
    }
}
