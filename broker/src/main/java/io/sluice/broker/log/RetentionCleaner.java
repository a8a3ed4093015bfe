package io.sluice.broker.log;

import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Background worker that deletes the segments every log's {@code retention.ms} and
 * {@code retention.bytes} no longer allow, and unmaps the indexes of sealed segments nobody has read
 * since its previous pass. Driven by {@link #doWork(long)}; a failure on one log is
 * reported and the others are still cleaned.
 *
 * <p>Thread-safety: {@code doWork} is called by one thread at a time.
 */
public final class RetentionCleaner {
    private static final Logger log = LoggerFactory.getLogger(RetentionCleaner.class);

    private final Supplier<Iterable<Log>> logs;

    RetentionCleaner(Supplier<Iterable<Log>> logs) {
        this.logs = logs;
    }

    /** @return the number of segments deleted */
    public int doWork(long nowMs) {
        int deleted = 0;
        for (Log l : logs.get()) {
            try {
                deleted += l.deleteRetainedSegments(nowMs);
                l.unmapIdleIndexes();
            } catch (IllegalStateException closed) {
                // Deleted or closed since the list was taken.
            } catch (RuntimeException e) {
                log.error("{}: retention failed; will retry at the next check", l.topicPartition(), e);
            }
        }
        return deleted;
    }
}
