package io.sluice.client.producer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.client.errors.InterruptException;
import io.sluice.client.errors.RecordTooLargeException;
import io.sluice.client.errors.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code buffer.memory}: the bytes of batch buffers the producer may hold at once. Buffers come from Netty's pooled
 * direct allocator (so the memory itself is reused); this pool only counts them, and a sender that wants more than
 * is free waits up to {@code max.block.ms} for batches to complete: that is the producer's back-pressure.
 *
 * <p>Thread-safe: the count is guarded by a lock; waiters are woken as buffers are freed.
 */
final class BufferPool {
    private final long totalBytes;
    private final ByteBufAllocator allocator;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private long availableBytes;

    BufferPool(long totalBytes, ByteBufAllocator allocator) {
        this.totalBytes = totalBytes;
        this.availableBytes = totalBytes;
        this.allocator = allocator;
    }

    /**
     * A direct buffer of exactly {@code size} bytes capacity, waiting up to {@code maxBlockMs} for room.
     *
     * @throws RecordTooLargeException when {@code size} exceeds buffer.memory
     * @throws TimeoutException        when no room was made in time
     */
    ByteBuf allocate(int size, long maxBlockMs) {
        if (size > totalBytes) {
            throw new RecordTooLargeException("a batch of " + size + " bytes is larger than buffer.memory (" + totalBytes + ")");
        }
        lock.lock();
        try {
            long remainingNanos = TimeUnit.MILLISECONDS.toNanos(maxBlockMs);
            while (availableBytes < size) {
                if (remainingNanos <= 0) {
                    throw new TimeoutException("no room for a batch of " + size + " bytes in buffer.memory (" + totalBytes
                            + " bytes) within max.block.ms (" + maxBlockMs + " ms)");
                }
                remainingNanos = freed.awaitNanos(remainingNanos);
            }
            availableBytes -= size;
        } catch (InterruptedException e) {
            throw new InterruptException("interrupted while waiting for buffer.memory", e);
        } finally {
            lock.unlock();
        }
        try {
            return allocator.directBuffer(size, size);
        } catch (RuntimeException | Error e) {
            credit(size);
            throw e;
        }
    }

    /** Releases {@code buffer}, which {@link #allocate} returned, and gives its capacity back. */
    void free(ByteBuf buffer) {
        int size = buffer.maxCapacity();
        buffer.release();
        credit(size);
    }

    private void credit(int size) {
        lock.lock();
        try {
            availableBytes += size;
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    long availableBytes() {
        lock.lock();
        try {
            return availableBytes;
        } finally {
            lock.unlock();
        }
    }
}
