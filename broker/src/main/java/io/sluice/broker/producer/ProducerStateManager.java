package io.sluice.broker.producer;

import io.sluice.broker.log.Log;
import io.sluice.broker.producer.AppendCheck.Outcome;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.RecordBatch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition's idempotent-producer state, with Kafka's rules: for each producer id its epoch and its last
 * {@value ProducerStateEntry#RETAINED_BATCHES} batches, so that a retried batch is recognised and answered with its
 * original offsets, a gap is refused, and an older epoch is fenced.
 *
 * <p>The append path, under the partition's append lock: {@link #check} the batch; on {@code APPEND}, append it to
 * the log and then {@link #update} with the offsets it got; on {@code DUPLICATE}, answer with
 * {@link AppendCheck#duplicateOf()}'s offsets and append nothing. Check and update one batch at a time: a second
 * batch of the same producer is checked against the first only once the first is updated.
 *
 * <p>Thread-safety: not thread-safe; guarded by the partition's append lock, which the caller holds across check,
 * append and update, and across loads, truncation and snapshots, so that the state always matches the log end.
 */
public final class ProducerStateManager {
    private static final Logger log = LoggerFactory.getLogger(ProducerStateManager.class);

    private final TopicPartition tp;
    private final ProducerStateStore snapshots;
    private final Map<Long, ProducerStateEntry> producers = new HashMap<>();

    public ProducerStateManager(TopicPartition tp, ProducerStateStore snapshots) {
        this.tp = tp;
        this.snapshots = snapshots;
    }

    // ---------------------------------------------------------------- the append path

    /** What to do with {@code batch} before it is appended; see {@link AppendCheck.Outcome}. */
    public AppendCheck check(RecordBatch batch) {
        return check(ProducerBatch.of(batch));
    }

    AppendCheck check(ProducerBatch batch) {
        if (!batch.idempotent()) {
            return AppendCheck.APPEND;
        }
        long pid = batch.producerId();
        short epoch = batch.producerEpoch();
        int firstSeq = batch.baseSequence();
        if (firstSeq < 0) {
            return AppendCheck.refuse(Outcome.OUT_OF_ORDER_SEQUENCE, tp + ": producer " + pid
                    + " sent base sequence " + firstSeq + "; an idempotent batch needs a sequence of 0 or more");
        }
        ProducerStateEntry entry = producers.get(pid);
        if (entry == null) {
            // Nothing known: either a new producer, or one whose batches all fell below the log start (retention)
            // or expired; the client tells the two apart by its last acknowledged offset and the log start offset.
            return firstSeq == 0 ? AppendCheck.APPEND : AppendCheck.refuse(Outcome.UNKNOWN_PRODUCER_ID, tp
                    + ": no state for producer " + pid + " (new, or its batches are below the log start or expired)"
                    + " and its first sequence is " + firstSeq + ", not 0");
        }
        if (epoch < entry.epoch()) {
            return AppendCheck.refuse(Outcome.INVALID_PRODUCER_EPOCH, tp + ": producer " + pid + " epoch " + epoch
                    + " is older than the current epoch " + entry.epoch());
        }
        if (epoch > entry.epoch()) {
            return firstSeq == 0 ? AppendCheck.APPEND : AppendCheck.refuse(Outcome.OUT_OF_ORDER_SEQUENCE, tp
                    + ": producer " + pid + " new epoch " + epoch + " must start at sequence 0, not " + firstSeq);
        }
        BatchMetadata original = entry.find(firstSeq, batch.lastSequence());
        if (original != null) {
            return AppendCheck.duplicate(original);
        }
        int lastSeq = entry.last().lastSeq();
        if (!inSequence(lastSeq, firstSeq)) {
            return AppendCheck.refuse(Outcome.OUT_OF_ORDER_SEQUENCE, tp + ": producer " + pid + " epoch " + epoch
                    + " sent sequence " + firstSeq + " after " + lastSeq + "; expected " + nextSequence(lastSeq));
        }
        return AppendCheck.APPEND;
    }

    /** Records {@code batch}, just appended at {@code [firstOffset, lastOffset]}. Non-idempotent batches are ignored. */
    public void update(RecordBatch batch, long firstOffset, long lastOffset) {
        ProducerBatch b = ProducerBatch.of(batch);
        apply(new ProducerBatch(b.producerId(), b.producerEpoch(), b.baseSequence(), b.lastSequence(), firstOffset,
                lastOffset, b.maxTimestamp()));
    }

    /** Applies a batch without checks: the log already holds it (appends after check, and replays on load). */
    private void apply(ProducerBatch b) {
        if (!b.idempotent()) {
            return;
        }
        BatchMetadata meta = new BatchMetadata(b.baseSequence(), b.lastSequence(), b.baseOffset(), b.lastOffset(),
                b.maxTimestamp());
        ProducerStateEntry entry = producers.get(b.producerId());
        producers.put(b.producerId(), entry == null
                ? new ProducerStateEntry(b.producerId(), b.producerEpoch(), List.of(meta))
                : entry.with(b.producerEpoch(), meta));
    }

    static boolean inSequence(int lastSeq, int nextFirstSeq) {
        return nextFirstSeq == nextSequence(lastSeq);
    }

    static int nextSequence(int lastSeq) {
        return lastSeq == Integer.MAX_VALUE ? 0 : lastSeq + 1;
    }

    // ---------------------------------------------------------------- reading the state

    public Optional<ProducerStateEntry> entry(long producerId) {
        return Optional.ofNullable(producers.get(producerId));
    }

    /** Every producer's entry, by producer id. */
    public List<ProducerStateEntry> entries() {
        List<ProducerStateEntry> all = new ArrayList<>(producers.values());
        all.sort(Comparator.comparingLong(ProducerStateEntry::producerId));
        return all;
    }

    // ---------------------------------------------------------------- log start, expiry

    /**
     * Forgets producers whose last batch is below the new log start (retention deleted all they wrote), as Kafka
     * does: their next batch gets {@code UNKNOWN_PRODUCER_ID} unless it starts a sequence at 0.
     *
     * @return how many producers were forgotten
     */
    public int onLogStartOffsetIncremented(long logStartOffset) {
        int before = producers.size();
        producers.values().removeIf(e -> e.last().lastOffset() < logStartOffset);
        return before - producers.size();
    }

    /**
     * Forgets producers that have written nothing newer than {@code expirationMs} ago (by their last batch's
     * timestamp), as Kafka's {@code producer.id.expiration.ms}, so the state of long-gone producers does not pile up.
     */
    public int removeExpiredProducers(long nowMs, long expirationMs) {
        int before = producers.size();
        producers.values().removeIf(e -> nowMs - e.last().timestamp() > expirationMs);
        return before - producers.size();
    }

    // ---------------------------------------------------------------- snapshots, loading, truncation

    /** The state as of {@code logEndOffset}, which must be the log end now (the caller holds the append lock). */
    public ProducerStateSnapshot snapshot(long logEndOffset) {
        return new ProducerStateSnapshot(logEndOffset, entries());
    }

    /** Stores {@link #snapshot} in the broker store, replacing the partition's previous one (clean shutdown, periodic). */
    public void takeSnapshot(long logEndOffset) {
        snapshots.save(tp, snapshot(logEndOffset));
    }

    /** Loads the state for {@code log} from its stored snapshot, if any, and the log after it. See {@link #loadFrom}. */
    public void load(Log partitionLog) {
        loadFrom(snapshots.load(tp).orElse(null), partitionLog);
    }

    /**
     * Replaces the state with {@code snapshot} (may be null) and replays the batch headers from the snapshot's offset
     * to the log end. A snapshot above the log end (the log lost its tail in a crash after the snapshot was taken)
     * describes batches that are gone: it is discarded, and deleted from the store, and the state is rebuilt from the
     * log start — a scan of every batch header (see {@link LogHeaderScanner} for the cost). Producers whose batches
     * are all below the log start are dropped.
     */
    public void loadFrom(ProducerStateSnapshot snapshot, Log partitionLog) {
        producers.clear();
        long start = partitionLog.logStartOffset();
        long end = partitionLog.logEndOffset();
        long from = start;
        if (snapshot != null && snapshot.offset() <= end) {
            for (ProducerStateEntry e : snapshot.entries()) {
                producers.put(e.producerId(), e);
            }
            from = Math.max(snapshot.offset(), start);
        } else if (snapshot != null) {
            log.warn(
                    "{}: producer state snapshot at offset {} is above the log end {} (the log lost its tail);"
                            + " discarding it and rebuilding from the log start {}", tp, snapshot.offset(), end, start);
            snapshots.delete(tp);
        }
        onLogStartOffsetIncremented(start);
        long scanned = LogHeaderScanner.scan(partitionLog, from, this::apply);
        if (from < end) {
            log.info("{}: producer state loaded: {} producers, batch headers {}..{} replayed",
                    tp, producers.size(), from, scanned);
        }
    }

    /**
     * Brings the state back in line after {@code log} was truncated ({@link Log#truncateTo}). When no producer's
     * last batch reached the new log end, nothing the state remembers was cut and it stays as it is. Otherwise a
     * producer may have lost batches (and with them its older epoch's history), so the state is reloaded: from the
     * stored snapshot if it is not above the new end, else from the log start. A stored snapshot above the new end is
     * deleted, since batches written later at the same offsets would not be the ones it describes.
     */
    public void truncateTo(Log partitionLog) {
        long end = partitionLog.logEndOffset();
        Optional<ProducerStateSnapshot> stored = snapshots.load(tp);
        if (stored.isPresent() && stored.get().offset() > end) {
            snapshots.delete(tp);
            stored = Optional.empty();
        }
        boolean cut = false;
        for (ProducerStateEntry e : producers.values()) {
            if (e.last().lastOffset() >= end) {
                cut = true;
                break;
            }
        }
        if (cut) {
            loadFrom(stored.orElse(null), partitionLog);
        }
    }

    /** Forgets everything, in memory and in the store (the partition was deleted). */
    public void clear() {
        producers.clear();
        snapshots.delete(tp);
    }

    @Override
    public String toString() {
        return "ProducerStateManager(" + tp + ", " + producers.size() + " producers)";
    }
}
