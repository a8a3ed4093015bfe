package io.sluice.broker.partition;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.log.TimestampOffset;
import io.sluice.broker.producer.AppendCheck;
import io.sluice.broker.producer.ProducerStateManager;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.record.RecordBatch;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A partition this broker leads: its log, its leader epoch, its in-sync replicas and high watermark (the
 * smallest log end among them: what consumers may read), and the state of the
 * idempotent producers writing to it (so that a retried batch is answered with its original offset
 * instead of being written twice).
 *
 * <p>On a single node the in-sync set is this broker alone, so the high watermark follows the log end as
 * soon as an append returns; with followers it moves only when every ISR member has the data.
 *
 * <p>Thread-safety: appends, and everything about the producer state, are serialized by {@code appendLock};
 * reads run concurrently with appends and see the high watermark through a volatile.
 */
public final class Partition {
    private final TopicPartition tp;
    private final Log log;
    private final int nodeId;
    private final Object appendLock = new Object();
    /** Guarded by {@code appendLock}. */
    private final ProducerStateManager producers;
    private volatile int leaderEpoch;
    private volatile long highWatermark;
    private volatile List<Integer> isr;
    /** Each follower's log end, as its fetches report it; guarded by {@code appendLock}. */
    private final Map<Integer, Long> followerLogEnds = new HashMap<>();
    private final PartitionTraffic traffic;

    Partition(TopicPartition tp, Log log, int nodeId, int leaderEpoch, ProducerStateManager producers) {
        this(tp, log, nodeId, leaderEpoch, producers, PartitionTraffic.NONE);
    }

    Partition(TopicPartition tp, Log log, int nodeId, int leaderEpoch, ProducerStateManager producers,
              PartitionTraffic traffic) {
        this.tp = tp;
        this.traffic = traffic;
        this.log = log;
        this.nodeId = nodeId;
        this.leaderEpoch = leaderEpoch;
        this.isr = List.of(nodeId);
        this.producers = producers;
        synchronized (appendLock) {
            producers.load(log);
        }
        // One replica: everything the log holds after recovery is committed.
        this.highWatermark = log.logEndOffset();
    }

    public TopicPartition topicPartition() {
        return tp;
    }

    /** The partition's traffic counters (for the produce and fetch paths to count with). */
    public PartitionTraffic traffic() {
        return traffic;
    }

    public Log log() {
        return log;
    }

    public int leaderEpoch() {
        return leaderEpoch;
    }

    public int leaderId() {
        return nodeId;
    }

    /**
     * The controller named this broker leader again at a newer epoch (its leadership lapsed and came back, e.g. a
     * fence and unfence): later appends carry the new epoch. An older or equal epoch changes nothing.
     */
    public void updateLeaderEpoch(int epoch) {
        synchronized (appendLock) {
            if (epoch > leaderEpoch) {
                leaderEpoch = epoch;
            }
        }
    }

    public List<Integer> inSyncReplicas() {
        return isr;
    }

    public long highWatermark() {
        return highWatermark;
    }

    public long logEndOffset() {
        return log.logEndOffset();
    }

    public long logStartOffset() {
        return log.logStartOffset();
    }

    /**
     * Appends a producer's batches (position to limit) as the leader. An idempotent producer's batch is first
     * checked against what this partition remembers of it: a retry of a remembered batch is answered with its
     * original offsets and not written again; a gap or a fenced epoch is refused. The high watermark moves
     * with the log end (ISR of one).
     *
     * @throws io.sluice.proto.record.CorruptRecordException when a batch fails validation (nothing is appended)
     */
    public AppendResult appendAsLeader(ByteBuffer records) {
        RecordBatch first = RecordBatch.at(records, records.position());
        boolean single = first.sizeInBytes() == records.remaining();
        if (!single && first.producerId() != RecordBatch.NO_PRODUCER_ID) {
            // Kafka's rule too: with one batch per partition, a request is either a retry or not, never half of each.
            return AppendResult.refused(ErrorCode.INVALID_REQUEST, tp + ": an idempotent producer sends one batch per"
                    + " partition in a request; this one holds several");
        }
        synchronized (appendLock) {
            AppendCheck check = producers.check(first);
            switch (check.outcome()) {
                case APPEND -> {
                    LogAppendInfo info = log.appendAsLeader(records, leaderEpoch);
                    // The buffer now holds the offsets the log gave the batch.
                    producers.update(RecordBatch.at(records, records.position()), info.firstOffset(), info.lastOffset());
                    maybeIncrementHighWatermark();
                    return AppendResult.appended(info);
                }
                case DUPLICATE -> {
                    first.validate(); // a corrupt batch is refused as corrupt, not answered as a retry
                    return AppendResult.duplicate(check.duplicateOf());
                }
                default -> {
                    return AppendResult.refused(check.errorCode(), check.message());
                }
            }
        }
    }

    /**
     * Sets the in-sync replicas (the metadata names them; this broker, the leader, is always one). The high
     * watermark is the smallest log end among them, so a member that has not fetched yet holds it back.
     */
    void updateInSyncReplicas(List<Integer> inSync) {
        synchronized (appendLock) {
            isr = List.copyOf(inSync);
            maybeIncrementHighWatermark();
        }
    }

    /** Records how far a follower's log reaches (what it asked to fetch from) and moves the high watermark. */
    void updateFollowerLogEnd(int replicaId, long logEndOffset) {
        synchronized (appendLock) {
            followerLogEnds.put(replicaId, logEndOffset);
            maybeIncrementHighWatermark();
        }
    }

    /** The smallest log end in the ISR, if above the current high watermark; it never moves back. Under appendLock. */
    private void maybeIncrementHighWatermark() {
        long candidate = log.logEndOffset();
        for (int replica : isr) {
            if (replica != nodeId) {
                candidate = Math.min(candidate, followerLogEnds.getOrDefault(replica, 0L));
            }
        }
        if (candidate > highWatermark) {
            highWatermark = candidate;
        }
    }

    /** Stores the producer state as of the log end, so a restart replays only the batches after it. */
    public void snapshotProducerState() {
        synchronized (appendLock) {
            producers.takeSnapshot(log.logEndOffset());
        }
    }

    /** Forgets producers whose batches retention deleted. */
    public void onRetention() {
        synchronized (appendLock) {
            producers.onLogStartOffsetIncremented(log.logStartOffset());
        }
    }

    /** Drops the producer state with the partition (the topic was deleted). */
    void clearProducerState() {
        synchronized (appendLock) {
            producers.clear();
        }
    }

    /**
     * Reads whole batches from {@code fetchOffset}: below the high watermark for a consumer, below the log
     * end for a follower. The caller closes the slice.
     */
    public LogSlice read(long fetchOffset, int maxBytes, boolean uptoHighWatermark) {
        long maxOffset = uptoHighWatermark ? highWatermark : log.logEndOffset();
        return log.read(fetchOffset, maxBytes, maxOffset);
    }

    /** The first record at or after {@code timestamp} below the high watermark, or null. */
    public TimestampOffset offsetForTimestamp(long timestamp) {
        TimestampOffset found = log.offsetForTimestamp(timestamp);
        if (found == null || found.offset() >= highWatermark) {
            return null;
        }
        return found;
    }

    @Override
    public String toString() {
        return "Partition(" + tp + ", epoch " + leaderEpoch + ", hw " + highWatermark + ", leo " + log.logEndOffset() + ")";
    }
}
