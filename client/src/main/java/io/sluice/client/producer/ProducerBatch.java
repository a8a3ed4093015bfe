package io.sluice.client.producer;

import io.netty.buffer.ByteBuf;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.Header;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.Varint;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition's batch: records are written straight into a pooled direct buffer in the RecordBatch v2 layout
 * (drawn on {@link RecordBatch}), after room left for the 61-byte header; {@link #seal} fills the header, the
 * producer id, epoch and base sequence, and computes the CRC32C once. From then on the bytes never change, so a
 * retry resends exactly them.
 *
 * <p>Thread-safety: until it is drained, appends happen under its {@link PartitionDeque}'s lock; after that the
 * batch belongs to the sender's event loop.
 */
final class ProducerBatch {
    private static final Logger log = LoggerFactory.getLogger(ProducerBatch.class);
    // length varint 5, attributes 1, timestampDelta 10, offsetDelta 5, key and value length varints 5 + 5, count 5
    private static final int MAX_RECORD_OVERHEAD = 5 + 1 + 10 + 5 + 5 + 5 + 5;

    final TopicPartition partition;
    final long createdNanos;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    private final ByteBuf buffer;
    /**
     * The same memory as {@code buffer}, written record by record with its position: a plain ByteBuffer
     * write skips the per-call checks of the ByteBuf API (and the per-access tracking of a leak-aware one).
     */
    private final ByteBuffer out;
    private final int capacity;

    // Appends (under the deque's lock).
    private int recordCount;
    private long baseTimestamp;
    private long maxTimestamp;
    private Object[] thunks = new Object[16];
    private long[] timestamps = new long[16];
    boolean closedForAppends;

    // The sender's (event loop).
    int baseSequence = RecordBatch.NO_SEQUENCE;
    int attempts;
    /** Some attempt failed without the broker saying it was not written (a timeout, a lost connection): sender's. */
    boolean maybeWritten;
    long retryAfterNanos;
    RuntimeException lastError;
    private boolean sealed;
    private boolean completed;

    ProducerBatch(TopicPartition partition, ByteBuf buffer, long createdNanos) {
        this.partition = partition;
        this.buffer = buffer;
        this.capacity = buffer.maxCapacity();
        this.createdNanos = createdNanos;
        buffer.capacity(capacity);
        this.out = buffer.nioBuffer(0, capacity);
        out.position(RecordBatch.HEADER_SIZE);
        buffer.writerIndex(RecordBatch.HEADER_SIZE);
    }

    /** An upper bound on the bytes one record takes in a batch. */
    static int estimateSize(byte[] key, byte[] value, Header[] headers) {
        long size = MAX_RECORD_OVERHEAD + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        if (headers != null) {
            for (Header h : headers) {
                size += 10 + 3L * h.key().length() + (h.value() == null ? 0 : h.value().length);
            }
        }
        return (int) Math.min(size, Integer.MAX_VALUE - RecordBatch.HEADER_SIZE);
    }

    /**
     * Appends a record if it fits (the first record always does: the buffer was sized for it).
     *
     * @param thunk a {@code CompletableFuture<RecordMetadata>}, a {@link Callback}, or null
     * @return false when the batch is full
     */
    boolean tryAppend(long timestamp, byte[] key, byte[] value, Header[] headers, Object thunk) {
        if (closedForAppends) {
            return false;
        }
        long timestampDelta = recordCount == 0 ? 0 : timestamp - baseTimestamp;
        int keySize = key == null ? -1 : key.length;
        int valueSize = value == null ? -1 : value.length;
        byte[][] headerKeys = null;
        int headerCount = headers == null ? 0 : headers.length;
        long bodySize = 1 + Varint.sizeOfVarlong(timestampDelta) + Varint.sizeOfVarint(recordCount)
                + Varint.sizeOfVarint(keySize) + Math.max(keySize, 0)
                + Varint.sizeOfVarint(valueSize) + Math.max(valueSize, 0) + Varint.sizeOfVarint(headerCount);
        if (headerCount > 0) {
            headerKeys = new byte[headerCount][];
            for (int i = 0; i < headerCount; i++) {
                headerKeys[i] = headers[i].key().getBytes(StandardCharsets.UTF_8);
                int hv = headers[i].value() == null ? -1 : headers[i].value().length;
                bodySize += Varint.sizeOfVarint(headerKeys[i].length) + headerKeys[i].length
                        + Varint.sizeOfVarint(hv) + Math.max(hv, 0);
            }
        }
        long total = Varint.sizeOfVarint((int) bodySize) + bodySize;
        if (out.position() + total > capacity) {
            if (recordCount > 0) {
                closedForAppends = true;
                return false;
            }
            throw new IllegalStateException("a batch buffer of " + capacity + " bytes cannot hold its first record of "
                    + total + " bytes");
        }
        ByteBuffer out = this.out;
        Varint.writeVarint((int) bodySize, out);
        out.put((byte) 0);
        Varint.writeVarlong(timestampDelta, out);
        Varint.writeVarint(recordCount, out);
        Varint.writeVarint(keySize, out);
        if (key != null) {
            out.put(key);
        }
        Varint.writeVarint(valueSize, out);
        if (value != null) {
            out.put(value);
        }
        Varint.writeVarint(headerCount, out);
        for (int i = 0; i < headerCount; i++) {
            Varint.writeVarint(headerKeys[i].length, out);
            out.put(headerKeys[i]);
            byte[] hv = headers[i].value();
            Varint.writeVarint(hv == null ? -1 : hv.length, out);
            if (hv != null) {
                out.put(hv);
            }
        }
        if (recordCount == 0) {
            baseTimestamp = timestamp;
            maxTimestamp = timestamp;
        } else if (timestamp > maxTimestamp) {
            maxTimestamp = timestamp;
        }
        if (recordCount == thunks.length) {
            thunks = Arrays.copyOf(thunks, recordCount * 2);
            timestamps = Arrays.copyOf(timestamps, recordCount * 2);
        }
        thunks[recordCount] = thunk;
        timestamps[recordCount] = timestamp;
        recordCount++;
        if (capacity - out.position() < MAX_RECORD_OVERHEAD) {
            closedForAppends = true;
        }
        return true;
    }

    int recordCount() {
        return recordCount;
    }

    int sizeInBytes() {
        return out.position();
    }

    boolean isSealed() {
        return sealed;
    }

    /**
     * Fills the header and computes the CRC32C over bytes 21..end, once. Appends must be over (the batch was taken
     * off its deque).
     */
    void seal(long producerId, short producerEpoch, int baseSequence) {
        if (sealed) {
            throw new IllegalStateException("batch of " + partition + " sealed twice");
        }
        sealed = true;
        this.baseSequence = baseSequence;
        int size = out.position();
        buffer.writerIndex(size);
        // Through the same memory as the records ('out' spans the whole buffer from index 0).
        RecordBatch.writeHeader(out, size, 0L, RecordBatch.NO_PARTITION_LEADER_EPOCH, recordCount, baseTimestamp,
                maxTimestamp, producerId, producerEpoch, baseSequence);
    }

    /** A new reference to the sealed bytes, for one send; the transport releases it. */
    ByteBuf retainedBytes() {
        return buffer.retainedDuplicate();
    }

    /** The buffer itself, for the pool to free once the batch is done. */
    ByteBuf buffer() {
        return buffer;
    }

    boolean isCompleted() {
        return completed;
    }

    /** Acknowledges every record: offsets from {@code baseOffset} (or -1), the broker's time under log-append time. */
    void complete(long baseOffset, long logAppendTime) {
        if (completed) {
            return;
        }
        completed = true;
        for (int i = 0; i < recordCount; i++) {
            Object thunk = thunks[i];
            thunks[i] = null;
            if (thunk == null) {
                continue;
            }
            long ts = logAppendTime >= 0 ? logAppendTime : timestamps[i];
            RecordMetadata metadata = new RecordMetadata(partition.topic(), partition.partition(),
                    baseOffset < 0 ? -1 : baseOffset + i, ts);
            deliver(thunk, metadata, null);
        }
        done.complete(null);
    }

    /** Fails every record with {@code error}. */
    void fail(RuntimeException error) {
        if (completed) {
            return;
        }
        completed = true;
        for (int i = 0; i < recordCount; i++) {
            Object thunk = thunks[i];
            thunks[i] = null;
            if (thunk != null) {
                deliver(thunk, null, error);
            }
        }
        done.complete(null);
    }

    @SuppressWarnings("unchecked")
    private void deliver(Object thunk, RecordMetadata metadata, RuntimeException error) {
        try {
            if (thunk instanceof Callback cb) {
                cb.onCompletion(metadata, error);
            } else if (error == null) {
                ((CompletableFuture<RecordMetadata>) thunk).complete(metadata);
            } else {
                ((CompletableFuture<RecordMetadata>) thunk).completeExceptionally(error);
            }
        } catch (RuntimeException e) {
            log.warn("a send callback for {} threw; the producer carries on", partition, e);
        }
    }

    @Override
    public String toString() {
        return "ProducerBatch(" + partition + ", records " + recordCount + ", bytes " + buffer.writerIndex()
                + ", sequence " + baseSequence + ", attempts " + attempts + ")";
    }
}
