package io.sluice.broker.tools;

import io.sluice.broker.log.OffsetIndex;
import io.sluice.broker.log.TimeIndex;
import io.sluice.proto.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks a segment's offset and time indexes against the batches its {@link SegmentScan} found.
 *
 * <pre>
 * .index      entry (8 bytes):  relativeOffset int32 | position int32   → the batch at position has base offset base + relativeOffset
 * .timeindex  entry (12 bytes): timestamp int64 | relativeOffset int32  → the newest timestamp up to that batch, and the batch
 * </pre>
 *
 * <p>A sealed segment's index files are trimmed to their entries, so every entry must hold. An index is read
 * as <em>preallocated</em> when its segment's data still has a zero tail, or when its segment is the newest
 * and the index itself still has a zero tail (an active segment filled to the last byte, or a crash between
 * trimming the data and trimming the index): then the broker may be running, or a crash left it so. Its
 * entries end at the first all-zero entry after entry 0 (entry 0 may be zeros legitimately: relative offset
 * 0 at position 0, or timestamp 0 at the base offset), and entries past the scanned data (indexed after the
 * scan read that far, or part of a torn tail that recovery will cut) are counted, not judged. The newest
 * segment after a clean shutdown is trimmed like any other and checked in full.
 *
 * <p>Not thread-safe; single use.
 */
final class IndexCheck {
    private final SegmentFiles files;
    private final SegmentScan.Result scan;
    private final BatchTable batches;
    private final boolean dataPreallocated;
    private final DumpReport report;
    private final long base;

    IndexCheck(SegmentFiles files, SegmentScan.Result scan, DumpReport report) {
        this.files = files;
        this.scan = scan;
        this.batches = scan.batches();
        this.dataPreallocated = scan.zeroTailFrom() >= 0;
        this.report = report;
        this.base = files.baseOffset();
    }

    void run() throws IOException {
        if (!files.hasKnownBase()) {
            report.note(files.log(), "the file name holds no base offset; its indexes were not checked");
            return;
        }
        checkOffsetIndex();
        checkTimeIndex();
    }

    private void checkOffsetIndex() throws IOException {
        Path file = files.index();
        ByteBuffer buf = read(file);
        if (buf == null) {
            return;
        }
        boolean relaxed = isPreallocated(buf, OffsetIndex.ENTRY_SIZE);
        int entries = entries(file, buf, OffsetIndex.ENTRY_SIZE, relaxed);
        int unchecked = 0;
        long prevRel = -1;
        long prevPos = -1;
        for (int i = 0; i < entries; i++) {
            int rel = buf.getInt(i * OffsetIndex.ENTRY_SIZE);
            int pos = buf.getInt(i * OffsetIndex.ENTRY_SIZE + 4);
            String where = "entry=" + i + " offset=" + (base + rel) + " position=" + pos;
            if (rel < 0 || pos < 0) {
                report.problem(file, where, "negative relative offset or position");
                continue;
            }
            if (i > 0 && (rel <= prevRel || pos <= prevPos)) {
                report.problem(file, where, "not strictly increasing: the entry before it is offset="
                        + (base + prevRel) + " position=" + prevPos);
            }
            prevRel = rel;
            prevPos = pos;
            if (pos >= scan.dataEnd()) {
                if (relaxed) {
                    unchecked++;
                } else {
                    report.problem(file, where, "points past the data (" + scan.dataEnd() + " bytes of batches)");
                }
                continue;
            }
            int k = batches.indexOfPosition(pos);
            if (k < 0) {
                report.problem(file, where, "no batch starts at position " + pos + nearestBatches(pos));
            } else if (batches.baseOffset(k) != base + rel) {
                report.problem(file, where, "the batch at position " + pos + " has base offset "
                        + batches.baseOffset(k) + ", not " + (base + rel));
            }
        }
        report.line(summary(file, entries, unchecked));
    }

    private void checkTimeIndex() throws IOException {
        Path file = files.timeIndex();
        ByteBuffer buf = read(file);
        if (buf == null) {
            return;
        }
        boolean relaxed = isPreallocated(buf, TimeIndex.ENTRY_SIZE);
        int entries = entries(file, buf, TimeIndex.ENTRY_SIZE, relaxed);
        int unchecked = 0;
        long prevTs = Long.MIN_VALUE;
        long prevRel = -1;
        long lastTs = RecordBatch.NO_TIMESTAMP;
        for (int i = 0; i < entries; i++) {
            long ts = buf.getLong(i * TimeIndex.ENTRY_SIZE);
            int rel = buf.getInt(i * TimeIndex.ENTRY_SIZE + 8);
            long offset = base + rel;
            String where = "entry=" + i + " timestamp=" + ts + " offset=" + offset;
            lastTs = ts;
            if (rel < 0) {
                report.problem(file, where, "negative relative offset");
                continue;
            }
            if (i > 0 && ts <= prevTs) {
                report.problem(file, where, "timestamps not increasing: the entry before it has " + prevTs);
            }
            if (i > 0 && rel < prevRel) {
                report.problem(file, where, "offsets decreasing: the entry before it has " + (base + prevRel));
            }
            prevTs = ts;
            prevRel = rel;
            if (offset >= scan.nextOffset()) {
                if (relaxed) {
                    unchecked++;
                } else {
                    report.problem(file, where, "points past the data (the segment ends at offset "
                            + (scan.nextOffset() - 1) + ")");
                }
                continue;
            }
            checkTimestamp(file, where, ts, offset);
        }
        if (!relaxed) {
            checkLastEntry(file, entries, lastTs);
        }
        report.line(summary(file, entries, unchecked));
    }

