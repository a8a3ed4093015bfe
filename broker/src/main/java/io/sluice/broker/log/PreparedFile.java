package io.sluice.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The data file of the next segment, made ready on a background thread before the active segment fills
 * up: created, grown to {@code segment.bytes} and its first pages allocated, so that a roll only renames
 * it. Its name, {@code next-<n>.prepared}, is unique per preparation (a late, discarded one never touches
 * its successor's file) and is never loaded as a segment; a leftover one is deleted on start.
 *
 * <p>Thread-safety: made on a background thread and handed to the log writer through a future; from
 * then on owned by the writer.
 */
final class PreparedFile {
    static final String SUFFIX = ".prepared";

    private final Path file;
    private final int capacity;
    private final int allocatedBytes;

    private PreparedFile(Path file, int capacity, int allocatedBytes) {
        this.file = file;
        this.capacity = capacity;
        this.allocatedBytes = allocatedBytes;
    }

    static String name(long n) {
        return "next-" + n + SUFFIX;
    }

    /**
     * Creates {@code dir/next-<n>.prepared} of {@code segment.bytes}, its first {@code aheadBytes} allocated (the
     * active segment's prefill window, at most {@code segment.prefill.bytes}).
     */
    static PreparedFile create(Path dir, long n, LogConfig config, int aheadBytes) {
        Path file = dir.resolve(name(n));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            int capacity = config.segmentBytes();
            int allocate = Math.min(capacity, Math.min(aheadBytes, config.prefillBytes()));
            ByteBuffer zeros = ByteBuffer.allocateDirect(Math.min(PageAllocator.SEGMENT_CHUNK_BYTES, Math.max(1, allocate)));
            long position = 0;
            while (position < allocate) {
                zeros.clear();
                zeros.limit((int) Math.min(zeros.capacity(), allocate - position));
                position += channel.write(zeros, position);
            }
            if (channel.size() < capacity) {
                channel.write(ByteBuffer.wrap(new byte[1]), capacity - 1);
            }
            return new PreparedFile(file, capacity, allocate);
        } catch (IOException e) {
            throw new LogStorageException(file, "preparing the next segment", e);
        }
    }

    /** Renames the file to the segment it becomes; the caller then opens it as the active segment. */
    Path moveTo(Path target) {
        try {
            Files.move(file, target);
            return target;
        } catch (IOException e) {
            throw new LogStorageException(file, "renaming to " + target.getFileName(), e);
        }
    }

    int capacity() {
        return capacity;
    }

    /** Leading bytes written (allocated) by {@link #create}. */
    int allocatedBytes() {
        return allocatedBytes;
    }

    void discard() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new LogStorageException(file, "deleting", e);
        }
    }
}
