package io.sluice.bench;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The log's background executor for benchmarks: a small fixed pool of daemon threads (as the brief's
 * {@code Executors.newFixedThreadPool(2)}) that also counts tasks submitted but not finished, so that a
 * setup can wait until the log's background work (page prefill, next-segment preparation, seal and flush
 * after a roll) is done before the clock starts, and a teardown before files are deleted.
 *
 * <p>A {@code CompletableFuture} stage submits its dependants from inside the finishing task, so the
 * count never drops to zero while a chain of seals is still under way.
 */
final class TrackingExecutor implements Executor, AutoCloseable {
    private final ThreadPoolExecutor pool;
    private final AtomicInteger pending = new AtomicInteger();

    TrackingExecutor(int threads) {
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "sluice-bench-background-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void execute(Runnable task) {
        pending.incrementAndGet();
        try {
            pool.execute(() -> {
                try {
                    task.run();
                } finally {
                    pending.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            pending.decrementAndGet();
            throw e;
        }
    }

    /** Waits until no submitted task is queued or running. */
    void awaitQuiescence() {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (pending.get() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("background work still pending after 5 minutes: " + pending.get());
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public void close() {
        pool.shutdown();
        try {
            pool.awaitTermination(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
