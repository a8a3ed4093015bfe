package io.sluice.broker.purgatory;

import io.netty.util.Timeout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A request parked until its condition holds or its deadline passes. Exactly one of
 * {@link #onComplete()} runs, once, on whichever thread wins: the one that found the condition true
 * (an appender, usually) or the timer thread at expiry.
 *
 * <p>Thread-safety: {@link #tryComplete()} may be called by several threads at once; implementations
 * check their condition and call {@link #forceComplete()}, which lets one caller through.
 */
public abstract class DelayedOperation {
    private final AtomicBoolean completed = new AtomicBoolean();
    private final long delayMs;
    private volatile Timeout timeout;
    private volatile Runnable onDone;

    protected DelayedOperation(long delayMs) {
        this.delayMs = delayMs;
    }

    public final long delayMs() {
        return delayMs;
    }

    /** Checks the condition and completes the operation when it holds; true when it is (now) complete. */
    public abstract boolean tryComplete();

    /** Builds and sends the answer. Runs once. */
    protected abstract void onComplete();

    /** Called before {@link #onComplete()} when the deadline passed first. */
    protected void onExpiration() {
    }

    /**
     * Called when {@link #onComplete()} threw: the operation is complete and will not be tried again, so this
     * is the last chance to answer (with an error).
     */
    protected abstract void onCompleteFailed(RuntimeException e);

    /** Completes the operation unless someone else already did; true for the caller that completed it. */
    public final boolean forceComplete() {
        if (!completed.compareAndSet(false, true)) {
            return false;
        }
        Timeout t = timeout;
        if (t != null) {
            t.cancel();
        }
        try {
            onComplete();
        } catch (RuntimeException e) {
            onCompleteFailed(e);
        } finally {
            done();
        }
        return true;
    }

    public final boolean isCompleted() {
        return completed.get();
    }

    final void timeout(Timeout timeout) {
        this.timeout = timeout;
    }

    final void expire() {
        if (completed.compareAndSet(false, true)) {
            try {
                onExpiration();
                onComplete();
            } catch (RuntimeException e) {
                onCompleteFailed(e);
            } finally {
                done();
            }
        }
    }

    /** Runs {@code listener} once the operation completes (right away if it already has). */
    final void onDone(Runnable listener) {
        onDone = listener;
        if (isCompleted()) {
            done();
        }
    }

    private void done() {
        Runnable listener = onDone;
        if (listener != null) {
            onDone = null;
            listener.run();
        }
    }
}
