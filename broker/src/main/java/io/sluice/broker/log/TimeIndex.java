package io.sluice.broker.log;

import io.sluice.proto.record.RecordBatch;
import java.nio.file.Path;

/**
 * Sparse map from timestamp to offset, written beside the offset index: each entry records the largest
 * timestamp seen so far in the segment and the base offset of the batch that carried it. Timestamps
 * strictly increase from entry to entry, offsets never decrease.
 *
 * <pre>
 * entry (12 bytes): timestamp int64 | relativeOffset int32
 * </pre>
 *
 * A lookup for time {@code t} finds the last entry older than {@code t}: every batch up to its offset is
 * older than {@code t}, so the first record at or after {@code t} lies at or beyond that offset.
 * Thread-safety: see {@link MappedIndex}.
 */
public final class TimeIndex extends MappedIndex {
    public static final int ENTRY_SIZE = 12;
    private static final int BY_TIMESTAMP = 0;
    private static final int BY_OFFSET = 1;

    public TimeIndex(Path file, long baseOffset, int maxIndexBytes, boolean writable) {
        super(file, baseOffset, ENTRY_SIZE, maxIndexBytes, writable);
    }

    /** The last entry with a timestamp below {@code timestamp}, or (no timestamp, base offset). */
    public TimestampOffset lookupBefore(long timestamp) {
        return entryOrStart(timestamp == Long.MIN_VALUE ? -1 : floorSlot(timestamp - 1, BY_TIMESTAMP));
    }

    /** The last entry, or (no timestamp, base offset) when there is none. */
    public TimestampOffset lastEntry() {
        return entryOrStart(entries() - 1);
    }

    public TimestampOffset entry(int n) {
        return new TimestampOffset(timestamp(n), baseOffset + relativeOffset(n));
    }

    /**
     * Records a new largest timestamp. A full index replaces its last entry instead, so the segment's
     * newest timestamp (which retention and time lookups rely on) is never lost; lookups stay correct,
     * only coarser at the end.
     */
    void maybeAppend(long timestamp, long offset) {
        int n = entries();
        if (n > 0 && timestamp <= timestamp(n - 1)) {
            return;
        }
        long relative = offset - baseOffset;
        if (relative < 0 || relative > Integer.MAX_VALUE || (n > 0 && relative < relativeOffset(n - 1))) {
            throw new IllegalStateException(file() + ": entry (" + timestamp + ", " + offset
                    + ") does not follow " + lastEntry());
        }
        if (isFull()) {
            // Timestamp first: a reader that sees the new timestamp with the old offset starts its scan earlier,
            // which is only slower, never wrong.
            int p = slotPosition(n - 1);
            buffer().putLong(p, timestamp);
            buffer().putInt(p + 8, (int) relative);
            return;
        }
        int p = nextSlotForWrite();
        buffer().putLong(p, timestamp);
        buffer().putInt(p + 8, (int) relative);
        publishAppend();
    }

    /** Removes every entry for offsets at or above {@code offset}. */
    void truncateTo(long offset) {
        truncateToEntries(floorSlot(offset - 1 - baseOffset, BY_OFFSET) + 1);
    }

    @Override
    protected boolean isValidEntry(int n) {
        int rel = relativeOffset(n);
        if (n == 0) {
            return rel >= 0;
        }
        return timestamp(n) > timestamp(n - 1) && rel >= relativeOffset(n - 1);
    }

    @Override
    protected long key(int n, int kind) {
        return kind == BY_TIMESTAMP ? timestamp(n) : relativeOffset(n);
    }

    private TimestampOffset entryOrStart(int slot) {
        return slot < 0 ? new TimestampOffset(RecordBatch.NO_TIMESTAMP, baseOffset) : entry(slot);
    }

    private long timestamp(int n) {
        return buffer().getLong(slotPosition(n));
    }

    private int relativeOffset(int n) {
        return buffer().getInt(slotPosition(n) + 8);
    }
}
