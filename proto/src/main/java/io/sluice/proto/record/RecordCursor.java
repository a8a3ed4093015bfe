package io.sluice.proto.record;

import io.sluice.proto.record.CorruptRecordException.Reason;
import java.nio.ByteBuffer;

/**
 * Walks the framing of the records of one batch, one record per {@link #next(int)} (the layout is drawn on
 * {@link Record}), and keeps where the fields of the last record lie. Reused from record to record, so a walk
 * allocates nothing. Not thread-safe.
 */
final class RecordCursor {

    // attributes, then one-byte varints for timestampDelta, offsetDelta, keyLength, valueLength and headerCount
    private static final int MIN_BODY_SIZE = 6;

    private final RecordBatch batch;
    // Its own duplicate: the position walks the records and the limit fences the current one, so a field that
    // overruns its record fails there instead of reading into the next.
    private final ByteBuffer buffer;
    private final int batchEnd;

    private int index;
    private int start;
    private long timestampDelta;
    private int offsetDelta;
    private int keyPosition;
    private int keySize;
    private int valuePosition;
    private int valueSize;
    private int headersPosition;
    private int headerCount;

    RecordCursor(RecordBatch batch) {
        this.batch = batch;
        this.batchEnd = batch.position() + batch.sizeInBytes();
        this.buffer = batch.buffer().duplicate()
                .limit(batchEnd)
                .position(batch.position() + RecordBatch.RECORDS_OFFSET);
    }

    boolean hasRemaining() {
        return buffer.hasRemaining();
    }

    /**
     * Reads the framing of the record at the current position, record number {@code index} of the batch, and
     * moves past it.
     *
     * @throws CorruptRecordException ({@code BAD_RECORD}) if the record is malformed or overruns the batch
     */
    void next(int index) {
        this.index = index;
        start = buffer.position();
        int bodySize = readVarint("length");
        int bodyStart = buffer.position();
        if (bodySize < MIN_BODY_SIZE || bodySize > batchEnd - bodyStart) {
            throw corrupt("length " + bodySize + ", expected between " + MIN_BODY_SIZE + " and "
                    + (batchEnd - bodyStart) + ", the bytes left in the batch");
        }
        buffer.limit(bodyStart + bodySize);
        buffer.get(); // attributes: no record-level attribute is defined in v2
        timestampDelta = readVarlong("timestampDelta");
        offsetDelta = readVarint("offsetDelta");
        keySize = readVarint("keyLength");
        keyPosition = skip(keySize, -1, "key");
        valueSize = readVarint("valueLength");
        valuePosition = skip(valueSize, -1, "value");
        headerCount = readVarint("headerCount");
        if (headerCount < 0) {
            throw corrupt("negative headerCount " + headerCount);
        }
        headersPosition = buffer.position();
        for (int i = 0; i < headerCount; i++) {
            skip(readVarint("header keyLength"), 0, "header key");
            skip(readVarint("header valueLength"), -1, "header value");
        }
        if (buffer.hasRemaining()) {
            throw corrupt("length " + bodySize + " but its fields end " + buffer.remaining() + " bytes earlier");
        }
        buffer.limit(batchEnd);
    }

    int position() {
        return buffer.position();
    }

    int start() {
        return start;
    }

    int sizeInBytes() {
        return buffer.position() - start;
    }

    long timestampDelta() {
        return timestampDelta;
    }

    int offsetDelta() {
        return offsetDelta;
    }

    int keyPosition() {
        return keyPosition;
    }

    int keySize() {
        return keySize;
    }

    int valuePosition() {
        return valuePosition;
    }

    int valueSize() {
        return valueSize;
    }

    int headersPosition() {
        return headersPosition;
    }

    int headerCount() {
        return headerCount;
    }

    /** Moves past a field of {@code size} bytes ({@code min} is -1 where null is allowed), returns where it starts. */
    private int skip(int size, int min, String field) {
        int at = buffer.position();
        if (size < min || size > buffer.remaining()) {
            throw corrupt(field + " length " + size + ", expected between " + min + " and " + buffer.remaining()
                    + ", the bytes left in the record");
        }
        buffer.position(at + Math.max(size, 0));
        return at;
    }

    private int readVarint(String field) {
        try {
            return Varint.readVarint(buffer);
        } catch (CorruptRecordException e) {
            throw corrupt("bad " + field + ": " + e.getMessage(), e);
        }
    }

    private long readVarlong(String field) {
        try {
            return Varint.readVarlong(buffer);
        } catch (CorruptRecordException e) {
            throw corrupt("bad " + field + ": " + e.getMessage(), e);
        }
    }

    private CorruptRecordException corrupt(String problem) {
        return batch.corrupt(Reason.BAD_RECORD, "record " + index + " at position " + start + ": " + problem);
    }

    private CorruptRecordException corrupt(String problem, Throwable cause) {
        return batch.corrupt(Reason.BAD_RECORD, "record " + index + " at position " + start + ": " + problem, cause);
    }
}
