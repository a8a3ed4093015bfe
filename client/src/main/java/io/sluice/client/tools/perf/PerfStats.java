package io.sluice.client.tools.perf;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Counts records and bytes and records latencies (ns, in an HdrHistogram {@link SingleWriterRecorder}: one thread
 * records) and prints progress on stderr every few seconds and the result at the end.
 *
 * <p>Thread-safety: {@link #record} from one thread at a time (the producer's I/O thread, or the polling thread);
 * progress runs on its own daemon thread and takes interval histograms under this object's monitor.
 */
final class PerfStats implements AutoCloseable {
    static final long MIB = 1L << 20;
    private static final long REPORT_INTERVAL_MS = 5000;

    private final String mode;
    private final String latencyKind;
    private final int recordSize;
    private final PrintStream err;
    private final SingleWriterRecorder recorder = new SingleWriterRecorder(TimeUnit.MINUTES.toNanos(10), 3);
    private final Histogram total = new Histogram(TimeUnit.MINUTES.toNanos(10), 3);
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final ScheduledExecutorService progress;
    private long startNanos;
    private long endNanos;
    private long lastReportNanos;
    private long lastReportRecords;
    private long lastReportBytes;

    PerfStats(String mode, String latencyKind, int recordSize, PrintStream err) {
        this.mode = mode;
        this.latencyKind = latencyKind;
        this.recordSize = recordSize;
        this.err = err;
        this.progress = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-perf-progress");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        startNanos = System.nanoTime();
        lastReportNanos = startNanos;
        progress.scheduleAtFixedRate(this::report, REPORT_INTERVAL_MS, REPORT_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /** One record (or one fetch's records) done: {@code n} records, {@code b} bytes. */
    void count(long n, long b) {
        records.addAndGet(n);
        bytes.addAndGet(b);
    }

    void recordLatency(long nanos) {
        recorder.recordValue(Math.min(Math.max(nanos, 0), TimeUnit.MINUTES.toNanos(10)));
    }

    long records() {
        return records.get();
    }

    void stop() {
        endNanos = System.nanoTime();
        progress.shutdownNow();
        synchronized (this) {
            total.add(recorder.getIntervalHistogram());
        }
    }

    private synchronized void report() {
        long now = System.nanoTime();
        Histogram interval = recorder.getIntervalHistogram();
        total.add(interval);
        long r = records.get();
        long b = bytes.get();
        double secs = (now - lastReportNanos) / 1e9;
        err.printf(Locale.ROOT, "%d records %s, %.1f records/sec (%.2f MiB/sec), %.1f ms avg latency, %.1f ms max latency.%n",
                r - lastReportRecords, mode.equals("produce") ? "sent" : "read", (r - lastReportRecords) / secs,
                (b - lastReportBytes) / (double) MIB / secs, interval.getMean() / 1e6, interval.getMaxValue() / 1e6);
        lastReportNanos = now;
        lastReportRecords = r;
        lastReportBytes = b;
    }

    private double elapsedSeconds() {
        return Math.max(endNanos - startNanos, 1) / 1e9;
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    String summary() {
        double secs = elapsedSeconds();
        long r = records.get();
        return String.format(Locale.ROOT, "%d records %s in %.2f s, %.1f records/sec (%.2f MiB/sec), latency (%s) "
                        + "p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms.",
                r, mode.equals("produce") ? "sent" : "read", secs, r / secs, bytes.get() / (double) MIB / secs,
                latencyKind, ms(total.getValueAtPercentile(50)), ms(total.getValueAtPercentile(99)),
                ms(total.getValueAtPercentile(99.9)), ms(total.getMaxValue()));
    }

    String json() {
        double secs = elapsedSeconds();
        long r = records.get();
        return String.format(Locale.ROOT, "{\"mode\":\"%s\",\"records\":%d,\"record_size\":%d,\"bytes\":%d,"
                        + "\"elapsed_s\":%.3f,\"records_per_sec\":%.1f,\"mib_per_sec\":%.3f,\"latency\":\"%s\","
                        + "\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"p99_9\":%.3f,\"max\":%.3f,\"count\":%d}}",
                mode, r, recordSize, bytes.get(), secs, r / secs, bytes.get() / (double) MIB / secs, latencyKind,
                ms(total.getValueAtPercentile(50)), ms(total.getValueAtPercentile(99)),
                ms(total.getValueAtPercentile(99.9)), ms(total.getMaxValue()), total.getTotalCount());
    }

    @Override
    public void close() {
        progress.shutdownNow();
    }
}
