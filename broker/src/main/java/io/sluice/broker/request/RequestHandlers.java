package io.sluice.broker.request;

import io.sluice.broker.group.GroupCoordinator;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.Topics;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.broker.producer.ProducerIdManager;
import io.sluice.broker.server.BrokerConfig;
import io.sluice.proto.message.Request;

/** Builds the broker's dispatcher with one handler per API. */
public final class RequestHandlers {
    private RequestHandlers() {
    }

    /** What the handlers work with. */
    public record Context(BrokerConfig config, ReplicaManager replicas, MetadataStore metadata,
                          ProducerIdManager producerIds, GroupCoordinator groups) {
    }

    /** The dispatcher. */
    public static RequestDispatcher dispatcher(Context c) {
        return RequestDispatcher.builder()
                .register(Request.BodyCase.METADATA, new MetadataHandler(c.metadata(), c.replicas()))
                .register(Request.BodyCase.CREATE_TOPICS, new CreateTopicsHandler(c.metadata(),
                        c.config().getInt(BrokerConfig.NUM_PARTITIONS), c.config().getInt(BrokerConfig.DEFAULT_REPLICATION_FACTOR)))
                .register(Request.BodyCase.DELETE_TOPICS, new DeleteTopicsHandler(c.metadata()))
                .register(Request.BodyCase.ELECT_LEADERS, new ElectLeadersHandler(c.metadata()))
                .register(Request.BodyCase.PRODUCE, new ProduceHandler(c.replicas(), topic -> !Topics.isInternal(topic)))
                .register(Request.BodyCase.FETCH, new FetchHandler(c.replicas()))
                .register(Request.BodyCase.OFFSETS_FOR_LEADER_EPOCH, new OffsetsForLeaderEpochHandler(c.replicas()))
                .register(Request.BodyCase.LIST_OFFSETS, new ListOffsetsHandler(c.replicas()))
                .register(Request.BodyCase.INIT_PRODUCER_ID, new InitProducerIdHandler(c.producerIds()))
                .register(Request.BodyCase.OFFSET_COMMIT, new OffsetCommitHandler(c.groups()))
                .register(Request.BodyCase.OFFSET_FETCH, new OffsetFetchHandler(c.groups()))
                .register(Request.BodyCase.BROKER_REGISTRATION, new BrokerRegistrationHandler(c.metadata()))
                .register(Request.BodyCase.BROKER_HEARTBEAT, new BrokerHeartbeatHandler(c.metadata(),
                        c.config().getLong(BrokerConfig.BROKER_HEARTBEAT_INTERVAL_MS)))
                .register(Request.BodyCase.ALTER_PARTITION, new AlterPartitionHandler(c.metadata()))
                .build();
    }
}