    /**
     * The entry says: {@code ts} is the newest timestamp of the batches up to {@code offset}. Newer than any of
     * them is false; older than a batch before {@code offset} would make a lookup by time skip that batch.
     */
    private void checkTimestamp(Path file, String where, long ts, long offset) {
        int k = batches.floorByOffset(offset);
        if (k < 0) {
            report.problem(file, where, "the offset is below the segment's first batch");
            return;
        }
        long newest = batches.maxTimestampThrough(k);
        if (ts > newest) {
            report.problem(file, where, "timestamp exceeds the newest timestamp of the batches up to that offset ("
                    + newest + "; the segment's max timestamp is " + scan.maxTimestamp() + ")");
        }
        long before = batches.maxTimestampThrough(k - 1);
        if (before > ts) {
            report.problem(file, where, "timestamp is older than a batch before that offset (maxTimestamp " + before
                    + "): a lookup by time would skip it");
        }
    }

    /**
     * Sealing appends the segment's newest timestamp, and the broker reads a sealed segment's max timestamp
     * back from that last entry (retention by time, lookups by time).
     */
    private void checkLastEntry(Path file, int entries, long lastTs) {
        if (scan.batchCount() > 0 && scan.maxTimestamp() != RecordBatch.NO_TIMESTAMP
                && (entries == 0 || lastTs < scan.maxTimestamp())) {
            report.problem(file, "", (entries == 0 ? "no entries" : "the last entry has timestamp " + lastTs)
                    + " but the segment's newest batch has maxTimestamp " + scan.maxTimestamp()
                    + ": the broker would take the segment to be older than it is");
        }
    }

    /** The number of entries to check; reports a length that is not a whole number of entries. */
    private int entries(Path file, ByteBuffer buf, int entrySize, boolean relaxed) {
        int capacity = buf.limit() / entrySize;
        if (buf.limit() % entrySize != 0) {
            report.problem(file, "", "length " + buf.limit() + " is not a multiple of the " + entrySize
                    + "-byte entry (a torn last entry)");
        }
        if (!relaxed) {
            return capacity;
        }
        for (int i = 1; i < capacity; i++) {
            if (isZeroEntry(buf, i, entrySize)) {
                return i == 1 && isZeroEntry(buf, 0, entrySize) ? 0 : i;
            }
        }
        return capacity == 1 && isZeroEntry(buf, 0, entrySize) ? 0 : capacity;
    }

    private boolean isPreallocated(ByteBuffer buf, int entrySize) {
        if (dataPreallocated) {
            return true;
        }
        if (!files.last()) {
            return false;
        }
        for (int i = 1, n = buf.limit() / entrySize; i < n; i++) {
            if (isZeroEntry(buf, i, entrySize)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isZeroEntry(ByteBuffer buf, int n, int entrySize) {
        for (int p = n * entrySize, end = p + entrySize; p < end; p++) {
            if (buf.get(p) != 0) {
                return false;
            }
        }
        return true;
    }

    private String nearestBatches(long pos) {
        int after = batches.insertionPoint(pos);
        String below = after > 0 ? " (batches start at " + batches.position(after - 1) : " (the first batch starts at 0";
        return below + (after < batches.size() ? " and " + batches.position(after) + ")" : ")");
    }

    private String summary(Path file, int entries, int unchecked) {
        return "index " + file + ": " + entries + " entries" + (unchecked > 0 ? ", " + unchecked
                + " of them past the scanned data, not checked (preallocated: the segment is active, or was when the broker"
                + " stopped)" : "");
    }

    /** The whole index file, or null (and a problem) when it is missing. Index files are small (segment.index.bytes). */
    private ByteBuffer read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE - 8) {
                report.problem(file, "", size + " bytes, larger than any index the broker writes");
                return null;
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            FileReads.readFully(channel, buf, 0);
            return buf;
        } catch (NoSuchFileException e) {
            report.problem(file, "", "missing (the broker rebuilds it from the data when it next opens the segment)");
            return null;
        }
    }
}
