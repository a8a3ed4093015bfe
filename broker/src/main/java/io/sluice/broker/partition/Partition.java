package io.sluice.broker.partition;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.log.TimestampOffset;
import io.sluice.proto.TopicPartition;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A partition this broker leads: its log, its leader epoch and its high watermark.
 *
 * <p>On a single node the in-sync set is this broker alone, so the high watermark follows the log end as
 * soon as an append returns; replication will move it only when the followers in the ISR have the data.
 *
 * <p>Thread-safety: appends are serialized by {@code appendLock} (which will also guard the producer state);
 * reads run concurrently with appends and see the high watermark through a volatile.
 */
public final class Partition {
    private final TopicPartition tp;
    private final Log log;
    private final int nodeId;
    private final Object appendLock = new Object();
    private volatile int leaderEpoch;
    private volatile long highWatermark;
    private volatile List<Integer> isr;

    Partition(TopicPartition tp, Log log, int nodeId, int leaderEpoch) {
        this.tp = tp;
        this.log = log;
        this.nodeId = nodeId;
        this.leaderEpoch = leaderEpoch;
        this.isr = List.of(nodeId);
        // One replica: everything the log holds after recovery is committed.
        this.highWatermark = log.logEndOffset();
    }

    public TopicPartition topicPartition() {
        return tp;
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
     * Appends a producer's batches as the leader; returns what was appended. The high watermark moves with
     * the log end (ISR of one).
     */
    public LogAppendInfo appendAsLeader(ByteBuffer records) {
        synchronized (appendLock) {
            LogAppendInfo info = log.appendAsLeader(records, leaderEpoch);
            highWatermark = log.logEndOffset();
            return info;
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
