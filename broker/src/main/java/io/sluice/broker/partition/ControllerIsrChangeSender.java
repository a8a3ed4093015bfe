package io.sluice.broker.partition;

import io.sluice.broker.metadata.AlterPartitionRequest;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a leader's ISR changes to the controller as {@code AlterPartition} ({@link MetadataStore#alterPartition}).
 * Nothing is applied here: the committed change comes back through the metadata ({@code
 * ReplicaManager.onPartitionChanged} → {@link Partition#applyIsr}), on this broker like on every other.
 *
 * <p>At most one change per partition is in flight; proposals made meanwhile are dropped (an expansion is proposed
 * again at the follower's next fetch, a shrink at the next ISR check). After an answer that says this leader's view
 * is stale (partition or leader epoch, not the leader any more) the partition waits for newer metadata: nothing is
 * sent until its partition epoch moved (or {@code retryMs} passed, should that news never come). Other failures
 * (the quorum unreachable, a timeout) allow a new proposal after {@code retryMs}. Followers proposed for the ISR
 * count for the high watermark until the answer ({@link Partition#markPendingIsrAddition}).
 *
 * <p>Thread-safety: {@link #propose} may be called from any thread, returns at once and never blocks; answers are
 * handled on the metadata store's thread.
 */
public final class ControllerIsrChangeSender implements IsrChangeSender {
    private static final Logger log = LoggerFactory.getLogger(ControllerIsrChangeSender.class);

    private final int nodeId;
    private final MetadataStore metadata;
    private final LongSupplier brokerEpoch;
    private final Clock clock;
    private final long retryMs;
    private final Consumer<Partition> onRefused;
    /** Per partition: the change in flight, or the wait after a failed one. Absent: free to send. */
    private final ConcurrentHashMap<TopicPartition, Pending> pending = new ConcurrentHashMap<>();

    /** A change sent at {@code partitionEpoch}; {@code blockedUntilMs} is set once it failed (0 while in flight). */
    private record Pending(int partitionEpoch, long blockedUntilMs, boolean waitForMetadata) {
        boolean inFlight() {
            return blockedUntilMs == 0;
        }
    }

    /**
     * @param brokerEpoch this broker's current registration epoch (the controller refuses changes from an older one)
     * @param onRefused   told after a refused change released its pending ISR additions (the high watermark may have
     *                    moved: waiting requests are rechecked)
     */
    public ControllerIsrChangeSender(int nodeId, MetadataStore metadata, LongSupplier brokerEpoch, Clock clock,
                                     long retryMs, Consumer<Partition> onRefused) {
        this.nodeId = nodeId;
        this.metadata = metadata;
        this.brokerEpoch = brokerEpoch;
        this.clock = clock;
        this.retryMs = retryMs;
        this.onRefused = onRefused;
    }

    @Override
    public boolean propose(Partition partition, int leaderEpoch, List<Integer> newIsr) {
        TopicPartition tp = partition.topicPartition();
        int partitionEpoch = partition.partitionEpoch();
        if (newIsr.equals(partition.inSyncReplicas())) {
            return false;
        }
        long now = clock.milliseconds();
        Pending mine = new Pending(partitionEpoch, 0, false);
        Pending won = pending.compute(tp, (k, current) -> {
            if (current == null) {
                return mine;
            }
            if (current.inFlight()) {
                return current;
            }
            boolean newerMetadata = partitionEpoch != current.partitionEpoch();
            if ((current.waitForMetadata() && newerMetadata) || now >= current.blockedUntilMs()) {
                return mine;
            }
            return current;
        });
        if (won != mine) {
            return false;
        }
        for (int r : newIsr) {
            if (!partition.inSyncReplicas().contains(r)) {
                partition.markPendingIsrAddition(leaderEpoch, r);
            }
        }
        AlterPartitionRequest request = new AlterPartitionRequest(nodeId, brokerEpoch.getAsLong(), tp, leaderEpoch,
                newIsr, partitionEpoch);
        try {
            metadata.alterPartition(request).whenComplete((committed, error) -> answered(partition, mine, request,
                    committed, error));
        } catch (RuntimeException e) {
            answered(partition, mine, request, null, e);
        }
        return true;
    }

    private void answered(Partition partition, Pending sent, AlterPartitionRequest request, PartitionRecord committed,
                          Throwable error) {
        TopicPartition tp = request.tp();
        if (error == null) {
            // The metadata listeners have seen the change already (ReplicaManager applied it); free to send again.
            pending.remove(tp, sent);
            log.debug("{}: ISR {} committed at partition epoch {}", tp, committed.isr(), committed.partitionEpoch());
            return;
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        ErrorCode code = cause instanceof MetadataException m ? m.errorCode() : ErrorCode.UNKNOWN_SERVER_ERROR;
        boolean stale = switch (code) {
            case INVALID_UPDATE_VERSION, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER -> true;
            default -> false;
        };
        boolean refused = stale || code == ErrorCode.INVALID_REQUEST || code == ErrorCode.STALE_BROKER_EPOCH
                || code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        if (refused) {
            // Nothing was committed: the proposed followers may not hold the high watermark back any longer.
            partition.clearPendingIsrAdditions(request.leaderEpoch());
            onRefused.accept(partition);
        }
        pending.replace(tp, sent, new Pending(sent.partitionEpoch(), clock.milliseconds() + retryMs, stale));
        if (stale) {
            log.info("{}: ISR {} not applied ({}: {}); waiting for newer metadata", tp, request.newIsr(), code,
                    cause.getMessage());
        } else {
            log.warn("{}: ISR change to {} failed ({}: {}); proposing again in {} ms at the earliest", tp,
                    request.newIsr(), code, cause.getMessage(), retryMs);
        }
    }

    /** Whether a change of {@code tp} is in flight now; for tests. */
    boolean inFlight(TopicPartition tp) {
        Pending p = pending.get(tp);
        return p != null && p.inFlight();
    }
}
