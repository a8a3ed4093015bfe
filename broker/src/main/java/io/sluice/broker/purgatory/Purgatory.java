package io.sluice.broker.purgatory;

import io.netty.util.Timer;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds {@link DelayedOperation}s under the keys they wait on (a partition, usually) and completes them
 * when {@link #checkAndComplete} is called for a key, or at their deadline on the shared timer.
 *
 * <p>Thread-safety: lock-free; any thread may watch and check. The race between "watch" and "the
 * condition became true" is closed the way Kafka closes it: an operation is tried once more after it is
 * watched, so a change that happened in between is never missed.
 */
public final class Purgatory<T extends DelayedOperation> {
    private static final Logger log = LoggerFactory.getLogger(Purgatory.class);

    private final String name;
    private final Timer timer;
    private final ConcurrentHashMap<Object, Queue<T>> watchers = new ConcurrentHashMap<>();
    private final AtomicInteger pending = new AtomicInteger();

    public Purgatory(String name, Timer timer) {
        this.name = name;
        this.timer = timer;
    }

    /**
     * Completes {@code op} now if it can be, else parks it under {@code keys} until it can or until its
     * delay expires. Returns true when it completed right away.
     */
    public boolean tryCompleteElseWatch(T op, List<?> keys) {
        if (op.tryComplete()) {
            return true;
        }
        pending.incrementAndGet();
        AtomicBoolean counted = new AtomicBoolean(true);
        for (Object key : keys) {
            watchers.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(op);
        }
        // However it completes, it leaves every queue it was in: an operation watching many keys must not stay
        // in the queues of the idle ones (it holds its connection) until each sees an append.
        op.onDone(() -> {
            if (counted.compareAndSet(true, false)) {
                pending.decrementAndGet();
            }
            unwatch(op, keys);
        });
        op.timeout(timer.newTimeout(t -> {
            try {
                op.expire();
            } catch (RuntimeException e) {
                log.error("{}: expiring {} failed", name, op, e);
            } finally {
                unwatch(op, keys);
            }
        }, op.delayMs(), TimeUnit.MILLISECONDS));
        // The condition may have become true between the first try and the watch: try again.
        if (op.isCompleted() || op.tryComplete()) {
            unwatch(op, keys);
            return op.isCompleted();
        }
        return false;
    }

    /** Tries every operation watching {@code key}; returns how many completed. */
    public int checkAndComplete(Object key) {
        Queue<T> ops = watchers.get(key);
        if (ops == null || ops.isEmpty()) {
            return 0;
        }
        int completed = 0;
        for (T op : ops) {
            try {
                if (op.isCompleted()) {
                    ops.remove(op);
                } else if (op.tryComplete()) {
                    ops.remove(op);
                    completed++;
                }
            } catch (RuntimeException e) {
                // One failing operation must not keep the others on this key waiting until they expire.
                log.error("{}: completing {} failed", name, op, e);
                ops.remove(op);
            }
        }
        return completed;
    }

    /** Completes every parked operation now (shutdown): each answers with what it has. */
    public void completeAll() {
        for (Queue<T> ops : watchers.values()) {
            for (T op : ops) {
                op.forceComplete();
            }
            ops.clear();
        }
    }

    /**
     * Forgets {@code key} (a deleted partition) after completing whatever waited on it. Queues of live keys
     * are kept even when empty: removing one could race with a watcher adding to it.
     */
    public void removeKey(Object key) {
        Queue<T> ops = watchers.remove(key);
        if (ops != null) {
            for (T op : ops) {
                op.forceComplete();
            }
        }
    }

    /** Operations in the queue of {@code key} (completed ones leave it). */
    int watching(Object key) {
        Queue<T> ops = watchers.get(key);
        return ops == null ? 0 : ops.size();
    }

    /** Operations parked and not yet completed or expired. */
    public int size() {
        return pending.get();
    }

    private void unwatch(T op, List<?> keys) {
        if (op.isCompleted()) {
            for (Object key : keys) {
                Queue<T> ops = watchers.get(key);
                if (ops != null) {
                    ops.remove(op);
                }
            }
        }
    }
}
