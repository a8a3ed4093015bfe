package io.sluice.broker.log;

import io.sluice.proto.record.CorruptRecordException;
import io.sluice.proto.record.RecordBatch;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

/**
 * The batch-by-batch check of an active segment's mapping after an unclean stop: which prefix of the
 * preallocated file holds whole, valid batches with contiguous offsets, and whether what follows it is a
 * write the process did not finish (safe to cut) or damage to written data (not safe: it throws).
 *
 * <p>It reads the mapping and never changes it; {@link Segment#recover} applies the verdict. Thread-safety:
 * not thread-safe; confined to the thread that loads the log ({@link LogLoader}), before any reader can
 * see the segment.
 */
final class SegmentRecovery {
    /** Receives each valid batch found, so the segment can rebuild its index entries as the scan goes. */
    @FunctionalInterface
    interface BatchSink {
        void accept(int position, int sizeInBytes, long baseOffset, long maxTimestamp);
    }

    /**
     * Where the valid batches end.
     *
     * @param position the end of the last valid batch, where the file is to be cut
     * @param nextOffset the offset after the last valid batch
     * @param stop why the batch at {@code position} was not taken
     * @param tornTail whether written bytes follow {@code position} (false when only preallocated zeros do)
     */
    record Result(int position, long nextOffset, String stop, boolean tornTail) {
    }

    private final Path file;
    private final MappedByteBuffer mapping;
    private final int capacity;

    SegmentRecovery(Path file, MappedByteBuffer mapping, int capacity) {
        this.file = file;
        this.mapping = mapping;
        this.capacity = capacity;
    }

    /**
     * Checks every batch from {@code fromPosition} on (length, magic, CRC, contiguous offsets starting at
     * {@code expectedOffset}), handing each good one to {@code sink}, up to the first that fails.
     *
     * @throws LogCorruptionException when the failing batch is followed by good ones: writes happen in
     *     order, so that is damage inside the log, which recovery must not paper over by truncating
     */
    Result scan(int fromPosition, long expectedOffset, BatchSink sink) {
        int position = fromPosition;
        long expected = expectedOffset;
        String stop;
        while (true) {
            stop = checkBatchAt(position, expected);
            if (stop != null) {
                break;
            }
            RecordBatch batch = RecordBatch.at(mapping, position);
            sink.accept(position, batch.sizeInBytes(), batch.baseOffset(), batch.maxTimestamp());
            position += batch.sizeInBytes();
            expected = batch.lastOffset() + 1;
        }
        boolean written = wasWritten(position);
        if (written && looksLikeDamageBeforeGoodData(position, expected)) {
            throw new LogCorruptionException(file, position, "corrupt batch (" + stop
                    + ") followed by valid batches; refusing to truncate them away");
        }
        return new Result(position, expected, stop, written);
    }

    /** Whether a valid batch with base offset {@code offset} starts at {@code position}. */
    boolean hasValidBatchAt(int position, long offset) {
        return checkBatchAt(position, offset) == null;
    }

    /** Null when a valid batch with base offset {@code expected} starts at {@code position}, else why not. */
    private String checkBatchAt(int position, long expected) {
        if (capacity - position < RecordBatch.LOG_OVERHEAD) {
            return "end of file";
        }
        int batchSize = RecordBatch.sizeAt(mapping, position);
        if (batchSize - RecordBatch.LOG_OVERHEAD < RecordBatch.MIN_BATCH_LENGTH || (long) position + batchSize > capacity) {
            return "no batch header (length " + (batchSize - RecordBatch.LOG_OVERHEAD) + ")";
        }
        try {
            RecordBatch batch = RecordBatch.at(mapping, position);
            batch.ensureValid();
            if (batch.baseOffset() != expected) {
                return "batch has offset " + batch.baseOffset() + ", expected " + expected;
            }
            if (batch.lastOffsetDelta() < 0) {
                return "negative lastOffsetDelta";
            }
            return null;
        } catch (CorruptRecordException e) {
            return e.getMessage();
        }
    }

    /** Whether a header's worth of bytes at {@code position} holds anything but zeros. */
    private boolean wasWritten(int position) {
        int end = Math.min(capacity, position + RecordBatch.HEADER_SIZE);
        for (int p = position; p < end; p++) {
            if (mapping.get(p) != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * A batch whose header is plausible but whose body fails, followed by a valid batch with the next
     * offsets, is damage to written data rather than an unfinished write: writes happen in order.
     */
    private boolean looksLikeDamageBeforeGoodData(int position, long expected) {
        int batchSize = RecordBatch.sizeAt(mapping, position);
        if (batchSize - RecordBatch.LOG_OVERHEAD < RecordBatch.MIN_BATCH_LENGTH || (long) position + batchSize > capacity) {
            return false;
        }
        int lastOffsetDelta = mapping.getInt(position + RecordBatch.LAST_OFFSET_DELTA_OFFSET);
        if (lastOffsetDelta < 0) {
            return false;
        }
        return checkBatchAt(position + batchSize, expected + lastOffsetDelta + 1) == null;
    }
}
