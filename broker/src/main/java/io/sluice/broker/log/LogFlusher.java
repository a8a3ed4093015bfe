package io.sluice.broker.log;

import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Background worker that flushes logs whose oldest unflushed append is older than their
 * {@code flush.interval.ms}, and periodically writes every log directory's recovery points.
 * Driven by {@link #doWork(long)}; a failure on one log is reported and the others still get flushed.
 *
 * <p>Thread-safety: {@code doWork} is called by one thread at a time (the log manager's scheduler, or a test).
 */
public final class LogFlusher {
    private static final Logger log = LoggerFactory.getLogger(LogFlusher.class);

    private final Supplier<Iterable<Log>> logs;
    private final Runnable checkpoint;
    private final long checkpointIntervalMs;
    private long lastCheckpointMs;

    LogFlusher(Supplier<Iterable<Log>> logs, Runnable checkpoint, long checkpointIntervalMs, long nowMs) {
        this.logs = logs;
        this.checkpoint = checkpoint;
        this.checkpointIntervalMs = checkpointIntervalMs;
        this.lastCheckpointMs = nowMs;
    }

    /** @return the number of logs flushed */
    public int doWork(long nowMs) {
        int flushed = 0;
        for (Log l : logs.get()) {
            try {
                if (l.maybeFlush(nowMs)) {
                    flushed++;
                }
            } catch (RuntimeException e) {
                log.error("{}: flush failed; will retry at the next interval", l.topicPartition(), e);
            }
        }
        if (nowMs - lastCheckpointMs >= checkpointIntervalMs) {
            try {
                checkpoint.run();
                lastCheckpointMs = nowMs;
            } catch (RuntimeException e) {
                log.error("writing recovery points failed; will retry", e);
            }
        }
        return flushed;
    }
}
