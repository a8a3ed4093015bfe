package io.sluice.broker.request;

import io.sluice.broker.metadata.AlterPartitionRequest;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.AlterPartitionData;
import io.sluice.proto.message.AlterPartitionPartitionResponse;
import io.sluice.proto.message.AlterPartitionResponse;
import io.sluice.proto.message.AlterPartitionTopic;
import io.sluice.proto.message.AlterPartitionTopicResponse;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code AlterPartition}: ISR changes from partition leaders, applied by the active controller ({@code NOT_CONTROLLER}
 * elsewhere, for the whole request). Each partition is its own command and gets its own answer: the record after the
 * change, or the error and the record as it stands, so the leader can pick up the current epochs.
 */
final class AlterPartitionHandler implements RequestHandler {
    private final MetadataStore metadata;

    AlterPartitionHandler(MetadataStore metadata) {
        this.metadata = metadata;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        io.sluice.proto.message.AlterPartitionRequest request = frame.message().getAlterPartition();
        frame.release();
        if (!metadata.isActiveController()) {
            context.send(Response.newBuilder().setAlterPartition(AlterPartitionResponse.newBuilder()
                    .setErrorCode(ErrorCode.NOT_CONTROLLER).setErrorMessage("this broker is not the active controller"
                            + " (that is " + metadata.controllerId() + ")")));
            return;
        }
        List<String> topics = new ArrayList<>();
        List<List<CompletableFuture<AlterPartitionPartitionResponse>>> results = new ArrayList<>();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (AlterPartitionTopic t : request.getTopicsList()) {
            topics.add(t.getName());
            List<CompletableFuture<AlterPartitionPartitionResponse>> partitions = new ArrayList<>();
            for (AlterPartitionData d : t.getPartitionsList()) {
                TopicPartition tp = new TopicPartition(t.getName(), d.getPartition());
                CompletableFuture<AlterPartitionPartitionResponse> r = metadata.alterPartition(new AlterPartitionRequest(
                                request.getBrokerId(), request.getBrokerEpoch(), tp, d.getLeaderEpoch(),
                                d.getNewIsrList(), d.getPartitionEpoch()))
                        .handle((p, error) -> answer(tp, p, error));
                partitions.add(r);
                all.add(r);
            }
            results.add(partitions);
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
            AlterPartitionResponse.Builder body = AlterPartitionResponse.newBuilder();
            for (int i = 0; i < topics.size(); i++) {
                AlterPartitionTopicResponse.Builder topic = AlterPartitionTopicResponse.newBuilder().setName(topics.get(i));
                results.get(i).forEach(r -> topic.addPartitions(r.join()));
                body.addTopics(topic);
            }
            context.send(Response.newBuilder().setAlterPartition(body));
        });
    }

    private AlterPartitionPartitionResponse answer(TopicPartition tp, PartitionRecord changed, Throwable error) {
        AlterPartitionPartitionResponse.Builder b = AlterPartitionPartitionResponse.newBuilder().setPartition(tp.partition());
        PartitionRecord p = changed;
        if (error != null) {
            ApiError e = ApiError.from(error, tp);
            b.setErrorCode(e.code()).setErrorMessage(e.message());
            p = metadata.partition(tp).orElse(null);
        }
        if (p != null) {
            b.setLeaderId(p.leaderId()).setLeaderEpoch(p.leaderEpoch()).addAllIsr(p.isr())
                    .setPartitionEpoch(p.partitionEpoch());
        }
        return b.build();
    }
}
