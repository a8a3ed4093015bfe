package io.sluice.broker.log;

import io.sluice.proto.record.Header;
import io.sluice.proto.record.RecordBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The in-memory twin of one partition's {@link Log}, used by {@link LogModelProperties}: what the log must hold,
 * written so that every rule can be checked by eye.
 *
 * <h2>State</h2>
 * <ul>
 * <li>{@code batches}: every batch in {@code [logStart, logEnd)}, by base offset, each with its records
 *     (offset, timestamp, key, value, headers), its leader epoch and its size in bytes. Offsets are contiguous:
 *     each batch starts where the previous one ends, the first at {@code logStart}, the last ends at
 *     {@code logEnd}.
 * <li>{@code segmentBases}: the base offset of every segment, oldest first. The first is {@code logStart}; each
 *     is a batch boundary; only the last (active) segment may be empty, and then its base is {@code logEnd}.
 * </ul>
 *
 * <h2>Rules, one per action</h2>
 * <ul>
 * <li><b>append</b> (leader or follower): the batches go to the end with offsets from {@code logEnd} on. Nothing
 *     of a request with an invalid batch (bad CRC, wrong follower offset, a batch larger than
 *     {@code segment.bytes}) is stored. Where the log rolls during an append is the log's choice (size, full
 *     index, age); the model learns those segment bases from the log but checks that none disappeared and that
 *     every new one is a boundary of the appended batches, at or after the old log end.
 * <li><b>roll</b>: a new segment starts at {@code logEnd}, unless the active segment is empty.
 * <li><b>truncateTo(o)</b>: nothing when {@code o >= logEnd}; when {@code o <= logStart} the log becomes empty
 *     and starts at {@code o} (one segment at {@code o}); otherwise every batch whose last offset is
 *     {@code >= o} goes (so the whole batch holding {@code o}), and every segment whose base is {@code > o}.
 * <li><b>retention(now)</b>, whole segments oldest first, never the last one:
 *     with {@code retention.ms >= 0}, a non-empty active segment whose newest timestamp is more than
 *     {@code retention.ms} before {@code now} is rolled first; then the oldest segments so expired go. Then, with
 *     {@code retention.bytes >= 0}, the oldest segment goes while the rest still hold at least
 *     {@code retention.bytes}. The new {@code logStart} is the new first segment's base. A segment's newest
 *     timestamp is the largest batch maxTimestamp in it; an empty segment never expires.
 * <li><b>close + clean reopen</b>, <b>crash + unclean reopen</b> (page cache survives a killed process, so every
 *     appended batch is still there), <b>crash with a torn write after the last batch</b> (the torn bytes are
 *     never a whole valid batch at the next offset, so recovery must discard them), <b>lost index files</b>:
 *     nothing changes, segments included.
 * <li><b>read(start, maxBytes, maxOffset)</b>: out of range unless {@code logStart <= start <= logEnd}; empty
 *     when {@code start >= min(maxOffset, logEnd)}; otherwise, from the segment holding {@code start}, the batch
 *     holding {@code start} and the batches after it in the same segment, as long as their last offset is below
 *     {@code min(maxOffset, logEnd)} and their total size stays within {@code maxBytes} — but always the first
 *     such batch, even when it alone exceeds {@code maxBytes}. (Empty when the batch holding {@code start}
 *     already reaches {@code maxOffset}.)
 * <li><b>offsetForTimestamp(t)</b>: the first record, in offset order, whose timestamp is {@code >= t}, as
 *     (its timestamp, its offset); null when there is none.
 * </ul>
 * Not thread-safe; one test thread drives it.
 */
final class LogModel {

    /** One record as appended. */
    record Rec(long offset, long timestamp, byte[] key, byte[] value, Header[] headers) {
        @Override
        public String toString() {
            return "Rec(" + offset + ", ts " + timestamp + ", key " + (key == null ? "null" : key.length + "B")
                    + ", value " + (value == null ? "null" : value.length + "B") + ", " + headers.length + " headers)";
        }

