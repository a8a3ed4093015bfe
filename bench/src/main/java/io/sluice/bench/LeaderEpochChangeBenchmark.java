package io.sluice.bench;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.util.Clock;
import io.sluice.proto.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Path;
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
 * The first append of a partition after a leader change: {@link #appendAtNewEpoch} appends a one-record batch at a
 * leader epoch one higher than the last, so every append adds a leader-epoch entry, against {@link #appendAtSameEpoch},
 * the same append with no change of epoch. Until the leader-epoch checkpoint was written only as the recovery point
 * passes a new entry, that append wrote and fsynced the checkpoint under the log's lock. Each iteration is
 * {@value #APPENDS} appends into a fresh log (so the epoch list stays as short as a real partition's), no roll.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class LeaderEpochChangeBenchmark {
    static final int APPENDS = 2000;

    private ByteBuffer batch;
    private TrackingExecutor background;
    private Path dir;
    private Log log;
    private int epoch;

    @Setup(Level.Trial)
    public void setUp() {
        batch = new RecordBatchBuilder(256).append(1_700_000_000_000L, null, new byte[100]).build();
        background = new TrackingExecutor(1);
    }

    @Setup(Level.Iteration)
    public void openLog() {
        dir = BenchSupport.newScratchDir("epochs");
        log = Log.open(BenchSupport.TP, dir, LogConfig.DEFAULT.withSegmentBytes(64 << 20).withPrefillBytes(1 << 20),
                Clock.SYSTEM, background, true, 0);
        epoch = 0;
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

    @Benchmark
    @OperationsPerInvocation(APPENDS)
    public long appendAtNewEpoch() {
        long last = 0;
        for (int i = 0; i < APPENDS; i++) {
            last = log.appendAsLeader(batch.duplicate(), ++epoch).lastOffset();
        }
        return last;
    }

    @Benchmark
    @OperationsPerInvocation(APPENDS)
    public long appendAtSameEpoch() {
        long last = 0;
        for (int i = 0; i < APPENDS; i++) {
            last = log.appendAsLeader(batch.duplicate(), epoch).lastOffset();
        }
        return last;
    }
}
