package io.sluice.broker.tools;

import io.sluice.proto.record.CorruptRecordException;
import io.sluice.proto.record.Record;
import io.sluice.proto.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;

/**
 * Reads one segment data file batch by batch, prints each batch, and reports what is inconsistent in it:
 * framing, magic, CRC, offsets that do not follow on, epochs that go back, and (with {@code verify}) the
 * records' own framing.
 *
 * <p>It reads with positional reads on a read-only channel, never a mapping: the broker may be appending to
 * the file or trimming it as it seals the segment, and touching a mapping past the end of a file that shrank
 * kills the JVM with SIGBUS, where a channel read just comes back short. A batch's header is read first and
 * the batch only once the header shows it fits in the file, into one reused buffer, so memory stays at the
 * size of the largest batch however large the segment is.
 *
 * <p>The scan stops at the first header of all zeros: the preallocated tail of a segment that is active, or
 * was when the broker stopped. It also stops at bytes that cannot be a batch (too short for a header, length
 * out of range, wrong magic): past those the framing is lost. A batch whose framing holds but whose CRC fails
 * is reported and stepped over, so that one damaged batch does not hide the ones after it.
 *
 * <p>While a broker is running, the newest batch of the active segment can be caught half-written; a
 * problem reported right at the end of an active segment's data should be checked again.
 *
 * <p>Not thread-safe; single use.
 */
final class SegmentScan {
    private static final int TAIL_CHUNK_BYTES = 1 << 20;
    // CorruptRecordException messages start with the position in the buffer the batch was read into (0), not
    // in the file; the problem line gives the file position instead.
    private static final Pattern BATCH_PREFIX = Pattern.compile("^batch at position -?\\d+ \\(baseOffset -?\\d+\\): ");

    /**
     * What the scan found.
     *
     * @param dataEnd      where the scan stopped: the end of the last batch it stepped over
     * @param zeroTailFrom where the all-zero (preallocated) tail starts, or -1
     * @param firstOffset  the first batch's base offset, or -1 when there are none
     * @param nextOffset   the offset after the last batch; the file's base offset when there are none
     * @param lastEpoch    the leader epoch of the last batch, or the epoch the scan was given
     * @param batches      every batch's position, base offset and timestamps; empty unless verifying
     */
    record Result(long fileBytes, long dataEnd, long zeroTailFrom, int batchCount, long firstOffset,
                  long nextOffset, long maxTimestamp, int lastEpoch, BatchTable batches) {
    }

    private final SegmentFiles files;
    private final DumpReport report;
    private final boolean verify;
    private final boolean records;
    private final ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
    private final BatchTable table = new BatchTable();
    private ByteBuffer batchBuf = ByteBuffer.allocate(64 * 1024);
    private int batchCount;
    private long firstOffset = -1;
    private long nextOffset;
    private long maxTimestamp = RecordBatch.NO_TIMESTAMP;
    private int lastEpoch;

    /** @param previousEpoch the leader epoch of the batch before this segment, or {@code Integer.MIN_VALUE} */
    SegmentScan(SegmentFiles files, DumpReport report, boolean verify, boolean records, int previousEpoch) {
        this.files = files;
        this.report = report;
        this.verify = verify;
        this.records = records;
        this.nextOffset = files.baseOffset();
        this.lastEpoch = previousEpoch;
    }

    Result run() throws IOException {
        try (FileChannel channel = FileChannel.open(files.log(), StandardOpenOption.READ)) {
            long fileBytes = channel.size();
            report.line("dumping " + files.log() + " (base offset "
                    + (files.hasKnownBase() ? files.baseOffset() : "unknown") + ", " + fileBytes + " bytes on disk)");
            long position = 0;
            long zeroTailFrom = -1;
            while (position < fileBytes) {
                header.clear().limit((int) Math.min(RecordBatch.HEADER_SIZE, fileBytes - position));
                int wanted = header.limit();
                int n = FileReads.readFully(channel, header, position);
                if (n < wanted) {
                    // A seal trims the zero tail while we read: the data below it is unchanged.
                    fileBytes = position + n;
                    report.note(files.log(), "the file shrank to " + channel.size()
                            + " bytes during the dump (the broker sealed the segment)");
                }
                if (FileReads.isZero(header, 0)) {
                    zeroTailFrom = n > 0 ? position : -1;
                    break;
                }
                long next = batchAt(channel, position, fileBytes);
                if (next < 0) {
                    break;
                }
                position = next;
            }
            long dataEnd = zeroTailFrom >= 0 ? zeroTailFrom : Math.min(position, fileBytes);
            if (zeroTailFrom >= 0 && verify) {
                checkTailIsZero(channel, zeroTailFrom, fileBytes);
            }
            printSummary(dataEnd, zeroTailFrom, fileBytes);
            return new Result(fileBytes, dataEnd, zeroTailFrom, batchCount, firstOffset, nextOffset, maxTimestamp,
                    lastEpoch, table);
        }
    }

