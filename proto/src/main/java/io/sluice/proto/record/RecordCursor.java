package io.sluice.proto.record;

import io.sluice.proto.record.CorruptRecordException.Reason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Walks the framing of the records of one batch, one record per {@link #next(int)} (the layout is drawn on
 * {@link Record}), and keeps where the fields of the last record lie. Reused from record to record, so a walk
 * allocates nothing. Not thread-safe.
 *
 * <p>The checks live in one place, {@link #frame}, which {@link RecordBatch#validate()} also runs through
 * {@link #validateRecords} without a cursor at all. It reads with absolute indexes and a local index, never moving
 * a buffer's position or limit: from the backing array when the batch's buffer has an accessible one, otherwise
 * (direct, mapped or read-only buffers) with absolute {@code get}s. Every read is fenced by the end of the record
 * it belongs to (the length varint by the end of the batch), and the record by the end of the batch, which
 * {@link RecordBatch#at} checked against the buffer's limit; so a field that overruns its record fails there
 * instead of reading into the next.
 */
final class RecordCursor {

    // attributes, then one-byte varints for timestampDelta, offsetDelta, keyLength, valueLength and headerCount
    private static final int MIN_BODY_SIZE = 6;
    private static final int MAX_VARINT_BYTES = 5;
    private static final int MAX_VARLONG_BYTES = 10;
    /** What the fast varint readers return for a varint that runs past its fence or past its maximum size. */
    private static final int BAD_VARINT = -1;
    private static final VarHandle LONG_BIG_ENDIAN = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.BIG_ENDIAN);

    private final RecordBatch batch;
    private final ByteBuffer buffer;
    private final byte[] array;
    private final int arrayOffset;
    private final int batchEnd;

    private int position;
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
        this.buffer = batch.buffer();
        this.array = batch.array();
        this.arrayOffset = batch.arrayOffset();
        this.batchEnd = batch.position() + batch.sizeInBytes();
        this.position = batch.position() + RecordBatch.RECORDS_OFFSET;
    }

    boolean hasRemaining() {
        return position < batchEnd;
    }

    /**
     * Reads the framing of the record at the current position, record number {@code index} of the batch, and
     * moves past it.
     *
     * @throws CorruptRecordException ({@code BAD_RECORD}) if the record is malformed or overruns the batch
     */
    void next(int index) {
        int at = position;
        long framed = frame(batch, buffer, array, arrayOffset, at, batchEnd, index, this);
        start = at;
        position = (int) (framed >>> 32);
        offsetDelta = (int) framed;
    }

    /**
     * The framing walk of {@link RecordBatch#validate()}: every record from the first to the end of the batch, each
     * of whose offsetDelta must equal its index. Allocates nothing unless it throws.
     *
     * <p>It accepts and rejects exactly what {@link #frame} does, but is laid out for speed: runs of records of the
     * common shape go through {@link #commonRun}, any other record on its own, where the next record
     * starts depends only on this record's length varint, and the rest of the record's checks ({@link #fieldsFit})
     * only decide a branch, so the processor can check one record while it already reads the next. Walking
     * through {@link #frame} instead chains every field of every record into one serial dependency (its result
     * packs the record's end with its offsetDelta), which made the walk cost more than the CRC of the batch. A
     * record that fails the fast check goes through {@link #frame}, which names what is wrong.
     *
     * @return the number of records the batch's bytes hold
     * @throws CorruptRecordException ({@code BAD_RECORD}) if a record is malformed, overruns the batch, or has an
     *                                offsetDelta out of sequence
     */
    static int validateRecords(RecordBatch batch) {
        ByteBuffer buffer = batch.buffer();
        byte[] array = batch.array();
        int arrayOffset = batch.arrayOffset();
        int batchEnd = batch.position() + batch.sizeInBytes();
        int at = batch.position() + RecordBatch.RECORDS_OFFSET;
        int found = 0;
        while (at < batchEnd) {
            long run = commonRun(buffer, array, arrayOffset, at, batchEnd, found);
            at = (int) (run >>> 32);
            found += (int) run;
            if (at >= batchEnd) {
                break;
            }
            long read = readVarint(buffer, array, arrayOffset, at, batchEnd);
            int bodyAt = (int) (read >>> 32);
            int bodySize = (int) read;
            int end = bodyAt + bodySize;
            if (read < 0 || bodySize < MIN_BODY_SIZE || bodySize > batchEnd - bodyAt
                    || !fieldsFit(buffer, array, arrayOffset, bodyAt + 1, end, found)) {
                long framed = frame(batch, buffer, array, arrayOffset, at, batchEnd, found, null);
                if ((int) framed != found) {
                    throw badOffsetDelta(batch, found, at, (int) framed);
                }
                end = (int) (framed >>> 32); // not reached: fieldsFit accepts what frame accepts
            }
            at = end;
            found++;
        }
        return found;
    }

    /**
     * The fast path of the walk: from {@code at} on, every record of the shape producers write, until one is not
     * (the general walk then takes that one). The shape: a length of at most three bytes, a timestampDelta of at
     * most two (within 8 s of the batch's first timestamp), an offsetDelta of at most two (below record 8192), a
     * keyLength of one byte, together at most eight bytes, which are read in one load and taken apart in
     * registers; then a valueLength of at most three bytes, and no headers. The loop calls nothing that is not
     * inlined. Checked field by field through {@link #fieldsFit} alone, the framing of a 16 KiB batch of 1 KiB
     * records cost about as much as its CRC32C, and of 100-byte records eight times as much. Accepts only what
     * {@link #frame} accepts; stops (without deciding) at anything else, including a record that a field read
     * past its end would misjudge.
     *
     * @param index the number of the record at {@code at}
     * @return where it stopped in the high 32 bits, the number of records it walked in the low 32
     */
    private static long commonRun(ByteBuffer buffer, byte[] array, int arrayOffset, int at, int batchEnd,
                                  int index) {
        int first = index;
        while (batchEnd - at >= Long.BYTES) {
            long word = wordAt(buffer, array, arrayOffset, at);
            int k = 1;
            int raw = byteOf(word, 0); // length
            if (raw >= 0x80) {
                int b = byteOf(word, k++);
                raw = (raw & 0x7f) | (b & 0x7f) << 7;
                if (b >= 0x80) {
                    b = byteOf(word, k++);
                    if (b >= 0x80) {
                        break;
                    }
                    raw |= b << 14;
                }
            }
            int bodySize = (raw >>> 1) ^ -(raw & 1);
            if (bodySize < MIN_BODY_SIZE || bodySize > batchEnd - at - k) {
                break;
            }
            int end = at + k + bodySize;
            k++; // attributes
            if (byteOf(word, k++) >= 0x80 && byteOf(word, k++) >= 0x80) { // timestampDelta
                break;
            }
            int zigZag = index << 1; // offsetDelta, in the shortest encoding
            if (zigZag < 0x80) {
                if (byteOf(word, k++) != zigZag) {
                    break;
                }
            } else if (zigZag >= 1 << 14 || byteOf(word, k++) != (zigZag & 0x7f | 0x80)
                    || byteOf(word, k++) != zigZag >>> 7 || k == Long.BYTES) {
                break;
            }
            int keyLength = byteOf(word, k++);
            int keySize = (keyLength >>> 1) ^ -(keyLength & 1);
            int p = at + k;
            // Also fails when the fields read so far ran past the record's end.
            if (keyLength >= 0x80 || keySize < -1 || keySize > end - p) {
                break;
            }
            p += Math.max(keySize, 0);
            if (end - p < 2) { // a valueLength and a headerCount at least
                break;
            }
            int b = byteAt(buffer, array, arrayOffset, p++); // valueLength
            raw = b & 0x7f;
            if (b < 0) {
                b = byteAt(buffer, array, arrayOffset, p++);
                raw |= (b & 0x7f) << 7;
                if (b < 0) {
                    if (p >= end) {
                        break;
                    }
                    b = byteAt(buffer, array, arrayOffset, p++);
                    if (b < 0) {
                        break;
                    }
                    raw |= b << 14;
                }
            }
            int valueSize = (raw >>> 1) ^ -(raw & 1);
            // The headerCount 0 must be the record's last byte, right after the value.
            if (valueSize < -1 || Math.max(valueSize, 0) != end - 1 - p
                    || byteAt(buffer, array, arrayOffset, end - 1) != 0) {
                break;
            }
            at = end;
            index++;
        }
        return ((long) at << 32) | (index - first);
    }

    /** Byte {@code k} (0 to 7) of a big-endian word, unsigned. */
    private static int byteOf(long word, int k) {
        return (int) (word >>> (56 - 8 * k)) & 0xff;
    }

    private static long wordAt(ByteBuffer buffer, byte[] array, int arrayOffset, int index) {
        return array != null ? (long) LONG_BIG_ENDIAN.get(array, arrayOffset + index) : buffer.getLong(index);
    }

    /**
     * Whether the fields of record number {@code index}, from {@code at} (just after its attributes byte) to its
     * {@code end}, pass every check of {@link #frame}, and its offsetDelta is {@code index}. The same checks in the
     * same order, answering false where {@link #frame} throws.
     */
    private static boolean fieldsFit(ByteBuffer buffer, byte[] array, int arrayOffset, int at, int end, int index) {
        at = skipVarlong(buffer, array, arrayOffset, at, end); // timestampDelta
        if (at < 0) {
            return false;
        }
        long read = readVarint(buffer, array, arrayOffset, at, end); // offsetDelta
        if (read < 0 || (int) read != index) {
            return false;
        }
        read = readVarint(buffer, array, arrayOffset, (int) (read >>> 32), end); // keyLength
        if (read < 0) {
            return false;
        }
        int size = (int) read;
        at = (int) (read >>> 32);
        if (size < -1 || size > end - at) {
            return false;
        }
        read = readVarint(buffer, array, arrayOffset, at + Math.max(size, 0), end); // valueLength
        if (read < 0) {
            return false;
        }
        size = (int) read;
        at = (int) (read >>> 32);
        if (size < -1 || size > end - at) {
            return false;
        }
        read = readVarint(buffer, array, arrayOffset, at + Math.max(size, 0), end); // headerCount
        if (read < 0) {
            return false;
        }
        int headerCount = (int) read;
        at = (int) (read >>> 32);
        if (headerCount < 0) {
            return false;
        }
        for (int i = 0; i < headerCount; i++) {
            read = readVarint(buffer, array, arrayOffset, at, end);
            if (read < 0) {
                return false;
            }
            size = (int) read;
            at = (int) (read >>> 32);
            if (size < 0 || size > end - at) {
                return false;
            }
            read = readVarint(buffer, array, arrayOffset, at + size, end);
            if (read < 0) {
                return false;
            }
            size = (int) read;
            at = (int) (read >>> 32);
            if (size < -1 || size > end - at) {
                return false;
            }
            at += Math.max(size, 0);
        }
        return at == end;
    }

    /**
     * Checks the framing of record number {@code index}, which starts at {@code start} in a batch ending at
     * {@code batchEnd}, and stores where its fields lie in {@code into} unless that is null.
     *
     * @return the record's end (the next record's start) in the high 32 bits, its offsetDelta in the low 32
     */
    private static long frame(RecordBatch batch, ByteBuffer buffer, byte[] array, int arrayOffset,
                              int start, int batchEnd, int index, RecordCursor into) {
        long read = readVarint(buffer, array, arrayOffset, start, batchEnd);
        if (read < 0) {
            throw badVarint(batch, index, start, "length", start, batchEnd, false);
        }
        int bodySize = (int) read;
        int at = (int) (read >>> 32);
        if (bodySize < MIN_BODY_SIZE || bodySize > batchEnd - at) {
            throw badRecord(batch, index, start, "length " + bodySize + ", expected between " + MIN_BODY_SIZE
                    + " and " + (batchEnd - at) + ", the bytes left in the batch");
        }
        // From here on every read is fenced by the record's end, which lies within the batch.
        int end = at + bodySize;
        at++; // attributes: no record-level attribute is defined in v2, and bodySize >= 1 covers the byte

        int timestampAt = at;
        at = skipVarlong(buffer, array, arrayOffset, at, end);
        if (at < 0) {
            throw badVarint(batch, index, start, "timestampDelta", timestampAt, end, true);
        }

        read = readVarint(buffer, array, arrayOffset, at, end);
        if (read < 0) {
            throw badVarint(batch, index, start, "offsetDelta", at, end, false);
        }
        int offsetDelta = (int) read;
        at = (int) (read >>> 32);

        read = readVarint(buffer, array, arrayOffset, at, end);
        if (read < 0) {
            throw badVarint(batch, index, start, "keyLength", at, end, false);
        }
        int keySize = (int) read;
        int keyAt = (int) (read >>> 32);
        if (keySize < -1 || keySize > end - keyAt) {
            throw badField(batch, index, start, "key", keySize, -1, end - keyAt);
        }
        at = keyAt + Math.max(keySize, 0);

        read = readVarint(buffer, array, arrayOffset, at, end);
        if (read < 0) {
            throw badVarint(batch, index, start, "valueLength", at, end, false);
        }
        int valueSize = (int) read;
        int valueAt = (int) (read >>> 32);
        if (valueSize < -1 || valueSize > end - valueAt) {
            throw badField(batch, index, start, "value", valueSize, -1, end - valueAt);
        }
        at = valueAt + Math.max(valueSize, 0);

        read = readVarint(buffer, array, arrayOffset, at, end);
        if (read < 0) {
            throw badVarint(batch, index, start, "headerCount", at, end, false);
        }
        int headerCount = (int) read;
        int headersAt = (int) (read >>> 32);
        if (headerCount < 0) {
            throw badRecord(batch, index, start, "negative headerCount " + headerCount);
        }
        at = headersAt;
        // A header takes at least two bytes, so a huge headerCount fails on the record's end within a few reads.
        for (int i = 0; i < headerCount; i++) {
            read = readVarint(buffer, array, arrayOffset, at, end);
            if (read < 0) {
                throw badVarint(batch, index, start, "header keyLength", at, end, false);
            }
            int size = (int) read;
            at = (int) (read >>> 32);
            if (size < 0 || size > end - at) {
                throw badField(batch, index, start, "header key", size, 0, end - at);
            }
            at += size;

            read = readVarint(buffer, array, arrayOffset, at, end);
            if (read < 0) {
                throw badVarint(batch, index, start, "header valueLength", at, end, false);
            }
            size = (int) read;
            at = (int) (read >>> 32);
            if (size < -1 || size > end - at) {
                throw badField(batch, index, start, "header value", size, -1, end - at);
            }
            at += Math.max(size, 0);
        }
        if (at != end) {
            throw badRecord(batch, index, start,
                    "length " + bodySize + " but its fields end " + (end - at) + " bytes earlier");
        }
        if (into != null) {
            into.timestampDelta = varlongAt(buffer, array, arrayOffset, timestampAt);
            into.keyPosition = keyAt;
            into.keySize = keySize;
            into.valuePosition = valueAt;
            into.valueSize = valueSize;
            into.headersPosition = headersAt;
            into.headerCount = headerCount;
        }
        return ((long) end << 32) | (offsetDelta & 0xffffffffL);
    }

    private static byte byteAt(ByteBuffer buffer, byte[] array, int arrayOffset, int index) {
        return array != null ? array[arrayOffset + index] : buffer.get(index);
    }

    /**
     * The zig-zag varint at {@code at}, as {@link Varint#readVarint(ByteBuffer)} reads it with the position at
     * {@code at} and the limit at {@code limit}: the index after it in the high 32 bits and its value in the low
     * 32, or {@link #BAD_VARINT} (negative) where that would throw.
     */
    static long readVarint(ByteBuffer buffer, byte[] array, int arrayOffset, int at, int limit) {
        if (at >= limit) {
            return BAD_VARINT;
        }
        int b = byteAt(buffer, array, arrayOffset, at++);
        int raw = b & 0x7f;
        if (b < 0) {
            for (int shift = 7; ; shift += 7) {
                if (shift == 7 * MAX_VARINT_BYTES || at >= limit) {
                    return BAD_VARINT;
                }
                b = byteAt(buffer, array, arrayOffset, at++);
                raw |= (b & 0x7f) << shift;
                if (b >= 0) {
                    break;
                }
            }
        }
        return ((long) at << 32) | (((raw >>> 1) ^ -(raw & 1)) & 0xffffffffL);
    }

    /**
     * Moves past the varlong at {@code at}, fenced by {@code limit}: the index after it, or {@link #BAD_VARINT}
     * where {@link Varint#readVarlong(ByteBuffer)} would throw.
     */
    static int skipVarlong(ByteBuffer buffer, byte[] array, int arrayOffset, int at, int limit) {
        int fence = limit - at > MAX_VARLONG_BYTES ? at + MAX_VARLONG_BYTES : limit;
        while (at < fence) {
            if (byteAt(buffer, array, arrayOffset, at++) >= 0) {
                return at;
            }
        }
        return BAD_VARINT;
    }

    /** The value of a varlong {@link #skipVarlong} has accepted. */
    private static long varlongAt(ByteBuffer buffer, byte[] array, int arrayOffset, int at) {
        long raw = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = byteAt(buffer, array, arrayOffset, at++);
            raw |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
    }

    int position() {
        return position;
    }

    int start() {
        return start;
    }

    int sizeInBytes() {
        return position - start;
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

    // The failures, kept out of the walk's code. The messages name the batch (position and baseOffset) and the
    // record (index and start).

    private static CorruptRecordException badRecord(RecordBatch batch, int index, int start, String problem) {
        return batch.corrupt(Reason.BAD_RECORD, "record " + index + " at position " + start + ": " + problem);
    }

    private static CorruptRecordException badField(RecordBatch batch, int index, int start, String field,
                                                   int size, int min, int left) {
        return badRecord(batch, index, start, field + " length " + size + ", expected between " + min + " and "
                + left + ", the bytes left in the record");
    }

    private static CorruptRecordException badOffsetDelta(RecordBatch batch, int index, int start, int offsetDelta) {
        return batch.corrupt(Reason.BAD_RECORD, "record " + index + " at position " + start
                + " has offsetDelta " + offsetDelta + ", expected " + index);
    }

    /**
     * The failure of the varint {@code field} at {@code at}, fenced by {@code limit}: {@link Varint}'s own
     * exception, which says why, as the cause of one that names the batch and the record.
     */
    private static CorruptRecordException badVarint(RecordBatch batch, int index, int start, String field,
                                                    int at, int limit, boolean varlong) {
        ByteBuffer in = batch.buffer().duplicate().limit(limit).position(at);
        CorruptRecordException cause;
        try {
            if (varlong) {
                Varint.readVarlong(in);
            } else {
                Varint.readVarint(in);
            }
            cause = new CorruptRecordException(Reason.BAD_RECORD, "varint at position " + at + " is malformed");
        } catch (CorruptRecordException e) {
            cause = e;
        }
        return batch.corrupt(Reason.BAD_RECORD,
                "record " + index + " at position " + start + ": bad " + field + ": " + cause.getMessage(), cause);
    }
}
