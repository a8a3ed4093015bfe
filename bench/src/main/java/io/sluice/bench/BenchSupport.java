package io.sluice.bench;

import io.sluice.broker.log.MappedBuffers;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.RecordBatchBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Shared fixtures of the log benchmarks: the 16 KiB producer batch, scratch directories under
 * {@code /tmp/sluice-bench-*}, and the file preparation the raw baselines copy from the log
 * ({@code Segment.extend}, {@code PageAllocator.allocate}).
 */
final class BenchSupport {
    /** Size of every batch the benchmarks append: exactly 16 KiB, so that offsets and positions stay proportional. */
    static final int BATCH_BYTES = 16 << 10;
    /** Records per batch: 16 records of ~1 KiB values, the producer's default batch.size with 1 KiB records. */
    static final int RECORDS_PER_BATCH = 16;
    static final TopicPartition TP = new TopicPartition("bench", 0);
    /** Zero-fill chunk, as {@code PageAllocator.SEGMENT_CHUNK_BYTES}. */
    static final int FILL_CHUNK_BYTES = 1 << 20;

    private static final long TIMESTAMP = 1_700_000_000_000L;
    private BenchSupport() {
    }

    /**
     * One valid producer batch (magic 2, CRC32C, no key) of {@value #RECORDS_PER_BATCH} records of random bytes,
     * exactly {@value #BATCH_BYTES} bytes long: 15 values of 1011 bytes and a last one sized to fill the rest.
     * A direct buffer at position 0: what the log gets from a produce request, a {@code nioBuffer} of a frame that
     * Netty's default allocator ({@code AdaptiveByteBufAllocator}, direct) read from the socket.
     */
    static ByteBuffer batch16KiB() {
        SplittableRandom random = new SplittableRandom(42);
        RecordBatchBuilder builder = new RecordBatchBuilder(BATCH_BYTES);
        for (int i = 0; i < RECORDS_PER_BATCH - 1; i++) {
            builder.append(TIMESTAMP, null, randomBytes(random, 1011));
        }
        // The last record takes 9 bytes of framing for a value of 128..16383 bytes (2-byte varints).
        int lastValue = BATCH_BYTES - builder.sizeInBytes() - 9;
        builder.append(TIMESTAMP, null, randomBytes(random, lastValue));
        ByteBuffer batch = builder.build();
        if (batch.remaining() != BATCH_BYTES) {
            throw new IllegalStateException("batch is " + batch.remaining() + " bytes, expected " + BATCH_BYTES);
        }
        return ByteBuffer.allocateDirect(BATCH_BYTES).put(batch).flip();
    }

    /**
     * Nearly 16 KiB of 100-byte values (148 records, a timestamp 1 ms apart every 20), as a producer batches
     * small records, in a direct buffer.
     */
    static ByteBuffer batchOfSmallRecords() {
        SplittableRandom random = new SplittableRandom(42);
        RecordBatchBuilder builder = new RecordBatchBuilder(BATCH_BYTES);
        for (int i = 0; builder.sizeInBytes() + 112 <= BATCH_BYTES; i++) {
            builder.append(TIMESTAMP + i / 20, null, randomBytes(random, 100));
        }
        ByteBuffer batch = builder.build();
        return ByteBuffer.allocateDirect(batch.remaining()).put(batch).flip();
    }

    private static byte[] randomBytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** A new, empty scratch directory {@code /tmp/sluice-bench-<what>-*}. */
    static Path newScratchDir(String what) {
        try {
            return Files.createTempDirectory(Path.of("/tmp"), "sluice-bench-" + what + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Grows the file to {@code length} without allocating its blocks, as {@code Segment.extend} does. */
    static void extendSparse(FileChannel channel, long length) throws IOException {
        if (channel.size() < length) {
            channel.write(ByteBuffer.wrap(new byte[1]), length - 1);
        }
    }

    /**
     * Allocates {@code [0, length)} by writing zeros through the channel in 1 MiB chunks from a direct buffer,
     * exactly as {@code PageAllocator.allocate} does (no fsync: the pages stay dirty in the page cache).
     */
    static void zeroFill(FileChannel channel, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect(FILL_CHUNK_BYTES);
        long position = 0;
        while (position < length) {
            zeros.clear();
            zeros.limit((int) Math.min(FILL_CHUNK_BYTES, length - position));
            while (zeros.hasRemaining()) {
                position += channel.write(zeros, position);
            }
        }
    }

    /** Unmaps now; nothing may touch the buffer afterwards. */
    static void unmap(MappedByteBuffer buffer) {
        MappedBuffers.unmap(buffer);
    }
}
