package io.sluice.bench;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.util.Clock;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
 * Latency of one {@link Log#appendAsLeader} of a 16 KiB batch (16 records of 1 KiB), rolls included: JMH's
 * {@code SampleTime} percentiles, of which the bar is on {@code p0.999} (&lt; 1 ms).
 *
 * <p>Each iteration appends to a fresh log of {@code segmentBytes} segments (64 MiB: a roll every 4,096
 * appends) with the default 16 MiB prefill, after an untimed prefix of two segments, so every iteration is in
 * the steady state and crosses many rolls, each with its background seal + fsync, next-segment preparation
 * and prefill running on two background threads.
 *
 * <p>{@code rateMiBps} paces the appends. The default, 256, spaces them by {@code 16 KiB / rate} in an
 * untimed per-invocation setup that sleeps, as a network-fed broker partition would see them (Kafka's best
 * single-partition produce rate on this machine is 114-235 MiB/s); the achieved rate is printed per
 * iteration. {@code -p rateMiBps=0} appends flat out, the worst case where the writer outruns the background
 * prefill and fsync (at the time of writing that can crash the fork: see {@code LogAppendBenchmark.SustainedLog}).
 * Samples time the append only (service time): JMH excludes {@code Level.Invocation} helpers from the timed
 * region, so time spent runnable but not yet running after the pacing sleep is not counted, while a
 * preemption in the middle of an append is.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Thread)
public class LogAppendLatencyBenchmark {
    @Param({"256"})
    int rateMiBps;

    @Param({"67108864"})
    int segmentBytes;

    /** Backlog the pacing may catch up on after a late append: 1 ms. */
    static final long MAX_CATCH_UP_NANOS = 1_000_000;

    private ByteBuffer batch;
    private TrackingExecutor background;
    private Path dir;
    private Log log;

    private long intervalNanos;
    private long nextAppendNanos;
    private long appends;
    private long iterationStartNanos;

    @Setup(Level.Trial)
    public void setUpTrial() {
        batch = BenchSupport.batch16KiB();
        background = new TrackingExecutor(2);
        intervalNanos = rateMiBps == 0 ? 0 : (long) (1e9 * BenchSupport.BATCH_BYTES / (rateMiBps * 1048576.0));
    }

    @Setup(Level.Iteration)
    public void openLog() {
        dir = BenchSupport.newScratchDir("latency");
        log = Log.open(BenchSupport.TP, dir, LogConfig.DEFAULT.withSegmentBytes(segmentBytes), Clock.SYSTEM,
                background, true, 0);
        int prefix = 2 * segmentBytes / BenchSupport.BATCH_BYTES;
        for (int i = 0; i < prefix; i++) {
            log.appendAsLeader(batch, 0);
        }
        background.awaitQuiescence();
        nextAppendNanos = System.nanoTime();
        iterationStartNanos = nextAppendNanos;
        appends = 0;
    }

    /**
     * Sleeps until the next append is due. A broker's request thread sleeps between requests too, and a
     * spinning writer would only measure how often the scheduler preempts a busy thread on two cores. After
     * a late append the schedule catches up by at most {@link #MAX_CATCH_UP_NANOS} of back-to-back appends,
     * as queued requests would.
     */
    @Setup(Level.Invocation)
    public void pace() {
        if (intervalNanos == 0) {
            return;
        }
        long now = System.nanoTime();
        if (now < nextAppendNanos) {
            LockSupport.parkNanos(nextAppendNanos - now);
        }
        nextAppendNanos = Math.max(nextAppendNanos + intervalNanos, now - MAX_CATCH_UP_NANOS);
        appends++;
    }

    @Benchmark
    public LogAppendInfo append() {
        return log.appendAsLeader(batch, 0);
    }

    @TearDown(Level.Iteration)
    public void closeLog() {
        if (intervalNanos > 0) {
            double seconds = (System.nanoTime() - iterationStartNanos) / 1e9;
            System.out.printf("%n[paced] %d appends in %.2f s: %.0f MiB/s (target %d), %d segments%n", appends, seconds,
                    appends * (double) BenchSupport.BATCH_BYTES / 1048576 / seconds, rateMiBps, log.segmentCount());
        }
        log.close();
        background.awaitQuiescence();
        BenchSupport.deleteRecursively(dir);
    }

    @TearDown(Level.Trial)
    public void tearDownTrial() {
        background.close();
    }
}