        boolean sameContent(Rec o) {
            return offset == o.offset && timestamp == o.timestamp && Arrays.equals(key, o.key)
                    && Arrays.equals(value, o.value) && Arrays.equals(headers, o.headers);
        }
    }

    /** One stored batch. */
    record Batch(long baseOffset, int epoch, int sizeInBytes, List<Rec> records) {
        long lastOffset() {
            return baseOffset + records.size() - 1;
        }

        long nextOffset() {
            return lastOffset() + 1;
        }

        long maxTimestamp() {
            long max = RecordBatch.NO_TIMESTAMP;
            for (Rec r : records) {
                max = Math.max(max, r.timestamp());
            }
            return max;
        }

        @Override
        public String toString() {
            return "Batch[" + baseOffset + ".." + lastOffset() + ", " + sizeInBytes + "B, epoch " + epoch + "]";
        }
    }

    private final TreeMap<Long, Batch> batches = new TreeMap<>();
    private final TreeSet<Long> segmentBases = new TreeSet<>();
    private long logStart;
    private long logEnd;

    LogModel() {
        segmentBases.add(0L);
    }

    long logStart() {
        return logStart;
    }

    long logEnd() {
        return logEnd;
    }

    List<Long> segmentBases() {
        return new ArrayList<>(segmentBases);
    }

    NavigableMap<Long, Batch> batches() {
        return batches;
    }

    boolean isEmpty() {
        return batches.isEmpty();
    }

    /** The batch holding {@code offset}, or null. */
    Batch batchHolding(long offset) {
        Map.Entry<Long, Batch> e = batches.floorEntry(offset);
        return e != null && e.getValue().lastOffset() >= offset ? e.getValue() : null;
    }

    boolean isBoundary(long offset) {
        return offset == logEnd || batches.containsKey(offset);
    }

    /** Bytes of the batches in {@code [from, to)}; both must be boundaries. */
    long bytesIn(long from, long to) {
        long total = 0;
        for (Batch b : batches.subMap(from, true, to, false).values()) {
            total += b.sizeInBytes();
        }
        return total;
    }

    long sizeInBytes() {
        return bytesIn(logStart, logEnd);
    }

    /** The end (exclusive) of the segment whose base is {@code base}. */
    long segmentEnd(long base) {
        Long next = segmentBases.higher(base);
        return next == null ? logEnd : next;
    }

    long segmentMaxTimestamp(long base) {
        long max = RecordBatch.NO_TIMESTAMP;
        for (Batch b : batches.subMap(base, true, segmentEnd(base), false).values()) {
            max = Math.max(max, b.maxTimestamp());
        }
        return max;
    }

    // ---------------------------------------------------------------- the rules

    void append(List<Batch> appended) {
        for (Batch b : appended) {
            if (b.baseOffset() != logEnd) {
                throw new IllegalStateException("model: batch " + b + " does not start at the log end " + logEnd);
            }
            batches.put(b.baseOffset(), b);
            logEnd = b.nextOffset();
        }
    }

    /**
     * Takes the segment bases the log chose during an append. Returns a complaint when they break the rule
     * (a base disappeared, or a new one is not a boundary of the appended batches), else null.
     */
    String adoptRolls(List<Long> observed, long oldLogEnd) {
        TreeSet<Long> seen = new TreeSet<>(observed);
        for (long base : segmentBases) {
            if (!seen.contains(base)) {
                return "segment " + base + " disappeared during an append";
            }
        }
        for (long base : seen) {
            if (!segmentBases.contains(base) && (base < oldLogEnd || base >= logEnd || !batches.containsKey(base))) {
                return "append rolled a segment at " + base + ", which is not the start of a batch appended in ["
                        + oldLogEnd + ", " + logEnd + ")";
            }
        }
        segmentBases.clear();
        segmentBases.addAll(seen);
        return null;
    }

