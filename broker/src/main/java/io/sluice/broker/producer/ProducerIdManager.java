package io.sluice.broker.producer;

import io.sluice.broker.metadata.MetadataStore;
import java.util.concurrent.CompletableFuture;

/**
 * Hands out producer ids for {@code InitProducerId}, from blocks reserved through
 * {@link MetadataStore#allocateProducerIds}: one metadata write per block, not per producer, and an id is never
 * handed out twice (ids left in a block when the broker stops are simply never used).
 *
 * <p>Thread-safety: thread-safe; the current block and the pending reservation are guarded by {@code this}. A call
 * never blocks: when the block is used up it returns a future that completes once the next block is reserved.
 */
public final class ProducerIdManager {
    /** Kafka's block size. */
    public static final int DEFAULT_BLOCK_SIZE = 1000;

    private final MetadataStore metadata;
    private final int blockSize;
    private long next;
    private long end; // exclusive; next == end means no ids left
    private CompletableFuture<Void> reserving;

    public ProducerIdManager(MetadataStore metadata, int blockSize) {
        if (blockSize < 1) {
            throw new IllegalArgumentException("producer id block size " + blockSize + " must be positive");
        }
        this.metadata = metadata;
        this.blockSize = blockSize;
    }

    /** A producer id never handed out before. */
    public CompletableFuture<Long> nextProducerId() {
        CompletableFuture<Void> wait;
        synchronized (this) {
            if (next < end) {
                return CompletableFuture.completedFuture(next++);
            }
            wait = reserving;
            if (wait == null) {
                CompletableFuture<Void> reserved = new CompletableFuture<>();
                reserving = reserved;
                wait = reserved;
                // The block is installed before 'reserved' completes, so every waiter finds it.
                metadata.allocateProducerIds(blockSize).whenComplete((first, e) -> {
                    synchronized (this) {
                        reserving = null;
                        if (e == null) {
                            next = first;
                            end = first + blockSize;
                        }
                    }
                    if (e == null) {
                        reserved.complete(null);
                    } else {
                        reserved.completeExceptionally(e);
                    }
                });
            }
        }
        // Callers that queued behind a reservation take ids from the new block (or trigger the next one).
        return wait.thenCompose(v -> nextProducerId());
    }

    /**
     * The answer to {@code InitProducerId} for an idempotent (non-transactional) producer: always a fresh id at
     * epoch 0, as Kafka does, whatever id and epoch the request carries. A producer that lost its state (say, after
     * {@code UNKNOWN_PRODUCER_ID}) starts over under a new id.
     */
    public CompletableFuture<ProducerIdAndEpoch> initProducerId() {
        return nextProducerId().thenApply(id -> new ProducerIdAndEpoch(id, (short) 0));
    }

    /** A producer's identity as {@code InitProducerId} answers it. */
    public record ProducerIdAndEpoch(long producerId, short epoch) {
    }
}