    /** Reads, prints and checks the batch at {@code position}; returns the position after it, or -1 at garbage. */
    private long batchAt(FileChannel channel, long position, long fileBytes) throws IOException {
        long remaining = fileBytes - position;
        if (header.limit() < RecordBatch.HEADER_SIZE) {
            return garbage(position, remaining, "only " + remaining + " bytes left, fewer than a batch header ("
                    + RecordBatch.HEADER_SIZE + ")");
        }
        int batchLength = header.getInt(RecordBatch.BATCH_LENGTH_OFFSET);
        if (batchLength < RecordBatch.MIN_BATCH_LENGTH || batchLength > remaining - RecordBatch.LOG_OVERHEAD) {
            return garbage(position, remaining, "bad batchLength " + batchLength + " (at least "
                    + RecordBatch.MIN_BATCH_LENGTH + ", at most the " + (remaining - RecordBatch.LOG_OVERHEAD)
                    + " bytes left in the file)");
        }
        byte magic = header.get(RecordBatch.MAGIC_OFFSET);
        if (magic != RecordBatch.MAGIC) {
            // The length cannot be trusted either when the magic is wrong: the framing is lost here.
            return garbage(position, remaining, "bad magic " + magic + ", expected " + RecordBatch.MAGIC);
        }
        int size = RecordBatch.LOG_OVERHEAD + batchLength;
        if (batchBuf.capacity() < size) {
            batchBuf = ByteBuffer.allocate(Math.max(size, batchBuf.capacity() * 2));
        }
        batchBuf.clear().limit(size);
        if (FileReads.readFully(channel, batchBuf, position) < size) {
            return garbage(position, remaining, "the file ended inside the batch (it was truncated during the dump?)");
        }
        check(RecordBatch.at(batchBuf, 0), position);
        return position + size;
    }

    private void check(RecordBatch batch, long position) {
        String crcProblem = null;
        try {
            batch.ensureValid();
        } catch (CorruptRecordException e) {
            crcProblem = strip(e);
        }
        long base = batch.baseOffset();
        String where = DumpReport.where(position, base);
        report.line("baseOffset=" + base + " lastOffset=" + batch.lastOffset() + " count=" + batch.recordCount()
                + " position=" + position + " size=" + batch.sizeInBytes() + " epoch=" + batch.partitionLeaderEpoch()
                + " crc=" + (crcProblem == null ? "ok" : "BAD") + " maxTimestamp=" + batch.maxTimestamp());
        if (crcProblem != null) {
            report.problem(files.log(), where, crcProblem);
        } else if (verify) {
            try {
                batch.validate();
            } catch (CorruptRecordException e) {
                report.problem(files.log(), where, "invalid batch (" + e.reason() + "): " + strip(e));
            }
        }
        checkOffsets(batch, where);
        if (batch.partitionLeaderEpoch() < lastEpoch) {
            report.problem(files.log(), where, "leader epoch " + batch.partitionLeaderEpoch()
                    + " is below the previous batch's " + lastEpoch + "; epochs never decrease along a log");
        }
        if (records) {
            printRecords(batch);
        }
        if (verify) {
            table.add(position, base, batch.maxTimestamp());
        }
        if (batchCount == 0) {
            firstOffset = base;
        }
        batchCount++;
        nextOffset = batch.lastOffset() + 1;
        maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
        // Against the previous batch only, so that one damaged epoch is one problem, not one per later batch.
        lastEpoch = batch.partitionLeaderEpoch();
    }

