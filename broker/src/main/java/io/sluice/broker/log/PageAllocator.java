package io.sluice.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure every page of an active segment is allocated before its writer stores into it through the
 * mapping, and does that work ahead of the writer on a background thread.
 *
 * <p>Two reasons. Speed: a first store into a page of a sparse mapped file takes a fault that also
 * allocates the file's block, 0.4–1.7 GB/s on these machines, while stores into allocated, cached pages
 * run at 11–17 GB/s. Safety: a store into a hole that the file system cannot back (disk full) is a SIGBUS,
 * which the JVM turns into an asynchronous {@link InternalError} at an arbitrary later point; allocating
 * with {@link FileChannel#write} instead fails with an {@link IOException}, before any byte of the batch
 * is written.
 *
 * <p>The file is cut into chunks ({@link #SEGMENT_CHUNK_BYTES} for data, {@link #INDEX_CHUNK_BYTES} for
 * indexes), each {@code UNALLOCATED → ALLOCATING → ALLOCATED}.
 * From the first write on, the background filler keeps a window of chunks allocated beyond the writer by
 * writing zeros (a segment nobody writes to costs no writes). The window follows the writer's rate: about
 * {@link #AHEAD_NANOS} of its writes, measured each time it enters a chunk, at least one chunk and at most
 * {@code maxAheadBytes} ({@code segment.prefill.bytes}). Zeros written far ahead of a slow writer only hold
 * page cache, and reach the disk before the records do (written twice); a fast writer still gets the whole
 * window, which is its cushion against a background executor busy with seals and fsyncs.
 *
 * <p>When the writer gets to a chunk first it allocates it itself; when the filler is allocating a chunk the
 * writer needs, the writer waits for it (one chunk write, well under a millisecond). Zeros are only ever
 * written from {@code dataEnd} on, and never into a chunk the writer has started, so they cannot overwrite
 * records.
 *
 * <p>Thread-safety: {@link #beforeWrite} and {@link #aheadBytes} are called by the segment's single writer,
 * which owns the window; fills run on the executor; chunk states are atomic.
 */
final class PageAllocator {
    /** Chunk size for segment data files. */
    static final int SEGMENT_CHUNK_BYTES = 1 << 20;
    /** Chunk size for index files: 8,192 offset entries, a short write when the writer does it itself. */
    static final int INDEX_CHUNK_BYTES = 64 << 10;
    /** The window covers about this much of the writer's recent writing. */
    static final long AHEAD_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Logger log = LoggerFactory.getLogger(PageAllocator.class);
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(SEGMENT_CHUNK_BYTES).asReadOnlyBuffer();
    private static final int UNALLOCATED = 0;
    private static final int ALLOCATING = 1;
    private static final int ALLOCATED = 2;
    /** Taken by {@link #cancel()} so that no fill starts after it. */
    private static final int CANCELLED = 3;

    private final Path file;
    private final FileChannel channel;
    private final int chunkBytes;
    private final Executor executor;
    private final AtomicIntegerArray states;
    private final int maxAheadChunks;
    private final LongSupplier nanos;
    /** Chunks kept allocated beyond the writer's; writer-owned, like the two fields below. */
    private int aheadChunks;
    /** The last chunk the writer stored into, and when it first did. */
    private int writerChunk = -1;
    private long writerChunkSinceNanos;
    private final int capacity;
    /** Bytes below this hold records: zeros are written from here on only. */
    private final int dataEnd;
    /** The highest chunk a fill has been requested for; written by the writer, and by {@link #cancel()}. */
    private volatile int requestedUpTo;

    /**
     * @param dataEnd        bytes of records at the start of the file
     * @param allocatedBytes leading bytes known to be allocated already (a {@link PreparedFile}'s prefix)
     * @param maxAheadBytes  the largest window; 0 allocates only what the writer asks for, on its own thread
     * @param aheadBytes     the window until the writer's rate is known (the previous segment's last window)
     * @param nanos          monotonic time for the writer's rate
     */
    PageAllocator(Path file, FileChannel channel, int chunkBytes, int capacity, int dataEnd, int allocatedBytes,
                  int maxAheadBytes, int aheadBytes, Executor executor, LongSupplier nanos) {
        if (chunkBytes <= 0 || chunkBytes > SEGMENT_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunk of " + chunkBytes + " bytes");
        }
        this.file = file;
        this.channel = channel;
        this.chunkBytes = chunkBytes;
        this.executor = executor;
        this.capacity = capacity;
        this.dataEnd = dataEnd;
        this.states = new AtomicIntegerArray((int) (((long) capacity + chunkBytes - 1) / chunkBytes));
        this.maxAheadChunks = chunksFor(maxAheadBytes);
        this.aheadChunks = maxAheadChunks == 0 ? 0 : Math.max(1, Math.min(maxAheadChunks, chunksFor(aheadBytes)));
        this.nanos = nanos;
        // The chunk holding dataEnd may have holes after the records: it is allocated from dataEnd on.
        int allocatedChunks = Math.max(dataEnd, allocatedBytes) / chunkBytes;
        for (int c = 0; c < allocatedChunks; c++) {
            states.set(c, ALLOCATED);
        }
        requestedUpTo = allocatedChunks - 1;
    }

    /**
     * Called by the writer before it stores {@code length} bytes at {@code position} through the mapping;
     * returns once those bytes are allocated.
     *
     * @throws LogStorageException when the file system cannot allocate them (the batch is not written)
     */
    void beforeWrite(int position, int length) {
        int first = position / chunkBytes;
        int last = (position + length - 1) / chunkBytes;
        for (int c = first; c <= last; c++) {
            while (true) {
                int state = states.get(c);
                if (state == ALLOCATED) {
                    break;
                }
                if (state == CANCELLED) {
                    throw new IllegalStateException(file + ": write after the segment was sealed or cut");
                }
                if (state == ALLOCATING) {
                    LockSupport.parkNanos(10_000);
                    continue;
                }
                if (states.compareAndSet(c, UNALLOCATED, ALLOCATING)) {
                    try {
                        allocate(c);
                        states.set(c, ALLOCATED);
                    } catch (IOException e) {
                        states.set(c, UNALLOCATED);
                        throw new LogStorageException(file, "allocating bytes " + chunkStart(c) + " to " + chunkEnd(c), e);
                    }
                    break;
                }
            }
        }
        if (maxAheadChunks > 1 && last != writerChunk) {
            followRate(last);
        }
        requestAhead(last);
    }

    /** The current window in bytes: where the next segment's starts. */
    int aheadBytes() {
        return aheadChunks * chunkBytes;
    }

    /** The writer entered {@code chunk}: sizes the window to what it wrote since it entered the last one. */
    private void followRate(int chunk) {
        long now = nanos.getAsLong();
        if (writerChunk >= 0 && chunk > writerChunk) {
            long perChunk = Math.max(1, (now - writerChunkSinceNanos) / (chunk - writerChunk));
            aheadChunks = (int) Math.max(1, Math.min(maxAheadChunks, (AHEAD_NANOS + perChunk - 1) / perChunk));
        }
        writerChunk = chunk;
        writerChunkSinceNanos = now;
    }

    /**
     * Stops prefilling before the file is trimmed, cut or closed: takes every unallocated chunk so that no
     * fill starts, then waits for fills under way, so that no late write of zeros grows a trimmed file.
     */
    void cancel() {
        requestedUpTo = Integer.MAX_VALUE;
        for (int c = 0; c < states.length(); c++) {
            states.compareAndSet(c, UNALLOCATED, CANCELLED);
        }
        for (int c = 0; c < states.length(); c++) {
            while (states.get(c) == ALLOCATING) {
                LockSupport.parkNanos(10_000);
            }
        }
    }

    /** Counts allocated chunks; for tests and metrics. */
    int allocatedChunks() {
        int n = 0;
        for (int c = 0; c < states.length(); c++) {
            n += states.get(c) == ALLOCATED ? 1 : 0;
        }
        return n;
    }

    private void requestAhead(int chunk) {
        int target = Math.min(chunk + aheadChunks, states.length() - 1);
        if (aheadChunks == 0 || target <= requestedUpTo) {
            return;
        }
        int from = requestedUpTo + 1;
        requestedUpTo = target;
        try {
            executor.execute(() -> fill(from, target));
        } catch (RejectedExecutionException e) {
            // Shutting down: the writer allocates its own chunks from here on.
        }
    }

    private void fill(int fromChunk, int toChunk) {
        for (int c = fromChunk; c <= toChunk; c++) {
            if (!states.compareAndSet(c, UNALLOCATED, ALLOCATING)) {
                continue;
            }
            try {
                allocate(c);
                states.set(c, ALLOCATED);
            } catch (IOException e) {
                states.set(c, UNALLOCATED);
                log.warn("{}: allocating bytes {} to {} ahead of the writer failed ({}); the writer will retry and report it",
                        file, chunkStart(c), chunkEnd(c), e.toString());
                return;
            }
        }
    }

    private void allocate(int chunk) throws IOException {
        long start = Math.max(chunkStart(chunk), dataEnd);
        long end = chunkEnd(chunk);
        if (start >= end) {
            return;
        }
        ByteBuffer zeros = ZEROS.duplicate();
        zeros.limit((int) (end - start));
        long p = start;
        while (zeros.hasRemaining()) {
            p += channel.write(zeros, p);
        }
    }

    private int chunksFor(int bytes) {
        return (int) (((long) bytes + chunkBytes - 1) / chunkBytes);
    }

    private long chunkStart(int chunk) {
        return (long) chunk * chunkBytes;
    }

    private long chunkEnd(int chunk) {
        return Math.min(capacity, chunkStart(chunk) + chunkBytes);
    }
}
