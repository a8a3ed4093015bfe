package io.sluice.broker.log;

import java.nio.file.Path;

/**
 * Sparse map from offset to the file position of the batch that starts at that offset, one entry every
 * {@code index.interval.bytes} of data. Lookups return the nearest entry at or below the target; the
 * reader scans forward from there to the batch it needs.
 *
 * <pre>
 * entry (8 bytes): relativeOffset int32 (baseOffset of the batch − segment base) | position int32
 * </pre>
 *
 * Both fields strictly increase from entry to entry. Thread-safety: see {@link MappedIndex}.
 */
public final class OffsetIndex extends MappedIndex {
    public static final int ENTRY_SIZE = 8;
    private static final int BY_OFFSET = 0;
    private static final int BY_POSITION = 1;

    public OffsetIndex(Path file, long baseOffset, int maxIndexBytes, boolean writable) {
        super(file, baseOffset, ENTRY_SIZE, maxIndexBytes, writable);
    }

    /** The largest entry whose offset is at most {@code offset}, or (base offset, 0). */
    public OffsetPosition lookup(long offset) {
        return entryOrStart(floorSlot(offset - baseOffset, BY_OFFSET));
    }

    /** The largest entry whose position is at most {@code position}, or (base offset, 0). */
    public OffsetPosition lookupByPosition(long position) {
        return entryOrStart(floorSlot(position, BY_POSITION));
    }

    /** The last entry, or (base offset, 0) when there is none. */
    public OffsetPosition lastEntry() {
        return entryOrStart(entries() - 1);
    }

    public OffsetPosition entry(int n) {
        return new OffsetPosition(baseOffset + relativeOffset(n), position(n));
    }

    /** Appends an entry. The caller checks {@link #isFull()} first and keeps offsets and positions increasing. */
    void append(long offset, int position) {
        int n = entries();
        if (isFull()) {
            throw new IllegalStateException(file() + ": index is full at " + n + " entries");
        }
        long relative = offset - baseOffset;
        if (relative < 0 || relative > Integer.MAX_VALUE
                || (n > 0 && (relative <= relativeOffset(n - 1) || position <= position(n - 1)))) {
            throw new IllegalStateException(file() + ": entry (" + offset + ", " + position
                    + ") does not follow " + lastEntry());
        }
        int p = nextSlotForWrite();
        buffer().putInt(p, (int) relative);
        buffer().putInt(p + 4, position);
        publishAppend();
    }

    /** Removes every entry for offsets at or above {@code offset}. */
    void truncateTo(long offset) {
        truncateToEntries(floorSlot(offset - 1 - baseOffset, BY_OFFSET) + 1);
    }

    @Override
    protected boolean isValidEntry(int n) {
        int rel = relativeOffset(n);
        int pos = position(n);
        if (n == 0) {
            return rel >= 0 && pos >= 0;
        }
        return rel > relativeOffset(n - 1) && pos > position(n - 1);
    }

    @Override
    protected long key(int n, int kind) {
        return kind == BY_OFFSET ? relativeOffset(n) : position(n);
    }

    private OffsetPosition entryOrStart(int slot) {
        return slot < 0 ? new OffsetPosition(baseOffset, 0) : entry(slot);
    }

    private int relativeOffset(int n) {
        return buffer().getInt(slotPosition(n));
    }

    private int position(int n) {
        return buffer().getInt(slotPosition(n) + 4);
    }
}
