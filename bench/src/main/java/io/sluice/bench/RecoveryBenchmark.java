package io.sluice.bench;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.util.Clock;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time of {@link Log#open} of a 1 GiB partition after an unclean stop (the bar: under 2 s, only the active
 * segment scanned).
 *
 * <p>Each iteration's untimed setup writes 1 GiB (65,536 batches of 16 KiB) into a fresh directory, waits
 * until the log's background work is done (so every seal and its fsync has moved the recovery point), reads
 * {@link Log#recoveryPoint()}, and abandons the log without closing it: no trim, no flush, no clean-shutdown
 * marker, the active segment still preallocated and mapped, and the prepared next segment left behind, as a
 * killed process leaves them. The timed part reopens the directory with {@code cleanShutdown = false} and that
 * recovery point. {@code segmentBytes}:
 * <ul>
 * <li>1 GiB (the default {@code segment.bytes}): all the data is in the one active segment, which is scanned
 *     in full (length, magic, CRC32C of every batch), the worst case of the default config;
 * <li>256 MiB: three sealed, flushed segments and a full active one; only the active 256 MiB are scanned.
 * </ul>
 * The page cache is hot (a process crash, not a power loss: a cold start adds reading the scanned bytes from
 * the device, e.g. ~3 s per GiB at this disk's ~370 MB/s). Abandoned logs keep their mappings until the GC
 * runs their cleaners, so iterations are few and each teardown deletes its directory and runs a GC.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 4)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Thread)
public class RecoveryBenchmark {
    static final long PARTITION_BYTES = 1L << 30;

    @Param({"1073741824", "268435456"})
    int segmentBytes;

    private ByteBuffer batch;
    private TrackingExecutor background;
    private LogConfig config;
    private Path dir;
    private long recoveryPoint;
    private long expectedEndOffset;
    private Log abandoned;
    private Log reopened;

    @Setup(Level.Trial)
    public void setUpTrial() {
        batch = BenchSupport.batch16KiB();
        background = new TrackingExecutor(2);
        config = LogConfig.DEFAULT.withSegmentBytes(segmentBytes);
    }

    @Setup(Level.Iteration)
    public void writeAndAbandon() {
        dir = BenchSupport.newScratchDir("recovery");
        Log log = Log.open(BenchSupport.TP, dir, config, Clock.SYSTEM, background, true, 0);
        for (long written = 0; written < PARTITION_BYTES; written += BenchSupport.BATCH_BYTES) {
            log.appendAsLeader(batch, 0);
        }
        background.awaitQuiescence();
        recoveryPoint = log.recoveryPoint();
        expectedEndOffset = log.logEndOffset();
        abandoned = log; // kept reachable until the teardown: a live mapping, as the dead process had
    }

    @Benchmark
    public Log reopenAfterUncleanStop() {
        reopened = Log.open(BenchSupport.TP, dir, config, Clock.SYSTEM, background, false, recoveryPoint);
        return reopened;
    }

    @TearDown(Level.Iteration)
    public void cleanUp() throws InterruptedException {
        background.awaitQuiescence();
        if (reopened.logEndOffset() != expectedEndOffset) {
            throw new IllegalStateException("recovered to offset " + reopened.logEndOffset() + ", expected "
                    + expectedEndOffset);
        }
        System.out.printf("%n[recovery] segments %d, recovery point %d of %d, log end after open %d%n",
                reopened.segmentCount(), recoveryPoint, expectedEndOffset, reopened.logEndOffset());
        abandoned = null;
        reopened = null;
        BenchSupport.deleteRecursively(dir);
        System.gc(); // runs the cleaners of both logs' mappings and channels, releasing the deleted files' space
        Thread.sleep(200);
    }

    @TearDown(Level.Trial)
    public void tearDownTrial() {
        background.close();
    }
}