    private void checkOffsets(RecordBatch batch, String where) {
        long base = batch.baseOffset();
        if (batchCount == 0) {
            if (files.hasKnownBase() && base != files.baseOffset()) {
                report.problem(files.log(), where, "the first batch has offset " + base
                        + " but the file name says the segment starts at " + files.baseOffset());
            }
        } else if (base != nextOffset) {
            report.problem(files.log(), where, "offsets not contiguous: the batch starts at " + base
                    + " but the previous batch ended at " + (nextOffset - 1)
                    + (base > nextOffset ? " (offsets " + nextOffset + ".." + (base - 1) + " are missing)" : " (overlap)"));
        }
        if (batch.lastOffsetDelta() < 0) {
            report.problem(files.log(), where, "negative lastOffsetDelta " + batch.lastOffsetDelta());
        }
    }

    private void printRecords(RecordBatch batch) {
        try {
            for (Record r : batch) {
                report.line("  offset=" + r.offset() + " timestamp=" + r.timestamp() + " keySize=" + r.keySize()
                        + " valueSize=" + r.valueSize() + " headers=" + r.headers().length);
            }
        } catch (CorruptRecordException e) {
            // Counted as a problem by validate() under --verify, or by the CRC check that came before.
            report.line("  records unreadable past this point: " + strip(e));
        }
    }

    /** Reports bytes that are not a batch; returns -1 so the scan stops (the framing is lost). */
    private long garbage(long position, long remaining, String why) {
        report.problem(files.log(), "position=" + position + " offset=" + nextOffset,
                "not a batch: " + why + "; the " + remaining + " bytes from here to the end of the file were not"
                        + " read as batches (a torn write or garbage)");
        return -1;
    }

    /**
     * Under {@code --verify}, reads the whole zero tail: bytes after it mean data was written past a hole
     * (pages written back out of order before a power loss), which recovery would throw away. When the tail
     * start is no longer zero on a second look, the broker simply appended meanwhile.
     */
    private void checkTailIsZero(FileChannel channel, long from, long fileBytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(TAIL_CHUNK_BYTES, Math.max(1, fileBytes - from)));
        for (long p = from; p < fileBytes; ) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), fileBytes - p));
            int n = FileReads.readFully(channel, chunk, p);
            int hit = FileReads.firstNonZero(chunk, 0);
            if (hit >= 0) {
                header.clear();
                FileReads.readFully(channel, header, from);
                if (!FileReads.isZero(header, 0)) {
                    report.note(files.log(), "the segment grew while it was dumped (the broker is appending);"
                            + " batches from position " + from + " on are not included");
                } else {
                    report.problem(files.log(), "position=" + (p + hit), "non-zero bytes after the zero tail that"
                            + " starts at position " + from + ": data past a hole, which recovery would discard");
                }
                return;
            }
            if (n == 0) {
                return;
            }
            p += n;
        }
    }

    private void printSummary(long dataEnd, long zeroTailFrom, long fileBytes) {
        String offsets = batchCount == 0 ? "none" : firstOffset + ".." + (nextOffset - 1);
        String tail;
        if (zeroTailFrom >= 0) {
            tail = (fileBytes - zeroTailFrom) + " bytes from position " + zeroTailFrom + " (preallocated: "
                    + (files.last() ? "the active segment" : "not sealed yet") + ")";
        } else if (dataEnd < fileBytes) {
            tail = "none; " + (fileBytes - dataEnd) + " bytes from position " + dataEnd + " are not batches";
        } else {
            tail = "none";
        }
        report.line("segment " + files.log() + ": base=" + (files.hasKnownBase() ? files.baseOffset() : "unknown")
                + " dataBytes=" + dataEnd + " batches=" + batchCount + " offsets=" + offsets
                + " maxTimestamp=" + maxTimestamp + " zeroTail=" + tail);
    }

    private static String strip(CorruptRecordException e) {
        return BATCH_PREFIX.matcher(String.valueOf(e.getMessage())).replaceFirst("");
    }
}
