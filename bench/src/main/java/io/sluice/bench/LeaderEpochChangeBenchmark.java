package io.sluice.bench;

import io.sluice.broker.log.LogConfig;
import io.sluice.proto.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
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
public class LeaderEpochChangeBenchmark {
    static final int APPENDS = 2000;

    /** A fresh log per iteration ({@link LogAppendBenchmark.LogState}), 512 MiB segments, and the next epoch. */
    @State(Scope.Thread)
    public static class EpochLog extends LogAppendBenchmark.LogState {
        final ByteBuffer batch = new RecordBatchBuilder(256).append(1_700_000_000_000L, null, new byte[100]).build();
        int epoch;

        @Override
        LogConfig config() {
            return LogConfig.DEFAULT.withSegmentBytes(512 << 20).withPrefillBytes(1 << 20);
        }

        @Setup(Level.Iteration)
        public void firstEpoch() {
            epoch = 0;
        }
    }

    @Benchmark
    @OperationsPerInvocation(APPENDS)
    public long appendAtNewEpoch(EpochLog s) {
        long last = 0;
        for (int i = 0; i < APPENDS; i++) {
            last = s.log.appendAsLeader(s.batch.duplicate(), ++s.epoch).lastOffset();
        }
        return last;
    }

    @Benchmark
    @OperationsPerInvocation(APPENDS)
    public long appendAtSameEpoch(EpochLog s) {
        long last = 0;
        for (int i = 0; i < APPENDS; i++) {
            last = s.log.appendAsLeader(s.batch.duplicate(), s.epoch).lastOffset();
        }
        return last;
    }
}
