package io.sluice.client.tools.perf;

import java.util.concurrent.locks.LockSupport;

/**
 * Holds a sender to a target rate (records per second), as Kafka's ThroughputThrottler does: when ahead of
 * schedule it sleeps until the schedule catches up. A rate of -1 never waits. Not thread-safe.
 */
final class Throttler {
    private final long perSecond;
    private final long startNanos;

    Throttler(long perSecond, long startNanos) {
        this.perSecond = perSecond;
        this.startNanos = startNanos;
    }

    /** Waits, if needed, until record number {@code sent} (from 0) is due. */
    void await(long sent) {
        if (perSecond <= 0) {
            return;
        }
        long due = startNanos + (long) (sent * 1e9 / perSecond);
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }
}
