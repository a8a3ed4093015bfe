package io.sluice.broker.log;

import io.sluice.proto.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One data file of a partition log and its two indexes, named by the segment's base offset:
 * {@code 00000000000000000042.log}, {@code .index}, {@code .timeindex}.
 *
 * <p>The data file is a sequence of record batches (ARCHITECTURE.md §2) with contiguous offsets. While
 * the segment is <em>active</em> its file is preallocated to {@code segment.bytes}, mapped, and appended
 * to through the mapping ({@link PageAllocator} allocates pages ahead of the writer); the bytes past
 * {@link #size()} are zeros. {@link #seal()} trims the file to its data and drops the mapping. Reads
 * always go through the {@link FileChannel}, so they can be handed to {@code transferTo}.
 *
 * <p>Crash contract: the bytes below {@code size} are whole batches; after an unclean stop
 * {@link #recover} keeps the longest prefix of batches that pass their length, CRC and offset checks, and
 * cuts the file after it, so a torn write or the zeros of the preallocated tail never become records.
 *
 * <p>Thread-safety: one writer, holding its log's lock, calls the mutating methods. Readers take no lock:
 * they {@link #retain()} the segment, read {@link #size()} (volatile, published after the bytes and index
 * entries it covers), search the indexes and read the channel, then {@link #release()} it. The log holds
 * one reference itself; a deleted segment closes and removes its files when the last reference goes.
 */
public final class Segment {
    public static final String LOG_SUFFIX = ".log";
    public static final String INDEX_SUFFIX = ".index";
    public static final String TIME_INDEX_SUFFIX = ".timeindex";
    public static final String DELETED_SUFFIX = ".deleted";
    private static final Logger log = LoggerFactory.getLogger(Segment.class);

    private final long baseOffset;
    private final LogConfig config;
    private final FileChannel channel;
    /** A reference count that {@link #retain()} refuses: held for a moment while idle indexes are unmapped. */
    private static final int EXCLUSIVE = Integer.MIN_VALUE / 2;

    private final AtomicInteger refCnt = new AtomicInteger(1);
    /** Set by every index lookup, cleared by {@link #unmapIndexesIfIdle()}; a lost update only delays an unmap. */
    private volatile boolean indexesUsed;
    private volatile Path file;
    private volatile OffsetIndex offsetIndex;
    private volatile TimeIndex timeIndex;
    private volatile int size;
    private volatile long nextOffset;
    private volatile boolean deleteOnClose;

    // Writer state, guarded by the owning log's lock.
    private MappedByteBuffer mapping;
    private PageAllocator prefill;
    private int capacity;
    private int bytesSinceLastIndexEntry;
    private long maxTimestamp = RecordBatch.NO_TIMESTAMP;
    private long offsetOfMaxTimestamp;
    private long rollingBaseMs;

    private Segment(Path file, long baseOffset, LogConfig config, FileChannel channel, int size) {
        this.file = file;
        this.baseOffset = baseOffset;
        this.config = config;
        this.channel = channel;
        this.size = size;
        this.nextOffset = baseOffset;
        this.offsetOfMaxTimestamp = baseOffset;
    }

    public static String fileName(long baseOffset, String suffix) {
        return String.format("%020d%s", baseOffset, suffix);
    }

    /**
     * Opens an existing data file, sealed: read-only use, indexes opened on first lookup.
     */
    static Segment openSealed(Path file, long baseOffset, LogConfig config) {
        FileChannel channel = openChannel(file, false);
        try {
            long length = channel.size();
            if (length > Integer.MAX_VALUE) {
                throw new LogCorruptionException(file, length, "segment is larger than 2 GiB");
            }
            return new Segment(file, baseOffset, config, channel, (int) length);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw e instanceof IOException io ? new LogStorageException(file, "opening segment", io) : (RuntimeException) e;
        }
    }

    /** How {@link #openActive} treats the bytes already in the file. */
    enum OpenMode {
        /** An empty segment: a new file, or a prepared one full of zeros; old index files are discarded. */
        EMPTY,
        /** A clean shutdown or a seal trimmed the file to its data: take it as it is. */
        TRUSTED,
        /** After an unclean stop: the caller must {@link #recover} before appending. */
        RECOVER
    }

    /** Opens a data file, creating it if absent, as the active segment: preallocated and mapped. */
    static Segment openActive(Path file, long baseOffset, LogConfig config, long nowMs, OpenMode mode) {
        FileChannel channel = openChannel(file, true);
        Segment segment = null;
        try {
            long length = channel.size();
            if (length > Integer.MAX_VALUE) {
                throw new LogCorruptionException(file, length, "segment is larger than 2 GiB");
            }
            segment = new Segment(file, baseOffset, config, channel, 0);
            segment.capacity = (int) Math.max(length, config.segmentBytes());
            extend(channel, segment.capacity);
            segment.mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, segment.capacity);
            if (mode == OpenMode.EMPTY) {
                Files.deleteIfExists(segment.indexFile(INDEX_SUFFIX));
                Files.deleteIfExists(segment.indexFile(TIME_INDEX_SUFFIX));
            }
            segment.offsetIndex = new OffsetIndex(segment.indexFile(INDEX_SUFFIX), baseOffset, config.segmentIndexBytes(), true);
            segment.timeIndex = new TimeIndex(segment.indexFile(TIME_INDEX_SUFFIX), baseOffset, config.segmentIndexBytes(), true);
            segment.rollingBaseMs = nowMs;
            if (mode == OpenMode.TRUSTED) {
                segment.size = (int) length;
                segment.rescanTail();
            }
            return segment;
        } catch (IOException | RuntimeException e) {
            if (segment != null) {
                segment.closeResources();
            } else {
                closeQuietly(channel);
            }
            throw e instanceof IOException io ? new LogStorageException(file, "opening active segment", io) : (RuntimeException) e;
        }
    }

    /**
     * Sets up the page allocation that every append waits for ({@link PageAllocator}). Its background filler,
     * which keeps up to {@code segment.prefill.bytes} allocated ahead of the writer (about a second of its
     * writes), starts with the first append, not here: a broker opens every partition it holds at start, and
     * many may never be written to; zeros for each of them only take page cache and disk bandwidth from the
     * appends, and an unclean restart cuts them off again. Call once the size is settled.
     *
     * @param allocatedBytes leading bytes already allocated by a {@link PreparedFile}
     * @param aheadBytes     the window until the writer's rate is known: the previous segment's last one
     * @param nanos          monotonic time, for the writer's rate
     */
    void setUpPrefill(Executor executor, int allocatedBytes, int aheadBytes, LongSupplier nanos) {
        if (mapping != null && prefill == null) {
            prefill = new PageAllocator(file, channel, PageAllocator.SEGMENT_CHUNK_BYTES, capacity, size, allocatedBytes,
                    config.prefillBytes(), aheadBytes, executor, nanos);
        }
    }

    /**
     * How far ahead of the writer the prefill currently allocates (writer only): where the next segment's
     * window starts. One chunk when no prefill is set up.
     */
    int prefillAheadBytes() {
        PageAllocator p = prefill;
        return p == null ? PageAllocator.SEGMENT_CHUNK_BYTES : p.aheadBytes();
    }

    /** Chunks of the active data file allocated so far; 0 for a sealed segment. For tests. */
    int allocatedChunks() {
        PageAllocator p = prefill;
        return p == null ? 0 : p.allocatedChunks();
    }

    public long baseOffset() {
        return baseOffset;
    }

    /** Bytes of whole batches in the data file. */
    public int size() {
        return size;
    }

    /** Sets the end of a sealed segment loaded from disk: the next segment's base offset. */
    void setNextOffsetOfSealed(long offset) {
        if (mapping == null) {
            nextOffset = offset;
        }
    }

    /** The offset after the last batch; the base offset when empty. */
    public long nextOffset() {
        return nextOffset;
    }

    public Path file() {
        return file;
    }

    public FileChannel channel() {
        return channel;
    }

    public boolean isActive() {
        return mapping != null;
    }

    /** The newest timestamp of any batch in the segment, or {@link RecordBatch#NO_TIMESTAMP}. */
    public long maxTimestamp() {
        if (mapping != null) {
            return maxTimestamp;
        }
        return timeIndex().lastEntry().timestamp();
    }

    /** When the segment's age for {@code segment.ms} counts from: its first append in this process. */
    long rollingBaseMs() {
        return rollingBaseMs;
    }

    void resetRollingBase(long nowMs) {
        rollingBaseMs = nowMs;
    }

    // ---------------------------------------------------------------- writing (log lock held)

    /** Whether a batch of {@code batchSize} bytes ending at {@code lastOffset} still fits. */
    boolean canAppend(int batchSize, long lastOffset) {
        return mapping != null
                && (long) size + batchSize <= capacity
                && lastOffset - baseOffset <= Integer.MAX_VALUE
                && !offsetIndex.isFull() && !timeIndex.isFull();
    }

    /**
     * Copies the batch at {@code src[srcPosition, srcPosition + length)} to the end of the file and, when
     * {@code assignOffsets}, writes its base offset and leader epoch in place (the CRC does not cover
     * them). Publishes the new size last.
     */
    void append(ByteBuffer src, int srcPosition, int length, long batchBaseOffset, long lastOffset,
                long batchMaxTimestamp, boolean assignOffsets, int leaderEpoch) {
        int position = size;
        // Only stores into allocated pages: a full disk fails here, before a byte of the batch is written.
        prefill.beforeWrite(position, length);
        mapping.put(position, src, srcPosition, length);
        if (assignOffsets) {
            RecordBatch.setBaseOffset(mapping, position, batchBaseOffset);
            RecordBatch.setPartitionLeaderEpoch(mapping, position, leaderEpoch);
        }
        indexBatch(position, length, batchBaseOffset, batchMaxTimestamp);
        nextOffset = lastOffset + 1;
        size = position + length;
    }

    private void indexBatch(int position, int length, long batchBaseOffset, long batchMaxTimestamp) {
        if (batchMaxTimestamp > maxTimestamp) {
            maxTimestamp = batchMaxTimestamp;
            offsetOfMaxTimestamp = batchBaseOffset;
        }
        // A full index during recovery (entries placed differently than when written) only means sparser entries.
        if (bytesSinceLastIndexEntry > config.indexIntervalBytes() && !offsetIndex.isFull()) {
            offsetIndex.append(batchBaseOffset, position);
            if (maxTimestamp != RecordBatch.NO_TIMESTAMP) {
                timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
            }
            bytesSinceLastIndexEntry = 0;
        }
        bytesSinceLastIndexEntry += length;
    }

    /**
     * Keeps the longest prefix of valid batches from {@code fromPosition} on (see {@link SegmentRecovery}),
     * rebuilds the index entries past that point, and cuts the file after it.
     *
     * @return whether a written tail was cut off (false when only preallocated zeros followed)
     * @throws LogCorruptionException when a bad batch is followed by good ones
     */
    boolean recover(int fromPosition, long expectedOffset) {
        offsetIndex.truncateTo(expectedOffset);
        timeIndex.truncateTo(expectedOffset);
        TimestampOffset lastTime = timeIndex.lastEntry();
        maxTimestamp = lastTime.timestamp();
        offsetOfMaxTimestamp = lastTime.offset();
        bytesSinceLastIndexEntry = 0;
        SegmentRecovery.Result kept = new SegmentRecovery(file, mapping, capacity).scan(fromPosition, expectedOffset,
                this::indexBatch);
        size = kept.position();
        nextOffset = kept.nextOffset();
        cutAfter(kept.position());
        if (kept.tornTail()) {
            log.warn("{}: recovery kept {} bytes up to offset {}; discarded a torn or invalid tail at position {} ({})",
                    file, kept.position(), kept.nextOffset(), kept.position(), kept.stop());
        }
        return kept.tornTail();
    }

    /** Whether a valid batch with base offset {@code offset} starts at {@code position} (active segments). */
    boolean hasValidBatchAt(int position, long offset) {
        return new SegmentRecovery(file, mapping, capacity).hasValidBatchAt(position, offset);
    }

    /**
     * Rebuilds the writer's view (next offset, newest timestamp, bytes since the last index entry) by
     * reading the headers after the last index entry.
     */
    private void rescanTail() {
        OffsetPosition last = offsetIndex.lastEntry();
        if (offsetIndex.entries() > 0 && last.position() >= size) {
            throw new LogCorruptionException(offsetIndex.file(), last.position(), "index points past the end of the data ("
                    + size + " bytes)");
        }
        TimestampOffset lastTime = timeIndex.lastEntry();
        maxTimestamp = lastTime.timestamp();
        offsetOfMaxTimestamp = lastTime.offset();
        long next = last.offset();
        int position = last.position();
        bytesSinceLastIndexEntry = 0;
        while (position < size) {
            BatchHeader h = BatchHeader.read(channel, file, position, size);
            if (h.baseOffset() != next) {
                throw new LogCorruptionException(file, position, "batch has offset " + h.baseOffset() + ", expected " + next);
            }
            if (h.maxTimestamp() > maxTimestamp) {
                maxTimestamp = h.maxTimestamp();
                offsetOfMaxTimestamp = h.baseOffset();
            }
            bytesSinceLastIndexEntry += h.sizeInBytes();
            next = h.lastOffset() + 1;
            position = h.nextPosition();
        }
        nextOffset = next;
    }

    /**
     * Removes every batch that holds {@code offset} or a later one. The file past the new end reads as
     * zeros afterwards, so a crash cannot bring the removed batches back.
     *
     * @return whether anything was removed
     */
    boolean truncateTo(long offset) {
        OffsetPosition from = translateOffset(offset);
        if (from == null) {
            return false;
        }
        offsetIndex.truncateTo(from.offset());
        timeIndex.truncateTo(from.offset());
        size = from.position();
        cutAfter(from.position());
        rescanTail();
        return true;
    }

    /** Makes every byte from {@code position} on read as zeros, keeping the file's preallocated length. */
    private void cutAfter(int position) {
        try {
            if (prefill != null) {
                prefill.cancel();
                prefill = null;
            }
            channel.truncate(position);
            extend(channel, capacity);
        } catch (IOException e) {
            throw new LogStorageException(file, "cutting the file at position " + position, e);
        }
    }

    /**
     * Turns the active segment into a sealed one on roll: records the newest timestamp in the time index,
     * stops prefill, unmaps, and trims the data and index files to what they hold.
     */
    synchronized void seal() {
        if (mapping == null) {
            return;
        }
        if (maxTimestamp != RecordBatch.NO_TIMESTAMP) {
            timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
        }
        if (prefill != null) {
            prefill.cancel();
            prefill = null;
        }
        MappedBuffers.unmap(mapping);
        mapping = null;
        try {
            channel.truncate(size);
        } catch (IOException e) {
            throw new LogStorageException(file, "trimming to " + size + " bytes", e);
        }
        offsetIndex.trimToValidSize();
        timeIndex.trimToValidSize();
    }

    /** Writes the data and indexes to the device. */
    void flush() {
        try {
            if (mapping != null) {
                mapping.force(0, size);
            }
            channel.force(true);
        } catch (IOException e) {
            throw new LogStorageException(file, "flushing", e);
        }
        OffsetIndex oi = offsetIndex;
        TimeIndex ti = timeIndex;
        if (oi != null) {
            oi.flush();
        }
        if (ti != null) {
            ti.flush();
        }
    }

    // ---------------------------------------------------------------- reading (no lock)

    public OffsetIndex offsetIndex() {
        indexesUsed = true;
        OffsetIndex idx = offsetIndex;
        return idx != null ? idx : loadIndexes().offsetIndex;
    }

    public TimeIndex timeIndex() {
        indexesUsed = true;
        TimeIndex idx = timeIndex;
        return idx != null ? idx : loadIndexes().timeIndex;
    }

    /** Whether the indexes are mapped now; for tests and metrics. */
    boolean indexesMapped() {
        return offsetIndex != null || timeIndex != null;
    }

    /**
     * Unmaps a sealed segment's indexes when no lookup used them since the previous call, so that a broker
     * keeps mapped only the indexes being read ({@code vm.max_map_count} bounds the mappings of a process);
     * the next lookup maps them again. Called under the log's lock, which keeps the log's own reference in
     * place meanwhile. Readers are kept out by moving the reference count, for the few microseconds of the
     * unmap, from 1 (the log's alone) to a value {@link #retain()} refuses; they look again.
     *
     * @return whether the indexes were unmapped
     */
    synchronized boolean unmapIndexesIfIdle() {
        if (mapping != null || !indexesMapped()) {
            return false;
        }
        if (indexesUsed) {
            indexesUsed = false;
            return false;
        }
        if (!refCnt.compareAndSet(1, EXCLUSIVE)) {
            return false; // a reader holds the segment: it is in use
        }
        try {
            OffsetIndex oi = offsetIndex;
            TimeIndex ti = timeIndex;
            offsetIndex = null;
            timeIndex = null;
            if (oi != null) {
                oi.close();
            }
            if (ti != null) {
                ti.close();
            }
        } finally {
            refCnt.set(1);
        }
        return true;
    }

    /**
     * The first batch that holds {@code offset} or a later one, or null when the segment ends before it.
     */
    public OffsetPosition translateOffset(long offset) {
        OffsetPosition found = batchHolding(offset);
        return found.offset() < 0 ? null : found;
    }

    /**
     * Where the batch holding {@code offset} starts or, when no batch written so far holds it, the end of the
     * data at {@code offset}. Both come from one reading of the size: a reader bounding a slice at an offset
     * (the high watermark) must not take a size read later, which may already include batches appended past it.
     */
    public OffsetPosition positionOfOrEnd(long offset) {
        OffsetPosition found = batchHolding(offset);
        return found.offset() < 0 ? new OffsetPosition(offset, found.position()) : found;
    }

    /** The batch holding {@code offset}, or offset -1 at the size this scan read. */
    private OffsetPosition batchHolding(long offset) {
        int limit = size;
        OffsetPosition start = offsetIndex().lookup(offset);
        int position = start.position();
        while (position < limit) {
            BatchHeader h = BatchHeader.read(channel, file, position, limit);
            if (h.lastOffset() >= offset) {
                return new OffsetPosition(h.baseOffset(), position);
            }
            position = h.nextPosition();
        }
        return new OffsetPosition(-1, limit);
    }

    /**
     * The last batch boundary in {@code (from, maxPosition]}, or the end of the batch at {@code from}
     * when that batch alone is longer than the range (a read always makes progress), with the offset that
     * starts there (the offset after the batches before it).
     */
    public OffsetPosition lastBoundaryAtOrBefore(int from, int maxPosition) {
        int limit = size;
        if (maxPosition >= limit) {
            // The log end of an active segment may have moved past this size meanwhile; readers bound maxPosition
            // below the size they sampled, so they never get here.
            return new OffsetPosition(nextOffset, limit);
        }
        int position = Math.max(from, offsetIndex().lookupByPosition(maxPosition).position());
        long offset = -1;
        while (position < limit) {
            BatchHeader h = BatchHeader.read(channel, file, position, limit);
            if (h.nextPosition() > maxPosition) {
                return position > from
                        ? new OffsetPosition(h.baseOffset(), position)
                        : new OffsetPosition(h.lastOffset() + 1, h.nextPosition());
            }
            position = h.nextPosition();
            offset = h.lastOffset() + 1;
        }
        return new OffsetPosition(offset < 0 ? nextOffset : offset, limit);
    }

    /** The first batch whose newest timestamp is at least {@code timestamp}, or null. */
    public BatchHeader findByTimestamp(long timestamp) {
        int limit = size;
        TimestampOffset entry = timeIndex().lookupBefore(timestamp);
        OffsetPosition start = offsetIndex().lookup(entry.offset());
        int position = start.position();
        while (position < limit) {
            BatchHeader h = BatchHeader.read(channel, file, position, limit);
            if (h.maxTimestamp() >= timestamp) {
                return h;
            }
            position = h.nextPosition();
        }
        return null;
    }

    /** Copies {@code length} bytes from {@code position} into {@code target}; the read side of zero copy. */
    public long transferTo(long position, long length, WritableByteChannel target) throws IOException {
        long done = 0;
        while (done < length) {
            long n = channel.transferTo(position + done, length - done, target);
            if (n <= 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    /** Opens a sealed segment's indexes on first use ({@link SegmentIndexes}); synchronized on the segment. */
    private synchronized Segment loadIndexes() {
        if (offsetIndex != null && timeIndex != null) {
            return this;
        }
        SegmentIndexes loaded = SegmentIndexes.load(this, config, indexFile(INDEX_SUFFIX), indexFile(TIME_INDEX_SUFFIX));
        timeIndex = loaded.timeIndex();
        offsetIndex = loaded.offsetIndex();
        return this;
    }

    // ---------------------------------------------------------------- life cycle

    /**
     * Takes a reference for a reader; false when the segment has been closed, or for a moment while its idle
     * indexes are unmapped (the caller looks the segment up again).
     */
    public boolean retain() {
        while (true) {
            int n = refCnt.get();
            if (n <= 0) {
                return false;
            }
            if (refCnt.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one closes the files, and deletes them if the segment was deleted. */
    public void release() {
        int n = refCnt.decrementAndGet();
        if (n == 0) {
            closeResources();
            if (deleteOnClose) {
                deleteFiles();
            }
        } else if (n < 0) {
            throw new IllegalStateException(file + ": released more often than retained");
        }
    }

    /** References held: the log's own plus one per reader in flight; for tests and metrics. */
    public int refCount() {
        return refCnt.get();
    }

    /**
     * Removes the segment from use: renames its files with {@value #DELETED_SUFFIX} (so a restart
     * cleans them up rather than loading them) and deletes them once no reader holds it.
     */
    synchronized void markDeleted() {
        Path deleted = file.resolveSibling(file.getFileName() + DELETED_SUFFIX);
        try {
            renameIndex(offsetIndex, INDEX_SUFFIX);
            renameIndex(timeIndex, TIME_INDEX_SUFFIX);
            Files.move(file, deleted);
            file = deleted;
        } catch (IOException e) {
            throw new LogStorageException(file, "renaming for deletion", e);
        }
        deleteOnClose = true;
        release();
    }

    private void renameIndex(MappedIndex index, String suffix) throws IOException {
        Path current = indexFile(suffix);
        Path target = current.resolveSibling(current.getFileName() + DELETED_SUFFIX);
        if (index != null) {
            index.renameTo(target);
        } else if (Files.exists(current)) {
            Files.move(current, target);
        }
    }

    /** Drops the log's reference without deleting the files (close, or hand-over to a new instance). */
    void close() {
        release();
    }

    private void closeResources() {
        if (prefill != null) {
            prefill.cancel();
            prefill = null;
        }
        if (mapping != null) {
            MappedBuffers.unmap(mapping);
            mapping = null;
        }
        OffsetIndex oi = offsetIndex;
        TimeIndex ti = timeIndex;
        if (oi != null) {
            oi.close();
        }
        if (ti != null) {
            ti.close();
        }
        closeQuietly(channel);
    }

    private void deleteFiles() {
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(indexFile(INDEX_SUFFIX));
            Files.deleteIfExists(indexFile(TIME_INDEX_SUFFIX));
        } catch (IOException e) {
            log.warn("{}: deleting segment files failed: {}", file, e.toString());
        }
    }

    /** The index file next to the data file, following its name (including a deleted suffix). */
    private Path indexFile(String suffix) {
        String name = file.getFileName().toString();
        boolean deleted = name.endsWith(DELETED_SUFFIX);
        return file.resolveSibling(fileName(baseOffset, suffix) + (deleted ? DELETED_SUFFIX : ""));
    }

    private static FileChannel openChannel(Path file, boolean create) {
        try {
            return create
                    ? FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new LogStorageException(file, "opening segment", e);
        }
    }

    /** Grows the file to {@code length} without writing its blocks (they read as zeros). */
    private static void extend(FileChannel channel, long length) throws IOException {
        if (channel.size() < length) {
            channel.write(ByteBuffer.wrap(new byte[1]), length - 1);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.warn("closing a segment file failed: {}", e.toString());
        }
    }

    @Override
    public String toString() {
        return "Segment(" + file.getFileName() + ", base " + baseOffset + ", size " + size + ", next " + nextOffset
                + (mapping != null ? ", active" : "") + ")";
    }
}