    /** An explicit roll, or the roll of an expired active segment by retention. */
    void roll() {
        if (segmentBases.last() < logEnd) {
            segmentBases.add(logEnd);
        }
    }

    void truncateTo(long offset) {
        if (offset >= logEnd) {
            return;
        }
        if (offset <= logStart) {
            batches.clear();
            segmentBases.clear();
            segmentBases.add(offset);
            logStart = offset;
            logEnd = offset;
            return;
        }
        Batch holding = batchHolding(offset);
        long newEnd = holding.baseOffset();
        batches.tailMap(newEnd, true).clear();
        segmentBases.tailSet(offset, false).clear();
        logEnd = newEnd;
    }

    /**
     * Applies retention as the rules above say and returns the number of segments it deletes. The active segment's
     * roll, if any, is part of it.
     */
    int applyRetention(long nowMs, long retentionBytes, long retentionMs) {
        int deleted = 0;
        if (retentionMs >= 0) {
            long activeBase = segmentBases.last();
            if (activeBase < logEnd && expired(activeBase, nowMs, retentionMs)) {
                roll();
            }
            while (segmentBases.size() > 1 && expired(segmentBases.first(), nowMs, retentionMs)) {
                deleteOldest();
                deleted++;
            }
        }
        if (retentionBytes >= 0) {
            long size = sizeInBytes();
            while (segmentBases.size() > 1) {
                long first = segmentBases.first();
                long firstSize = bytesIn(first, segmentEnd(first));
                if (size - firstSize < retentionBytes) {
                    break;
                }
                size -= firstSize;
                deleteOldest();
                deleted++;
            }
        }
        return deleted;
    }

    private boolean expired(long base, long nowMs, long retentionMs) {
        long newest = segmentMaxTimestamp(base);
        return newest != RecordBatch.NO_TIMESTAMP && nowMs - newest > retentionMs;
    }

    private void deleteOldest() {
        long first = segmentBases.pollFirst();
        long end = segmentBases.first();
        batches.subMap(first, true, end, false).clear();
        logStart = end;
    }

    /** The first record in offset order whose timestamp is at least {@code timestamp}. */
    TimestampOffset offsetForTimestamp(long timestamp) {
        for (Batch b : batches.values()) {
            if (b.maxTimestamp() < timestamp) {
                continue;
            }
            for (Rec r : b.records()) {
                if (r.timestamp() >= timestamp) {
                    return new TimestampOffset(r.timestamp(), r.offset());
                }
            }
        }
        return null;
    }

    /**
     * What {@code read(start, maxBytes, maxOffset)} must return, for {@code logStart <= start <= logEnd}: the
     * batches, possibly none.
     */
    List<Batch> expectedRead(long start, int maxBytes, long maxOffset) {
        long end = Math.min(maxOffset, logEnd);
        List<Batch> out = new ArrayList<>();
        if (start >= end) {
            return out;
        }
        long segBase = segmentBases.floor(start);
        long segEnd = segmentEnd(segBase);
        long total = 0;
        Batch first = batchHolding(start);
        for (Batch b : batches.subMap(first.baseOffset(), true, segEnd, false).values()) {
            if (b.lastOffset() >= end) {
                break;
            }
            if (!out.isEmpty() && total + b.sizeInBytes() > Math.max(0, maxBytes)) {
                break;
            }
            out.add(b);
            total += b.sizeInBytes();
        }
        return out;
    }

    /** Every timestamp in the log, for choosing interesting lookups. */
    List<Long> timestamps() {
        List<Long> out = new ArrayList<>();
        for (Batch b : batches.values()) {
            for (Rec r : b.records()) {
                out.add(r.timestamp());
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "LogModel([" + logStart + ", " + logEnd + "), " + batches.size() + " batches, " + sizeInBytes()
                + " bytes, segments " + segmentBases + ")";
    }
}
