package io.sluice.broker.metadata;

import io.sluice.proto.TopicPartition;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The cluster metadata the request handlers read and change. Reads answer from an in-memory image and never block;
 * changes return futures that complete once the change is durable and every {@link MetadataListener} has seen it,
 * so no event loop ever waits on a disk or a quorum. A refused change fails its future with a
 * {@link MetadataException} carrying the error code to answer.
 *
 * <p>Futures complete on the metadata thread: callbacks must not block on another metadata change.
 */
public interface MetadataStore {

    /**
     * Creates a topic a client asked for. Fails with {@code INVALID_TOPIC} (illegal name, or one starting with
     * {@code __}, which only the broker may create), {@code TOPIC_ALREADY_EXISTS}, {@code INVALID_PARTITIONS} (below 1
     * or above {@value Topics#MAX_PARTITIONS}), {@code INVALID_REPLICATION_FACTOR} (below 1 or above the live brokers)
     * or {@code INVALID_CONFIG} (the message names the key).
     */
    CompletableFuture<TopicRecord> createTopic(String name, int partitions, int replicationFactor,
                                               Map<String, String> configs);

    /** Creates a topic the broker itself needs, such as {@code __consumer_offsets}; the same checks, {@code __} allowed. */
    CompletableFuture<TopicRecord> createInternalTopic(String name, int partitions, int replicationFactor,
                                                       Map<String, String> configs);

    /** Deletes a topic; {@code UNKNOWN_TOPIC_OR_PARTITION} when there is none, {@code INVALID_TOPIC} for an internal one. */
    CompletableFuture<Void> deleteTopic(String name);

    Optional<TopicRecord> topic(String name);

    /** Every topic, by name. */
    List<TopicRecord> topics();

    Optional<PartitionRecord> partition(TopicPartition tp);

    /** The topic's partitions by number; empty when there is no such topic. */
    List<PartitionRecord> partitions(String topic);

    /** The live (registered and not fenced) brokers, by node id. */
    List<BrokerRecord> brokers();

    /** Every registered broker, fenced ones included, by node id. */
    List<BrokerRegistration> registrations();

    /** The node id of the active controller, or -1 while there is none (an election is running). */
    int controllerId();

    /** Whether this node is the active controller now (it may stop being one at any moment). */
    boolean isActiveController();

    /** The cluster's id, made once when the cluster is formed and never changed. */
    String clusterId();

    /**
     * Reserves {@code blockSize} producer ids and returns the first: ids {@code [first, first + blockSize)} were never
     * handed out before and never will be again, across restarts.
     */
    CompletableFuture<Long> allocateProducerIds(int blockSize);

    /**
     * Registers a broker (or re-registers it after a restart): it becomes live with a new broker epoch, larger than
     * any before, which the future completes with. Partitions left without a leader that have the broker in their
     * ISR get it as leader.
     */
    CompletableFuture<Long> registerBroker(BrokerRecord broker, String incarnationId);

    /**
     * A broker's heartbeat; only the active controller answers it ({@code NOT_CONTROLLER} elsewhere). A heartbeat
     * from an older registration fails with {@code STALE_BROKER_EPOCH} (the broker registers again). A fenced
     * broker is unfenced first. Completes with whether the broker is fenced after it.
     */
    CompletableFuture<Boolean> brokerHeartbeat(int brokerId, long brokerEpoch);

    /**
     * The connection broker {@code brokerId} heartbeated on for {@code brokerEpoch} closed: on the active controller,
     * its session ends {@code graceMs} from now unless it heartbeats again first. Elsewhere, nothing.
     */
    void brokerConnectionLost(int brokerId, long brokerEpoch, long graceMs);

    /**
     * Controlled shutdown: fences broker {@code brokerId} at {@code brokerEpoch} now, so the partitions it leads move
     * to live ISR members before it stops (their clients see NOT_LEADER and move, instead of waiting for its session
     * to end). Completes once the change is in this node's image.
     */
    CompletableFuture<Void> fenceBroker(int brokerId, long brokerEpoch);

    /**
     * Applies an ISR change from a partition's leader and completes with the partition as it is afterwards. Fails
     * with {@code STALE_BROKER_EPOCH}, {@code UNKNOWN_TOPIC_OR_PARTITION}, {@code NOT_LEADER_OR_FOLLOWER} (the
     * sender does not lead it), {@code FENCED_LEADER_EPOCH} / {@code UNKNOWN_LEADER_EPOCH} (older / newer leader
     * epoch), {@code INVALID_UPDATE_VERSION} (stale partition epoch) or {@code INVALID_REQUEST} (an ISR that is
     * empty, lacks the leader, or names a fenced broker or a non-replica).
     */
    CompletableFuture<PartitionRecord> alterPartition(AlterPartitionRequest request);

    /**
     * Moves each partition's leadership to its preferred replica (the first of its replicas) at a new leader epoch,
     * where that replica is live and in the ISR; completes with one outcome per partition, in order: {@code NONE}
     * (moved), {@code ELECTION_NOT_NEEDED}, {@code PREFERRED_LEADER_NOT_AVAILABLE} or
     * {@code UNKNOWN_TOPIC_OR_PARTITION}. Fails as a whole only when the controller did not answer.
     */
    CompletableFuture<List<PreferredElection>> electPreferredLeaders(List<TopicPartition> partitions);

    /**
     * Adds a listener: on the metadata thread it is first told about every existing topic ({@link
     * MetadataListener#onTopicCreated}, by name) and then about every later change, with nothing missed or told twice.
     * The future completes when the replay is done.
     */
    CompletableFuture<Void> addListener(MetadataListener listener);

    void removeListener(MetadataListener listener);
}
