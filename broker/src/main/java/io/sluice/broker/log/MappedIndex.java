package io.sluice.broker.log;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A sparse, append-only index of fixed-width entries in a memory-mapped file, searched in place.
 *
 * <p>The file is preallocated to its maximum size while its segment is active and trimmed to its entries
 * when the segment is sealed. Entries strictly increase in their search keys, so after an unclean stop the
 * valid entries are the longest prefix that keeps increasing: the zeros of the preallocated tail, or a torn
 * entry, end it.
 *
 * <p>Entries are stored through the mapping, but only into pages a {@link PageAllocator} has allocated
 * with a write first: a full disk then fails as an {@link IOException} naming the file, where a store
 * into a mapped hole would raise a SIGBUS instead.
 *
 * <p>Thread-safety: one writer (the partition's appender, under its log lock) appends and truncates;
 * readers search without a lock and see entries below the volatile {@link #entries()} count, which the
 * writer publishes after writing an entry's bytes. The mapping is unmapped only by {@link #close()}, which
 * the owning segment calls once no reader holds it.
 */
abstract class MappedIndex implements Closeable {
    /**
     * Searches start in the last 8 KiB of entries (Kafka's "warm" section): lookups near the log end,
     * which are most of them, touch only pages that are already resident.
     */
    private static final int WARM_BYTES = 8192;

    protected final long baseOffset;
    private final int entrySize;
    private volatile Path file;
    private final RandomAccessFile raf;
    private final MappedByteBuffer mmap;
    private final int maxEntries;
    private final PageAllocator allocator;
    private volatile int entries;

    /**
     * @param maxIndexBytes the capacity while writable; a read-only index keeps its file's length
     */
    protected MappedIndex(Path file, long baseOffset, int entrySize, int maxIndexBytes, boolean writable) {
        this.file = file;
        this.baseOffset = baseOffset;
        this.entrySize = entrySize;
        try {
            this.raf = new RandomAccessFile(file.toFile(), writable ? "rw" : "r");
            try {
                long existing = raf.length();
                long capacity = writable ? Math.max(floorToEntry(existing), floorToEntry(maxIndexBytes)) : floorToEntry(existing);
                if (writable && raf.length() != capacity) {
                    raf.setLength(capacity);
                }
                MappedByteBuffer mapped = raf.getChannel().map(
                        writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, 0, capacity);
                this.mmap = mapped;
                try {
                    this.maxEntries = (int) (capacity / entrySize);
                    this.entries = validPrefix((int) (floorToEntry(existing) / entrySize));
                    if (writable) {
                        int validBytes = entries * entrySize;
                        if (validBytes < Math.min(existing, capacity)) {
                            // Whatever follows the valid entries (a torn entry, entries past a crash's cut) would
                            // read as entries again once the file is trimmed and regrown: cut it off. Truncating
                            // and regrowing (nothing reads the mapping in between) leaves a hole that reads as
                            // zeros; writing zeros instead cost 10 MiB of writes per index after every unclean
                            // stop (2.2 GB for 108 partitions), mostly over zeros already there.
                            raf.getChannel().truncate(validBytes);
                            raf.setLength(capacity);
                        }
                        this.allocator = new PageAllocator(file, raf.getChannel(), PageAllocator.INDEX_CHUNK_BYTES,
                                (int) capacity, validBytes, validBytes, 0, 0, Runnable::run, System::nanoTime);
                    } else {
                        this.allocator = null;
                    }
                } catch (IOException | RuntimeException e) {
                    MappedBuffers.unmap(mapped);
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                raf.close();
                throw e;
            }
        } catch (IOException e) {
            throw new LogStorageException(file, "opening index", e);
        }
    }

    /** The number of leading entries, at most {@code candidates}, whose keys keep increasing. */
    private int validPrefix(int candidates) {
        int n = Math.min(candidates, maxEntries);
        for (int i = 0; i < n; i++) {
            if (!isValidEntry(i)) {
                return i;
            }
        }
        return n;
    }

    /** Whether entry {@code n} is well-formed and strictly after entry {@code n - 1} (if any). */
    protected abstract boolean isValidEntry(int n);

    /** The search key of entry {@code n} of the given kind (subclasses define the kinds). */
    protected abstract long key(int n, int kind);

    /**
     * The slot of the last entry whose key of {@code kind} is at most {@code target}, or -1 when the
     * first entry's key is already larger (or there are no entries).
     */
    protected final int floorSlot(long target, int kind) {
        int n = entries;
        if (n == 0 || key(0, kind) > target) {
            return -1;
        }
        int warmEntries = WARM_BYTES / entrySize;
        int firstWarm = Math.max(0, n - warmEntries);
        if (key(firstWarm, kind) <= target) {
            return floorIn(target, kind, firstWarm, n - 1);
        }
        return floorIn(target, kind, 0, firstWarm);
    }

    private int floorIn(long target, int kind, int lo, int hi) {
        // Invariant: key(lo) <= target; answer in [lo, hi].
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (key(mid, kind) <= target) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    protected final MappedByteBuffer buffer() {
        return mmap;
    }

    protected final int slotPosition(int n) {
        return n * entrySize;
    }

    /**
     * The byte position of the next entry, once its pages are allocated; the caller stores the entry there
     * and then {@link #publishAppend() publishes} it.
     */
    protected final int nextSlotForWrite() {
        int position = slotPosition(entries);
        allocator.beforeWrite(position, entrySize);
        return position;
    }

    /** Publishes one more entry, whose bytes the subclass has just stored at {@link #nextSlotForWrite()}. */
    protected final void publishAppend() {
        entries = entries + 1;
    }

    protected final void truncateToEntries(int n) {
        int old = entries;
        if (n < old) {
            entries = n;
            // Zero the dropped entries so that recovery after a crash cannot bring them back. A reader that
            // raced with this sees a zero entry: position 0 is a batch boundary, so its scan stays correct.
            for (int p = slotPosition(n), end = slotPosition(old); p < end; p++) {
                mmap.put(p, (byte) 0);
            }
        }
    }

    /** Removes every entry. */
    void reset() {
        truncateToEntries(0);
    }

    public final int entries() {
        return entries;
    }

    public final int maxEntries() {
        return maxEntries;
    }

    public final boolean isFull() {
        return entries >= maxEntries;
    }

    public final Path file() {
        return file;
    }

    public final long baseOffset() {
        return baseOffset;
    }

    /** Bytes the entries occupy, which is the file's length once trimmed. */
    public final long sizeInBytes() {
        return (long) entries * entrySize;
    }

    /**
     * Shortens the file to its entries when the segment is sealed. The mapping stays: readers only ever
     * touch bytes below the entry count, and those remain inside the file.
     */
    void trimToValidSize() {
        try {
            raf.setLength(sizeInBytes());
        } catch (IOException e) {
            throw new LogStorageException(file, "trimming index", e);
        }
    }

    void flush() {
        try {
            if (allocator != null) {
                mmap.force();
            }
            raf.getChannel().force(true);
        } catch (IOException e) {
            throw new LogStorageException(file, "flushing index", e);
        }
    }

    void renameTo(Path target) {
        try {
            Files.move(file, target);
            file = target;
        } catch (IOException e) {
            throw new LogStorageException(file, "renaming index to " + target.getFileName(), e);
        }
    }

    /** Unmaps and closes. The owner guarantees that no reader is searching. */
    @Override
    public void close() {
        MappedBuffers.unmap(mmap);
        try {
            raf.close();
        } catch (IOException e) {
            throw new LogStorageException(file, "closing index", e);
        }
    }

    void closeAndDelete() {
        close();
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new LogStorageException(file, "deleting index", e);
        }
    }

    private long floorToEntry(long bytes) {
        return bytes - bytes % entrySize;
    }
}
