package io.sluice.bench;

import io.sluice.broker.log.OffsetIndex;
import io.sluice.broker.log.OffsetPosition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * {@link OffsetIndex#lookup} on a sealed index of 1,000,000 entries (8 MB, most of the default 10 MiB
 * {@code segment.index.bytes}): {@link #lookupRandom} for targets uniform over the whole index (the binary
 * search over the cold part: ~20 probes over 2,000 pages) and {@link #lookupWarm} for targets inside the last
 * 8 KiB of entries (the "warm" section a lookup near the log end searches first).
 *
 * <p>The index file is written directly in its on-disk format (big-endian relative offset and position, 8
 * bytes per entry; offsets step by 16, positions by 2,048, both strictly increasing as the format requires)
 * and opened read-only through the public constructor, as a sealed segment's index is: the log itself could
 * only produce a million entries from a multi-GiB segment. Targets are precomputed so the measurement holds
 * no random number generation; each lookup's result is returned to JMH's blackhole.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class OffsetIndexLookupBenchmark {
    static final int ENTRIES = 1_000_000;
    static final long BASE_OFFSET = 1_000_000_000L;
    static final int OFFSET_STEP = 16;
    static final int POSITION_STEP = 2048;
    /** The warm section: the last 8 KiB of entries ({@code MappedIndex.WARM_BYTES}). */
    static final int WARM_ENTRIES = 8192 / OffsetIndex.ENTRY_SIZE;
    static final int TARGETS = 1 << 16;

    private Path dir;
    private OffsetIndex index;
    private long[] randomTargets;
    private long[] warmTargets;
    private int next;

    @Setup(Level.Trial)
    public void writeIndex() throws IOException {
        dir = BenchSupport.newScratchDir("index");
        Path file = dir.resolve("00000000001000000000.index");
        ByteBuffer entries = ByteBuffer.allocateDirect(ENTRIES * OffsetIndex.ENTRY_SIZE);
        for (int i = 0; i < ENTRIES; i++) {
            entries.putInt(i * OFFSET_STEP).putInt(i * POSITION_STEP);
        }
        entries.flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (entries.hasRemaining()) {
                ch.write(entries);
            }
        }
        index = new OffsetIndex(file, BASE_OFFSET, 10 << 20, false);
        if (index.entries() != ENTRIES) {
            throw new IllegalStateException("index opened with " + index.entries() + " entries");
        }
        long lastOffset = BASE_OFFSET + (long) (ENTRIES - 1) * OFFSET_STEP;
        long firstWarm = BASE_OFFSET + (long) (ENTRIES - WARM_ENTRIES) * OFFSET_STEP;
        SplittableRandom random = new SplittableRandom(7);
        randomTargets = new long[TARGETS];
        warmTargets = new long[TARGETS];
        for (int i = 0; i < TARGETS; i++) {
            // Up to one entry's span past the last entry: a target beyond it still finds the last entry.
            randomTargets[i] = random.nextLong(BASE_OFFSET, lastOffset + OFFSET_STEP);
            warmTargets[i] = random.nextLong(firstWarm, lastOffset + OFFSET_STEP);
        }
    }

    @TearDown(Level.Trial)
    public void deleteIndex() {
        index.close();
        BenchSupport.deleteRecursively(dir);
    }

    @Benchmark
    public OffsetPosition lookupRandom() {
        return index.lookup(randomTargets[next++ & (TARGETS - 1)]);
    }

    @Benchmark
    public OffsetPosition lookupWarm() {
        return index.lookup(warmTargets[next++ & (TARGETS - 1)]);
    }
}
