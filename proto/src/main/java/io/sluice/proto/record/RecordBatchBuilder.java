package io.sluice.proto.record;

import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Builds one uncompressed, non-transactional batch in the layout drawn on {@link RecordBatch}. Records are written
 * as they are appended, after room left for the header, into a heap buffer that doubles when full; {@link #build()}
 * fills the header and the CRC. Offset deltas run 0, 1, 2, ... and timestamps are stored as deltas from the first
 * record's. Not thread-safe; single use.
 */
public final class RecordBatchBuilder {

    // The largest array size that every mainstream JVM allocates.
    private static final int MAX_CAPACITY = Integer.MAX_VALUE - 8;
    private static final int MAX_VARINT_SIZE = 5;
    private static final int MAX_VARLONG_SIZE = 10;
    private static final byte[][] NO_HEADER_KEYS = {};

    private ByteBuffer buffer;
    private long baseOffset;
    private int partitionLeaderEpoch = RecordBatch.NO_PARTITION_LEADER_EPOCH;
    private long producerId = RecordBatch.NO_PRODUCER_ID;
    private short producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
    private int baseSequence = RecordBatch.NO_SEQUENCE;
    private int recordCount;
    private long baseTimestamp;
    private long maxTimestamp;
    private boolean built;

    /** @param initialCapacity bytes to allocate up front; raised to at least {@link RecordBatch#HEADER_SIZE} */
    public RecordBatchBuilder(int initialCapacity) {
        if (initialCapacity < 0) {
            throw new IllegalArgumentException("negative initial capacity " + initialCapacity);
        }
        buffer = ByteBuffer.allocate(Math.max(initialCapacity, RecordBatch.HEADER_SIZE));
        buffer.position(RecordBatch.HEADER_SIZE);
    }

    /** An upper bound on the bytes a record takes in a batch, whatever its timestamp and position in the batch. */
    public static int estimateRecordSize(int keySize, int valueSize, Header... headers) {
        long size = MAX_VARINT_SIZE + 1 + MAX_VARLONG_SIZE + MAX_VARINT_SIZE
                + sizeOfField(keySize) + sizeOfField(valueSize) + Varint.sizeOfVarint(headers.length);
        for (Header header : headers) {
            size += sizeOfField(ByteBufUtil.utf8Bytes(header.key())) + sizeOfField(lengthOf(header.value()));
        }
        return (int) Math.min(size, Integer.MAX_VALUE);
    }

    public RecordBatchBuilder baseOffset(long baseOffset) {
        ensureOpen();
        this.baseOffset = baseOffset;
        return this;
    }

    public RecordBatchBuilder partitionLeaderEpoch(int partitionLeaderEpoch) {
        ensureOpen();
        this.partitionLeaderEpoch = partitionLeaderEpoch;
        return this;
    }

    public RecordBatchBuilder producerId(long producerId) {
        ensureOpen();
        this.producerId = producerId;
        return this;
    }

    public RecordBatchBuilder producerEpoch(short producerEpoch) {
        ensureOpen();
        this.producerEpoch = producerEpoch;
        return this;
    }

    public RecordBatchBuilder baseSequence(int baseSequence) {
        ensureOpen();
        this.baseSequence = baseSequence;
        return this;
    }

    /** Appends a record; {@code key} and {@code value} may be null. The arrays are copied now. */
    public RecordBatchBuilder append(long timestamp, byte[] key, byte[] value, Header... headers) {
        return append(timestamp, wrap(key), wrap(value), headers);
    }

    /**
     * Appends a record of the remaining bytes of {@code key} and {@code value}, either of which may be null. They
     * are copied now and their positions are left as they were.
     */
    public RecordBatchBuilder append(long timestamp, ByteBuffer key, ByteBuffer value, Header... headers) {
        ensureOpen();
        long timestampDelta = recordCount == 0 ? 0 : timestamp - baseTimestamp;
        int keySize = key == null ? -1 : key.remaining();
        int valueSize = value == null ? -1 : value.remaining();
        byte[][] headerKeys = encodeKeys(headers);
        long bodySize = 1 + Varint.sizeOfVarlong(timestampDelta) + Varint.sizeOfVarint(recordCount)
                + sizeOfField(keySize) + sizeOfField(valueSize) + Varint.sizeOfVarint(headers.length);
        for (int i = 0; i < headers.length; i++) {
            bodySize += sizeOfField(headerKeys[i].length) + sizeOfField(lengthOf(headers[i].value()));
        }
        ensureRemaining(MAX_VARINT_SIZE + bodySize);

        Varint.writeVarint((int) bodySize, buffer); // ensureRemaining has held it under MAX_CAPACITY
        buffer.put((byte) 0); // record attributes: none defined
        Varint.writeVarlong(timestampDelta, buffer);
        Varint.writeVarint(recordCount, buffer);
        writeField(key, keySize);
        writeField(value, valueSize);
        Varint.writeVarint(headers.length, buffer);
        for (int i = 0; i < headers.length; i++) {
            Varint.writeVarint(headerKeys[i].length, buffer);
            buffer.put(headerKeys[i]);
            byte[] headerValue = headers[i].value();
            Varint.writeVarint(lengthOf(headerValue), buffer);
            if (headerValue != null) {
                buffer.put(headerValue);
            }
        }
        if (recordCount == 0) {
            baseTimestamp = timestamp;
            maxTimestamp = timestamp;
        } else {
            maxTimestamp = Math.max(maxTimestamp, timestamp);
        }
        recordCount++;
        return this;
    }

    public int recordCount() {
        return recordCount;
    }

    /** The exact size of the batch {@link #build()} would return now. */
    public int sizeInBytes() {
        return buffer.position();
    }

    /**
     * Fills the header and the CRC and hands over the batch: position 0, limit its size. The builder is spent.
     *
     * @throws IllegalStateException if no record was appended, or the batch was already built
     */
    public ByteBuffer build() {
        ensureOpen();
        if (recordCount == 0) {
            throw new IllegalStateException("a batch needs at least one record");
        }
        built = true;
        int size = buffer.position();
        RecordBatch.writeHeader(buffer, size, baseOffset, partitionLeaderEpoch, recordCount, baseTimestamp,
                maxTimestamp, producerId, producerEpoch, baseSequence);
        return buffer.flip();
    }

    private void ensureOpen() {
        if (built) {
            throw new IllegalStateException("the batch was already built");
        }
    }

    private void ensureRemaining(long bytes) {
        if (bytes <= buffer.remaining()) {
            return;
        }
        long required = buffer.position() + bytes;
        if (required > MAX_CAPACITY) {
            throw new IllegalArgumentException(
                    "record does not fit: the batch would exceed " + MAX_CAPACITY + " bytes");
        }
        int capacity = (int) Math.max(required, Math.min(2L * buffer.capacity(), MAX_CAPACITY));
        buffer = ByteBuffer.allocate(capacity).put(buffer.flip());
    }

    private void writeField(ByteBuffer field, int size) {
        Varint.writeVarint(size, buffer);
        if (field != null) {
            buffer.put(buffer.position(), field, field.position(), size);
            buffer.position(buffer.position() + size);
        }
    }

    // Encoded once, so that the record length written before the headers matches the bytes written for them.
    private static byte[][] encodeKeys(Header[] headers) {
        if (headers.length == 0) {
            return NO_HEADER_KEYS;
        }
        byte[][] keys = new byte[headers.length][];
        for (int i = 0; i < headers.length; i++) {
            keys[i] = headers[i].key().getBytes(StandardCharsets.UTF_8);
        }
        return keys;
    }

    private static ByteBuffer wrap(byte[] bytes) {
        return bytes == null ? null : ByteBuffer.wrap(bytes);
    }

    private static int lengthOf(byte[] bytes) {
        return bytes == null ? -1 : bytes.length;
    }

    /** A length varint and the bytes after it; -1 stands for null and has no bytes. */
    private static long sizeOfField(int size) {
        return Varint.sizeOfVarint(size) + (long) Math.max(size, 0);
    }
}
