package io.sluice.bench;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.log.Segment;
import io.sluice.broker.util.Clock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sequential read throughput of a page-cached 1 GiB log (four sealed 256 MiB segments of 16 KiB batches)
 * through {@link Log#read} with {@code maxBytes} 1 MiB and {@link LogSlice#transferTo}, against the raw
 * ceiling of {@code FileChannel.transferTo} of the same files, in the same 1 MiB steps, into the same target.
 * Each operation is one read of (exactly, here) 1 MiB; the {@code bytes} secondary result is in bytes/s.
 *
 * <h2>The target: a {@code FileChannel} on {@code /dev/null}</h2>
 * In JDK 17, {@code FileChannel.transferTo} goes to the kernel ({@code sendfile(2)}, one call per 1 MiB,
 * checked with strace) only when the target is another {@code FileChannel} or a selectable channel (socket,
 * pipe); to any other {@code WritableByteChannel} it falls back to {@code pread} into an 8 KiB buffer and a
 * {@code write} of it, 128 round trips per MiB, which is not the fetch path. A {@code FileChannel} on
 * {@code /dev/null} takes the real path: {@code sendfile} splices the page-cache pages of the segment into
 * the kernel's internal pipe by reference, exactly as for a socket, and {@code /dev/null}'s
 * {@code splice_write} drops them without touching the data. So both benchmarks pay the same JDK and kernel
 * source-side cost and no sink cost: the ceiling is well above the loopback-socket one (3.5-5.8 GB/s), and
 * the ratio is a stricter measure of what the log adds per read (offset lookup, batch-boundary search,
 * segment reference, slice) than a socket target would give.
 *
 * <p>The log is written once per fork in the trial setup, rolled so every segment is sealed (as a consumer
 * mostly reads), fsynced by the log's own seals, and left in the page cache; its end offset is the read
 * limit. Both benchmarks start at offset 0 and wrap around at the end of the log.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class LogReadBenchmark {
    static final int SEGMENT_BYTES = 256 << 20;
    static final long LOG_BYTES = 1L << 30;
    static final int MAX_BYTES = 1 << 20;

    @State(Scope.Thread)
    public static class CachedLog {
        TrackingExecutor background;
        Path dir;
        Log log;
        long endOffset;
        FileChannel devNull;
        /** The sealed segments' files, oldest first, as the raw baseline reads them. */
        List<FileChannel> files;
        long[] sizes;

        // logRead position
        long nextOffset;
        // rawTransferTo position
        int file;
        long position;

        @Setup(Level.Trial)
        public void writeLog() throws IOException {
            background = new TrackingExecutor(2);
            dir = BenchSupport.newScratchDir("read");
            log = Log.open(BenchSupport.TP, dir, LogConfig.DEFAULT.withSegmentBytes(SEGMENT_BYTES), Clock.SYSTEM,
                    background, true, 0);
            ByteBuffer batch = BenchSupport.batch16KiB();
            for (long written = 0; written < LOG_BYTES; written += BenchSupport.BATCH_BYTES) {
                log.appendAsLeader(batch, 0);
            }
            log.roll();
            background.awaitQuiescence();
            endOffset = log.logEndOffset();
            if (endOffset != LOG_BYTES / BenchSupport.BATCH_BYTES * BenchSupport.RECORDS_PER_BATCH) {
                throw new IllegalStateException("unexpected log end offset " + endOffset);
            }
            files = new ArrayList<>();
            List<Long> lengths = new ArrayList<>();
            for (Segment s : log.segments()) {
                if (s.size() > 0) {
                    files.add(s.channel());
                    lengths.add((long) s.size());
                }
            }
            sizes = lengths.stream().mapToLong(Long::longValue).toArray();
            devNull = FileChannel.open(Path.of("/dev/null"), StandardOpenOption.WRITE);
        }

        @TearDown(Level.Trial)
        public void deleteLog() throws IOException {
            devNull.close();
            log.close();
            background.awaitQuiescence();
            background.close();
            BenchSupport.deleteRecursively(dir);
        }
    }

    /** Bytes transferred; JMH reports it as a rate (bytes/s). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Transferred {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    /**
     * One consumer fetch step: the next slice of at most 1 MiB from the log, sent with {@code transferTo}.
     * The next offset follows from the slice: every batch here is 16 KiB of 16 records.
     */
    @Benchmark
    public long logRead(CachedLog s, Transferred t) throws IOException {
        long offset = s.nextOffset;
        if (offset >= s.endOffset) {
            offset = 0;
        }
        long n;
        try (LogSlice slice = s.log.read(offset, MAX_BYTES, s.endOffset)) {
            n = slice.transferTo(s.devNull);
            s.nextOffset = slice.firstOffset()
                    + (long) slice.length() / BenchSupport.BATCH_BYTES * BenchSupport.RECORDS_PER_BATCH;
        }
        t.bytes += n;
        return n;
    }

    /**
     * The ceiling: 1 MiB of the same segment file per operation with {@code FileChannel.transferTo} into the
     * same target, looping on short transfers as {@code Segment.transferTo} does, and moving to the next file at
     * the end of one.
     */
    @Benchmark
    public long rawTransferTo(CachedLog s, Transferred t) throws IOException {
        if (s.position >= s.sizes[s.file]) {
            s.file = (s.file + 1) % s.sizes.length;
            s.position = 0;
        }
        FileChannel ch = s.files.get(s.file);
        long length = Math.min(MAX_BYTES, s.sizes[s.file] - s.position);
        long done = 0;
        while (done < length) {
            long n = ch.transferTo(s.position + done, length - done, s.devNull);
            if (n <= 0) {
                break;
            }
            done += n;
        }
        s.position += done;
        t.bytes += done;
        return done;
    }
}
