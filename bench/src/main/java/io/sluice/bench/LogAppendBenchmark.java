package io.sluice.bench;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.util.Clock;
import java.io.IOException;
import io.sluice.proto.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Append throughput of {@link Log#appendAsLeader} with 16 KiB batches of 1 KiB records, against the raw
 * ceiling of copying the same bytes into a mapped segment file, in one run.
 *
 * <p>Every benchmark is a {@code SingleShotTime} iteration of a fixed number of appends (a loop in the
 * benchmark method, counted by {@code @OperationsPerInvocation}) into a fresh file or log made in the untimed
 * iteration setup, so an iteration can never run out of segment space and never writes into pages an earlier
 * iteration already faulted into its mapping (a second pass over a mapping has no page faults and would
 * flatter the baseline). The score is the time of one 16 KiB append: {@code GB/s = 16384 / score(ns/op)}.
 * The forks get a 2 GiB heap, touched at start ({@code -XX:+AlwaysPreTouch}): the log allocates ~170 bytes per
 * append and the raw loops nothing, and without it the log alone paid the first-touch faults of fresh heap pages
 * (~10 % of its time in a profile), which a broker that has run for a while does not. A {@code -jvmArgsAppend} on
 * the command line replaces these flags, so repeat them there.
 *
 * <ul>
 * <li>{@link #logAppend}: 32,000 appends (500 MiB) into a fresh log whose 1 GiB active segment was prefilled
 *     completely by the log's own background prefill before the clock starts ({@code segment.prefill.bytes} =
 *     1 GiB). The prefill keeps about a second of the writer's rate ahead, measured at each 1 MiB chunk edge;
 *     right after a fork starts, with the code still cold, that was as little as 63 chunks, and the rest would
 *     be filled while the clock runs. So this log's clock stands still for intervals (its wall-clock time
 *     runs), which makes the writer's rate unbounded and the window the whole segment once an untimed 1 MiB
 *     of appends has crossed the first chunk edge (checked once on 2026-11-27 with five fresh logs in a
 *     throwaway test: all 1024 chunks allocated, against 63–564 with a running clock). 500 MiB stays under
 *     half a segment, so neither a roll nor the next segment's preparation competes: it is validation (CRC32C,
 *     record framing), offset assignment, indexing and the copy.
 * <li>{@link #rawMmapCopyPrefilled}, the fair ceiling of {@code logAppend}: the same 32,000 copies of the same
 *     direct {@code ByteBuffer} (the kind the broker gets from Netty) with the same call
 *     ({@code MappedByteBuffer.put(int, ByteBuffer, int, int)}), back to back, into a fresh 1 GiB file prepared like the log's segment: grown sparse by writing its last
 *     byte ({@code Segment.extend}), every page allocated by writing zeros through the {@code FileChannel} in
 *     1 MiB chunks without fsync ({@code PageAllocator}), then mapped {@code READ_WRITE}. Both therefore pay
 *     the same first-touch minor fault per page of a new mapping over resident, allocated, dirty pages; the
 *     difference is the log's own work.
 * <li>{@link #rawMmapCopyPrefilledValidated}: the same copies, each after {@code RecordBatch.validate()} (CRC32C
 *     and the record-framing walk) of the source, as the log checks every producer batch: the ceiling of an
 *     append that validates, so that {@code logAppend}'s distance to it is the log's own bookkeeping.
 * <li>{@link #rawMmapCopySparse}: the same copies into a fresh sparse file (what an append costs when no page
 *     was prepared: every first touch allocates a block).
 * <li>{@link #logAppendSustained}: rolls included. 65,536 appends (1 GiB, 16 rolls) into a log of 64 MiB
 *     segments with the default 16 MiB prefill, after an untimed prefix of two segments so that each
 *     iteration starts in the steady state (next segment prepared, earlier seals done). The log's background
 *     work (prefill ahead of the writer, next-segment preparation, seal and fsync of every rolled segment)
 *     runs on two background threads during the measurement; the fsync backlog of the last segments is
 *     drained in the untimed teardown, so this is the rate of a 1 GiB burst, not of a disk-bound stream.
 * </ul>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class LogAppendBenchmark {
    static final int SEGMENT_BYTES = 1 << 30;
    /** 500 MiB: below half of {@link #SEGMENT_BYTES}, where the log starts preparing the next segment. */
    static final int APPENDS = 32_000;
    static final int SUSTAINED_SEGMENT_BYTES = 64 << 20;
    /** 1 GiB: 16 segments of 64 MiB. */
    static final int SUSTAINED_APPENDS = 65_536;
    static final int SUSTAINED_PREFIX_APPENDS = 2 * SUSTAINED_SEGMENT_BYTES / BenchSupport.BATCH_BYTES;

    /** The producer batch, shared read-only by every append (the log never changes its source bytes). */
    @State(Scope.Thread)
    public static class Batch {
        ByteBuffer batch;

        @Setup(Level.Trial)
        public void setUp() {
            batch = BenchSupport.batch16KiB();
        }
    }

    /** A log, fresh per iteration, opened and left to its background threads until they are idle. */
    public abstract static class LogState {
        TrackingExecutor background;
        Path dir;
        Log log;

        abstract LogConfig config();

        Clock clock() {
            return Clock.SYSTEM;
        }

        /**
         * Untimed appends after open, before the clock starts: a segment's background prefill starts with its first
         * append and sizes its window to the writer's rate from the first 1 MiB chunk edge on, so the prefix
         * crosses that edge.
         */
        int prefixAppends() {
            return (1 << 20) / BenchSupport.BATCH_BYTES + 1;
        }

        @Setup(Level.Trial)
        public void startBackground() {
            background = new TrackingExecutor(2);
        }

        @Setup(Level.Iteration)
        public void openLog(Batch b) {
            dir = BenchSupport.newScratchDir("append");
            log = Log.open(BenchSupport.TP, dir, config(), clock(), background, true, 0);
            for (int i = 0; i < prefixAppends(); i++) {
                log.appendAsLeader(b.batch, 0);
            }
            background.awaitQuiescence();
        }

        @TearDown(Level.Iteration)
        public void closeLog() {
            log.close();
            background.awaitQuiescence();
            BenchSupport.deleteRecursively(dir);
        }

        @TearDown(Level.Trial)
        public void stopBackground() {
            background.close();
        }
    }

    @State(Scope.Thread)
    public static class PrefilledLog extends LogState {
        @Override
        LogConfig config() {
            return LogConfig.DEFAULT.withSegmentBytes(SEGMENT_BYTES).withPrefillBytes(SEGMENT_BYTES);
        }

        /** Wall-clock time runs, interval time stands still: see {@link #logAppend}. */
        @Override
        Clock clock() {
            return new Clock() {
                @Override
                public long milliseconds() {
                    return System.currentTimeMillis();
                }

                @Override
                public long nanoseconds() {
                    return 0;
                }
            };
        }
    }

    @State(Scope.Thread)
    public static class SustainedLog extends LogState {
        @Override
        LogConfig config() {
            return LogConfig.DEFAULT.withSegmentBytes(SUSTAINED_SEGMENT_BYTES); // default 16 MiB prefill
        }

        @Override
        int prefixAppends() {
            return SUSTAINED_PREFIX_APPENDS;
        }
    }

    /** A fresh mapped 1 GiB file per iteration, appended to by plain copies. */
    public abstract static class MappedFile {
        Path dir;
        FileChannel channel;
        MappedByteBuffer mapping;
        int position;

        abstract boolean prefill();

        @Setup(Level.Iteration)
        public void map() throws IOException {
            dir = BenchSupport.newScratchDir("raw");
            channel = FileChannel.open(dir.resolve("00000000000000000000.log"), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            BenchSupport.extendSparse(channel, SEGMENT_BYTES);
            if (prefill()) {
                BenchSupport.zeroFill(channel, SEGMENT_BYTES);
            }
            mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, SEGMENT_BYTES);
            position = 0;
        }

        /**
         * Copies the batch {@code appends} times to the end of the data, as {@code Segment.append} copies it;
         * wraps to the start if the file is full (never within an iteration).
         */
        int appendAll(ByteBuffer src, int appends) {
            int length = src.remaining();
            for (int i = 0; i < appends; i++) {
                if (position + length > SEGMENT_BYTES) {
                    position = 0;
                }
                mapping.put(position, src, src.position(), length);
                position += length;
            }
            return position;
        }

        /**
         * The same copy after a CRC32C of the batch, as every append must check it: how much of the gap to the
         * raw copy is the one check no append may skip.
         */
        long appendAllWithCrc(ByteBuffer src, int appends) {
            int length = src.remaining();
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            long sum = 0;
            for (int i = 0; i < appends; i++) {
                if (position + length > SEGMENT_BYTES) {
                    position = 0;
                }
                crc.reset();
                crc.update(src.duplicate().position(src.position() + RecordBatch.ATTRIBUTES_OFFSET));
                sum += crc.getValue();
                mapping.put(position, src, src.position(), length);
                position += length;
            }
            return sum + position;
        }

        /** The same copy after the full producer-batch check the log runs ({@code RecordBatch.validate()}). */
        long appendAllValidated(ByteBuffer src, int appends) {
            int length = src.remaining();
            long sum = 0;
            for (int i = 0; i < appends; i++) {
                if (position + length > SEGMENT_BYTES) {
                    position = 0;
                }
                RecordBatch batch = RecordBatch.at(src, src.position());
                batch.validate();
                sum += batch.recordCount();
                mapping.put(position, src, src.position(), length);
                position += length;
            }
            return sum + position;
        }

        @TearDown(Level.Iteration)
        public void unmap() throws IOException {
            BenchSupport.unmap(mapping);
            mapping = null;
            channel.close();
            BenchSupport.deleteRecursively(dir);
        }
    }

    @State(Scope.Thread)
    public static class PrefilledFile extends MappedFile {
        @Override
        boolean prefill() {
            return true;
        }
    }

    @State(Scope.Thread)
    public static class SparseFile extends MappedFile {
        @Override
        boolean prefill() {
            return false;
        }
    }

    @Benchmark
    @OperationsPerInvocation(APPENDS)
    public long logAppend(PrefilledLog s, Batch b) {
        return appendAll(s.log, b.batch, APPENDS);
    }

    @Benchmark
    @Warmup(iterations = 3)
    @Measurement(iterations = 6)
    @OperationsPerInvocation(SUSTAINED_APPENDS)
    public long logAppendSustained(SustainedLog s, Batch b) {
        return appendAll(s.log, b.batch, SUSTAINED_APPENDS);
    }

    @Benchmark
    @OperationsPerInvocation(APPENDS)
    public int rawMmapCopyPrefilled(PrefilledFile f, Batch b) {
        return f.appendAll(b.batch, APPENDS);
    }

    @Benchmark
    @OperationsPerInvocation(APPENDS)
    public long rawMmapCopyPrefilledWithCrc(PrefilledFile f, Batch b) {
        return f.appendAllWithCrc(b.batch, APPENDS);
    }

    @Benchmark
    @OperationsPerInvocation(APPENDS)
    public long rawMmapCopyPrefilledValidated(PrefilledFile f, Batch b) {
        return f.appendAllValidated(b.batch, APPENDS);
    }

    @Benchmark
    @OperationsPerInvocation(APPENDS)
    public int rawMmapCopySparse(SparseFile f, Batch b) {
        return f.appendAll(b.batch, APPENDS);
    }

    private static long appendAll(Log log, ByteBuffer batch, int appends) {
        long last = 0;
        for (int i = 0; i < appends; i++) {
            LogAppendInfo info = log.appendAsLeader(batch, 0);
            last = info.lastOffset();
        }
        return last;
    }
}
