package io.sluice.broker.request;

import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.BrokerInfo;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.MetadataRequest;
import io.sluice.proto.message.MetadataResponse;
import io.sluice.proto.message.PartitionMetadata;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicMetadata;
import java.util.List;
import java.util.Optional;

/**
 * {@code Metadata}: the brokers, the controller and, for the topics asked (or all), each partition's leader,
 * epoch, replicas and ISR, with the log start, log end and high watermark where this broker leads it.
 * Answered from the in-memory image: it never waits on a disk.
 */
final class MetadataHandler implements RequestHandler {
    private final MetadataStore metadata;
    private final ReplicaManager replicas;

    MetadataHandler(MetadataStore metadata, ReplicaManager replicas) {
        this.metadata = metadata;
        this.replicas = replicas;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        MetadataRequest request = frame.message().getMetadata();
        frame.release();
        MetadataResponse.Builder body = MetadataResponse.newBuilder()
                .setClusterId(metadata.clusterId())
                .setControllerId(metadata.controllerId());
        for (BrokerRecord b : metadata.brokers()) {
            body.addBrokers(BrokerInfo.newBuilder().setNodeId(b.nodeId()).setHost(b.host()).setPort(b.port()));
        }
        if (request.getTopicsCount() > 0) {
            for (String name : request.getTopicsList()) {
                Optional<TopicRecord> topic = metadata.topic(name);
                body.addTopics(topic.isPresent() ? describe(topic.get())
                        : TopicMetadata.newBuilder().setName(name)
                                .setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                                .setErrorMessage("topic " + name + " does not exist"));
            }
        } else if (request.getAllTopics()) {
            for (TopicRecord topic : metadata.topics()) {
                body.addTopics(describe(topic));
            }
        }
        context.send(Response.newBuilder().setMetadata(body));
    }

    private TopicMetadata.Builder describe(TopicRecord topic) {
        TopicMetadata.Builder t = TopicMetadata.newBuilder().setName(topic.name()).setInternal(topic.internal());
        List<PartitionRecord> partitions = metadata.partitions(topic.name());
        for (PartitionRecord p : partitions) {
            PartitionMetadata.Builder pm = PartitionMetadata.newBuilder()
                    .setPartition(p.tp().partition())
                    .setLeaderId(p.leaderId())
                    .setLeaderEpoch(p.leaderEpoch())
                    .addAllReplicas(p.replicas())
                    .addAllIsr(p.isr())
                    .setLogEndOffset(-1)
                    .setHighWatermark(-1)
                    .setLogStartOffset(-1);
            Partition local = replicas.partition(p.tp());
            if (local != null && p.leaderId() == replicas.nodeId()) {
                pm.setLogEndOffset(local.logEndOffset())
                        .setHighWatermark(local.highWatermark())
                        .setLogStartOffset(local.logStartOffset());
            }
            if (p.leaderId() < 0) {
                pm.setErrorCode(ErrorCode.BROKER_NOT_AVAILABLE);
            }
            t.addPartitions(pm);
        }
        return t;
    }
}
