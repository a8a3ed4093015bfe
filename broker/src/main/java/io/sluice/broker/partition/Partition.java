package io.sluice.broker.partition;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.log.TimestampOffset;
import io.sluice.broker.producer.AppendCheck;
import io.sluice.broker.producer.ProducerStateManager;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.record.RecordBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A partition this broker hosts, as its leader or as a follower: its log, its leader epoch, and — on the
 * leader — the replicas, the in-sync set (ISR) and what it knows of each follower's log. The high watermark is
 * the smallest log end in the ISR (what consumers may read; on a follower, what the leader last said, capped by
 * the local log end). It also keeps the state of the idempotent producers writing to it, on followers too (the
 * leader's batches replay into it), so a retry after a failover is answered with its original offset.
 *
 * <p>A follower is in sync while it catches up with the leader's log end at least every
 * {@code replica.lag.time.max.ms}. Kafka's rule for "caught up": a fetch at or past the leader's current log end
 * catches up now; a fetch at or past the log end the leader had at the follower's previous fetch catches up as of
 * that previous fetch (so a follower that keeps pace with a steady stream counts as caught up).
 *
 * <p>Thread-safety: appends, truncation, role changes, follower and ISR bookkeeping and everything about the
 * producer state are serialized by {@code appendLock} (held across a log append, never across the network).
 * Reads run concurrently and see the role, epoch, ISR and high watermark through volatiles.
 */
public final class Partition {
    private final TopicPartition tp;
    private final Log log;
    private final int nodeId;
    private final Clock clock;
    private final Object appendLock = new Object();
    /** Guarded by {@code appendLock}. */
    private final ProducerStateManager producers;
    private volatile boolean leader = true;
    private volatile int leaderId;
    private volatile int leaderEpoch;
    private volatile long highWatermark;
    private volatile List<Integer> replicas;
    private volatile List<Integer> isr;
    /**
     * The controller's version of this partition's record ({@code PartitionRecord.partitionEpoch}) that the ISR
     * came with, sent back with an AlterPartition; -1 when not known (leadership driven without a controller).
     */
    private volatile int partitionEpoch = -1;
    /**
     * Followers proposed for the ISR whose change is not committed yet (guarded by {@code appendLock}). They count
     * for the high watermark from the proposal on (Kafka's "maximal ISR"): once the controller commits them, the
     * new ISR may elect one of them, which must then hold everything acknowledged before the leader heard back.
     */
    private List<Integer> pendingIsrAdditions = List.of();
    /** The log end when this broker became leader at the current epoch; guarded by {@code appendLock}. */
    private long leaderEpochStartOffset;
    /** What the leader knows of each follower; guarded by {@code appendLock}, empty on a follower. */
    private final Map<Integer, FollowerState> followers = new HashMap<>();
    /** On a follower, the leader's log end its last fetch answer gave (-1: none yet); written by the fetcher. */
    private volatile long leaderLogEndSeen = -1;
    private final PartitionTraffic traffic;

    Partition(TopicPartition tp, Log log, int nodeId, int leaderEpoch, ProducerStateManager producers) {
        this(tp, log, nodeId, leaderEpoch, producers, PartitionTraffic.NONE, Clock.SYSTEM);
    }

    /** A leader with only itself as replica (the single-node case) until {@link #makeLeader} names others. */
    Partition(TopicPartition tp, Log log, int nodeId, int leaderEpoch, ProducerStateManager producers,
              PartitionTraffic traffic, Clock clock) {
        this.tp = tp;
        this.traffic = traffic;
        this.log = log;
        this.nodeId = nodeId;
        this.clock = clock;
        this.leaderId = nodeId;
        this.leaderEpoch = leaderEpoch;
        this.replicas = List.of(nodeId);
        this.isr = List.of(nodeId);
        this.producers = producers;
        synchronized (appendLock) {
            producers.load(log);
            this.leaderEpochStartOffset = log.logEndOffset();
        }
        // One replica: everything the log holds after recovery is committed. With others, see startReplicated.
        this.highWatermark = log.logEndOffset();
    }

    /**
     * For a partition opened with other replicas: only what was committed before the stop is known to be committed
     * now, so the high watermark starts at the checkpointed one ({@code replication-offset-checkpoint}, written by
     * the log manager), bounded by the log end; with no checkpoint, at the log start. The followers' fetches (or, on
     * a follower, the leader's answers) raise it. Called before the partition is published.
     *
     * @param checkpointedHighWatermark the high watermark checkpointed before the stop, -1 if none
     */
    void startReplicated(long checkpointedHighWatermark) {
        synchronized (appendLock) {
            long start = log.logStartOffset();
            highWatermark = Math.max(start, Math.min(checkpointedHighWatermark, log.logEndOffset()));
        }
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

    /** The broker leading the partition: this one, or the one a follower fetches from. */
    public int leaderId() {
        return leaderId;
    }

    public boolean isLeader() {
        return leader;
    }

    /** The assigned replicas (on the leader; on a follower, the empty list). */
    public List<Integer> replicas() {
        return replicas;
    }

    public List<Integer> inSyncReplicas() {
        return isr;
    }

    /** The controller's partition epoch of the ISR this leader holds (-1: leadership not from a controller). */
    public int partitionEpoch() {
        return partitionEpoch;
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

    // ---------------------------------------------------------------- role changes

    /**
     * Leads the partition at {@code epoch} with {@code replicas} and the in-sync set {@code inSync} (this broker is
     * always in it). What was known of followers is forgotten; in-sync ones count as caught up now, so they are
     * not dropped before they had {@code replica.lag.time.max.ms} to fetch. The high watermark stays where it was
     * (a new leader's is its old follower one) until the followers' fetches move it.
     *
     * @return false, and nothing changes, when {@code epoch} is older than the current one
     */
    boolean makeLeader(int epoch, List<Integer> replicas, List<Integer> inSync) {
        return makeLeader(epoch, -1, replicas, inSync);
    }

    /** {@link #makeLeader(int, List, List)} with the controller's partition epoch the ISR came with. */
    boolean makeLeader(int epoch, int partitionEpoch, List<Integer> replicas, List<Integer> inSync) {
        synchronized (appendLock) {
            if (epoch < leaderEpoch) {
                return false;
            }
            long now = clock.milliseconds();
            List<Integer> isrWithSelf = withSelf(inSync);
            followers.clear();
            for (int r : replicas) {
                if (r != nodeId) {
                    followers.put(r, new FollowerState(isrWithSelf.contains(r) ? now : 0));
                }
            }
            this.replicas = withSelf(replicas);
            this.isr = isrWithSelf;
            this.pendingIsrAdditions = List.of();
            this.partitionEpoch = partitionEpoch;
            this.leaderEpoch = epoch;
            this.leaderId = nodeId;
            this.leaderEpochStartOffset = log.logEndOffset();
            this.leader = true;
            if (highWatermark > log.logEndOffset()) {
                highWatermark = log.logEndOffset();
            }
            maybeIncrementHighWatermark();
            return true;
        }
    }

    /**
     * Follows {@code leaderId} at {@code epoch}: appends from producers are refused from now on, and appends from a
     * fetcher of an older epoch too.
     *
     * @return false, and nothing changes, when {@code epoch} is older than the current one
     */
    boolean makeFollower(int epoch, int leaderId) {
        synchronized (appendLock) {
            if (epoch < leaderEpoch) {
                return false;
            }
            this.leader = false;
            this.leaderEpoch = epoch;
            this.leaderId = leaderId;
            this.followers.clear();
            this.replicas = List.of();
            this.isr = List.of();
            this.pendingIsrAdditions = List.of();
            return true;
        }
    }

    private List<Integer> withSelf(List<Integer> ids) {
        if (ids.contains(nodeId)) {
            return List.copyOf(ids);
        }
        List<Integer> copy = new ArrayList<>(ids);
        copy.add(0, nodeId);
        return List.copyOf(copy);
    }

    // ---------------------------------------------------------------- appending

    /** {@link #appendAsLeader(ByteBuffer, int, int)} for {@code acks=1}: no in-sync-set requirement. */
    public AppendResult appendAsLeader(ByteBuffer records) {
        return appendAsLeader(records, 1, 1);
    }

    /**
     * Appends a producer's batches (position to limit) as the leader. An idempotent producer's batch is first
     * checked against what this partition remembers of it: a retry of a remembered batch is answered with its
     * original offsets and not written again; a gap or a fenced epoch is refused. With {@code requiredAcks} -1
     * (all) and fewer than {@code minInsyncReplicas} in the ISR nothing is written: NOT_ENOUGH_REPLICAS.
     *
     * @throws io.sluice.proto.record.CorruptRecordException when a batch fails validation (nothing is appended)
     */
    public AppendResult appendAsLeader(ByteBuffer records, int requiredAcks, int minInsyncReplicas) {
        RecordBatch first = RecordBatch.at(records, records.position());
        boolean single = first.sizeInBytes() == records.remaining();
        if (!single && first.producerId() != RecordBatch.NO_PRODUCER_ID) {
            // Kafka's rule too: with one batch per partition, a request is either a retry or not, never half of each.
            return AppendResult.refused(ErrorCode.INVALID_REQUEST, tp + ": an idempotent producer sends one batch per"
                    + " partition in a request; this one holds several");
        }
        synchronized (appendLock) {
            if (!leader) {
                return AppendResult.refused(ErrorCode.NOT_LEADER_OR_FOLLOWER, tp + ": this broker follows " + leaderId
                        + " at leader epoch " + leaderEpoch);
            }
            List<Integer> inSync = isr;
            if (requiredAcks == -1 && inSync.size() < minInsyncReplicas) {
                return AppendResult.refused(ErrorCode.NOT_ENOUGH_REPLICAS, tp + ": the in-sync replicas " + inSync
                        + " are fewer than min.insync.replicas=" + minInsyncReplicas);
            }
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
     * Appends the leader's batches unchanged (offsets and epochs as they are) and replays them into the producer
     * state, as a follower at {@code expectedEpoch}.
     *
     * @return what was appended, or null when this broker no longer follows at that epoch (nothing is written)
     * @throws io.sluice.broker.log.UnexpectedAppendOffsetException when the batches do not start at the log end
     */
    public LogAppendInfo appendAsFollower(ByteBuffer records, int expectedEpoch) {
        synchronized (appendLock) {
            if (leader || leaderEpoch != expectedEpoch) {
                return null;
            }
            LogAppendInfo info = log.appendAsFollower(records);
            int position = records.position();
            while (position < records.limit()) {
                RecordBatch batch = RecordBatch.at(records, position);
                producers.update(batch, batch.baseOffset(), batch.lastOffset());
                position += batch.sizeInBytes();
            }
            return info;
        }
    }

    /**
     * A follower's high watermark: the leader's, capped by the local log end.
     *
     * @return whether it changed
     */
    public boolean updateHighWatermarkAsFollower(long leaderHighWatermark, int expectedEpoch) {
        synchronized (appendLock) {
            if (leader || leaderEpoch != expectedEpoch) {
                return false;
            }
            long hw = Math.min(leaderHighWatermark, log.logEndOffset());
            boolean changed = hw != highWatermark;
            highWatermark = hw;
            return changed;
        }
    }

    /**
     * Removes every batch at or after {@code offset} (a follower's tail that the leader does not have), with the
     * producer state and the leader epochs of what was removed; the high watermark comes down to the log end if
     * it was above.
     */
    public void truncateTo(long offset) {
        synchronized (appendLock) {
            if (log.truncateTo(offset)) {
                producers.truncateTo(log);
            }
            highWatermark = Math.min(highWatermark, log.logEndOffset());
        }
    }

    /** Empties the log and starts it at {@code offset} (a follower below the leader's log start). */
    public void truncateFullyAndStartAt(long offset) {
        synchronized (appendLock) {
            log.truncateFullyAndStartAt(offset);
            producers.onLogStartOffsetIncremented(offset);
            producers.truncateTo(log);
            highWatermark = offset;
        }
    }

    // ---------------------------------------------------------------- followers and the ISR (leader side)

    /**
     * Records a follower's fetch from {@code fetchOffset} (its log end) at {@code nowMs}: its log end, whether it
     * caught up (see the class comment), and the high watermark that follows.
     *
     * @return what changed, or null when this broker does not lead the partition or {@code replicaId} is not one of
     *         its followers
     */
    FollowerFetch updateFollowerFetchState(int replicaId, long fetchOffset, long nowMs) {
        synchronized (appendLock) {
            FollowerState follower = followers.get(replicaId);
            if (!leader || follower == null) {
                return null;
            }
            long leaderEnd = log.logEndOffset();
            if (fetchOffset >= leaderEnd) {
                follower.lastCaughtUpMs = Math.max(follower.lastCaughtUpMs, nowMs);
            } else if (follower.lastFetchLeaderLogEnd >= 0 && fetchOffset >= follower.lastFetchLeaderLogEnd) {
                follower.lastCaughtUpMs = Math.max(follower.lastCaughtUpMs, follower.lastFetchMs);
            }
            follower.logEndOffset = fetchOffset;
            follower.lastFetchLeaderLogEnd = leaderEnd;
            follower.lastFetchMs = nowMs;
            boolean hwMoved = maybeIncrementHighWatermark();
            List<Integer> expanded = null;
            if (!isr.contains(replicaId) && fetchOffset >= highWatermark && fetchOffset >= leaderEpochStartOffset) {
                List<Integer> proposal = new ArrayList<>(isr);
                proposal.add(replicaId);
                expanded = List.copyOf(proposal);
            }
            return new FollowerFetch(hwMoved, leaderEpoch, expanded);
        }
    }

    /**
     * Counts {@code replicaId}, proposed for the ISR at {@code epoch}, in the high watermark until the controller's
     * answer is applied ({@link #applyIsr}) or the leadership changes.
     */
    void markPendingIsrAddition(int epoch, int replicaId) {
        synchronized (appendLock) {
            if (leader && epoch == leaderEpoch && !isr.contains(replicaId) && !pendingIsrAdditions.contains(replicaId)
                    && followers.containsKey(replicaId)) {
                List<Integer> next = new ArrayList<>(pendingIsrAdditions);
                next.add(replicaId);
                pendingIsrAdditions = List.copyOf(next);
            }
        }
    }

    /**
     * Forgets the additions proposed at {@code epoch}: the controller refused them outright, so none of them can be
     * in a committed ISR.
     */
    void clearPendingIsrAdditions(int epoch) {
        synchronized (appendLock) {
            if (epoch == leaderEpoch && !pendingIsrAdditions.isEmpty()) {
                pendingIsrAdditions = List.of();
                maybeIncrementHighWatermark();
            }
        }
    }

    /** What a follower's fetch changed: whether the high watermark moved, and an ISR to propose (or null). */
    record FollowerFetch(boolean highWatermarkMoved, int leaderEpoch, List<Integer> proposedIsr) {
    }

    /**
     * The ISR without the followers that have not caught up within {@code lagTimeMaxMs} of {@code nowMs}, or null
     * when all are in time (or this broker does not lead).
     */
    List<Integer> shrinkIsrProposal(long nowMs, long lagTimeMaxMs) {
        synchronized (appendLock) {
            if (!leader) {
                return null;
            }
            List<Integer> kept = new ArrayList<>();
            for (int r : isr) {
                FollowerState f = followers.get(r);
                if (r == nodeId || (f != null && nowMs - f.lastCaughtUpMs <= lagTimeMaxMs)) {
                    kept.add(r);
                }
            }
            return kept.size() == isr.size() ? null : List.copyOf(kept);
        }
    }

    /**
     * Applies an ISR committed for leader epoch {@code epoch} (this broker is kept in it); the high watermark
     * follows the new set.
     *
     * @return whether it was applied: false when this broker no longer leads at that epoch
     */
    public boolean applyIsr(int epoch, List<Integer> newIsr) {
        return applyIsr(epoch, -1, newIsr);
    }

    /**
     * {@link #applyIsr(int, List)} for the record the controller committed at {@code partitionEpoch} (pending
     * additions are settled by it: in or out, the committed ISR is what counts now).
     */
    public boolean applyIsr(int epoch, int partitionEpoch, List<Integer> newIsr) {
        synchronized (appendLock) {
            if (!leader || epoch != leaderEpoch) {
                return false;
            }
            List<Integer> next = withSelf(newIsr);
            next = next.stream().filter(r -> r == nodeId || followers.containsKey(r)).toList();
            isr = next;
            pendingIsrAdditions = List.of();
            this.partitionEpoch = partitionEpoch;
            maybeIncrementHighWatermark();
            return true;
        }
    }

    /** On a follower: the leader's log end in the last fetch answer (for the lag this replica reports). */
    public void recordLeaderLogEnd(long leaderLogEnd) {
        leaderLogEndSeen = leaderLogEnd;
    }

    /**
     * How many records the replication lags, for {@code /metrics}: on the leader, the most any other assigned replica
     * is behind this log end (one not heard from under this leadership counts from the log start); on a follower,
     * how far this log end is behind the leader's in its last fetch answer. Never negative.
     */
    public long replicaLag() {
        long end = log.logEndOffset();
        if (!leader) {
            long seen = leaderLogEndSeen;
            return seen < 0 ? 0 : Math.max(0, seen - end);
        }
        synchronized (appendLock) {
            long lag = 0;
            for (FollowerState f : followers.values()) {
                long followerEnd = f.logEndOffset < 0 ? log.logStartOffset() : f.logEndOffset;
                lag = Math.max(lag, end - followerEnd);
            }
            return lag;
        }
    }

    /** A follower's log end as the leader last heard it (-1: not yet), or -1 for a non-follower. */
    public long followerLogEnd(int replicaId) {
        synchronized (appendLock) {
            FollowerState f = followers.get(replicaId);
            return f == null ? -1 : f.logEndOffset;
        }
    }

    /** The smallest log end in the ISR, if above the current high watermark; it never moves back. Under appendLock. */
    private boolean maybeIncrementHighWatermark() {
        if (!leader) {
            return false;
        }
        long candidate = log.logEndOffset();
        for (int replica : isr) {
            if (replica != nodeId) {
                FollowerState f = followers.get(replica);
                candidate = Math.min(candidate, f == null ? -1 : f.logEndOffset);
            }
        }
        for (int replica : pendingIsrAdditions) {
            FollowerState f = followers.get(replica);
            candidate = Math.min(candidate, f == null ? -1 : f.logEndOffset);
        }
        if (candidate > highWatermark) {
            highWatermark = candidate;
            return true;
        }
        return false;
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
