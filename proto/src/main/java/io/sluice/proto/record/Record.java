package io.sluice.proto.record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One record of a {@link RecordBatch}, read in place: key and value are slices of the batch's bytes, never copies.
 * An immutable view, valid as long as the batch's bytes are. On the wire (Kafka's Record v2):
 *
 * <pre>
 *   length          varint   bytes after this field
 *   attributes      int8     unused
 *   timestampDelta  varlong  from the batch's baseTimestamp
 *   offsetDelta     varint   from the batch's baseOffset
 *   keyLength       varint   -1 for a null key
 *   key             bytes
 *   valueLength     varint   -1 for a null value
 *   value           bytes
 *   headerCount     varint
 *   headers         headerCount times: keyLength varint (>= 0), key UTF-8, valueLength varint (-1 = null), value
 * </pre>
 *
 * All varints are zig-zag encoded, see {@link Varint}.
 */
public final class Record {

    private static final Header[] NO_HEADERS = {};

    private final ByteBuffer buffer;
    private final long offset;
    private final long timestamp;
    private final int offsetDelta;
    private final int sizeInBytes;
    private final int keyPosition;
    private final int keySize;
    private final int valuePosition;
    private final int valueSize;
    private final int headersPosition;
    private final int headerCount;

    /** The record {@code framing} has just read, over the batch's {@code buffer} (absolute indexes only). */
    Record(ByteBuffer buffer, long offset, long timestamp, RecordCursor framing) {
        this.buffer = buffer;
        this.offset = offset;
        this.timestamp = timestamp;
        this.offsetDelta = framing.offsetDelta();
        this.sizeInBytes = framing.sizeInBytes();
        this.keyPosition = framing.keyPosition();
        this.keySize = framing.keySize();
        this.valuePosition = framing.valuePosition();
        this.valueSize = framing.valueSize();
        this.headersPosition = framing.headersPosition();
        this.headerCount = framing.headerCount();
    }

    /** The batch's baseOffset plus this record's offsetDelta. */
    public long offset() {
        return offset;
    }

    /** The batch's baseTimestamp plus this record's timestampDelta; under log-append time, the batch's maxTimestamp. */
    public long timestamp() {
        return timestamp;
    }

    public int offsetDelta() {
        return offsetDelta;
    }

    /** The bytes this record takes in its batch, its length varint included. */
    public int sizeInBytes() {
        return sizeInBytes;
    }

    public boolean hasKey() {
        return keySize >= 0;
    }

    /** The key's length, or -1 for a null key. */
    public int keySize() {
        return keySize;
    }

    /** The value's length, or -1 for a null value. */
    public int valueSize() {
        return valueSize;
    }

    /** A new slice over the key's bytes, position 0, or null for a null key. */
    public ByteBuffer key() {
        return keySize < 0 ? null : buffer.slice(keyPosition, keySize);
    }

    /** A new slice over the value's bytes, position 0, or null for a null value. */
    public ByteBuffer value() {
        return valueSize < 0 ? null : buffer.slice(valuePosition, valueSize);
    }

    /** The headers, decoded (and copied) on each call; their framing was checked when the record was read. */
    public Header[] headers() {
        if (headerCount == 0) {
            return NO_HEADERS;
        }
        ByteBuffer in = buffer.duplicate().position(headersPosition);
        Header[] headers = new Header[headerCount];
        for (int i = 0; i < headerCount; i++) {
            byte[] key = new byte[Varint.readVarint(in)];
            in.get(key);
            int valueLength = Varint.readVarint(in);
            byte[] value = null;
            if (valueLength >= 0) {
                value = new byte[valueLength];
                in.get(value);
            }
            headers[i] = new Header(new String(key, StandardCharsets.UTF_8), value);
        }
        return headers;
    }

    @Override
    public String toString() {
        return "Record(offset=" + offset + ", timestamp=" + timestamp + ", keySize=" + keySize
                + ", valueSize=" + valueSize + ", headers=" + headerCount + ")";
    }
}
