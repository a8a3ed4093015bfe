package io.sluice.proto.record;

import io.netty.buffer.ByteBuf;
import io.sluice.proto.record.CorruptRecordException.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.zip.CRC32C;

/**
 * A read-only flyweight over one record batch, in Kafka's RecordBatch v2 (magic 2) layout, big-endian:
 *
 * <pre>
 *  offset  field                 type
 *       0  baseOffset            int64   written in place by the leader on append
 *       8  batchLength           int32   bytes after this field
 *      12  partitionLeaderEpoch  int32   written in place by the leader on append
 *      16  magic                 int8    2
 *      17  crc                   uint32  CRC32C of bytes 21 .. end
 *      21  attributes            int16   bits 0-2 compression, 3 log-append time, 4 transactional, 5 control
 *      23  lastOffsetDelta       int32
 *      27  baseTimestamp         int64
 *      35  maxTimestamp          int64
 *      43  producerId            int64
 *      51  producerEpoch         int16
 *      53  baseSequence          int32
 *      57  recordCount           int32
 *      61  records               recordCount records, each laid out as drawn on {@link Record}
 * </pre>
 *
 * <p>The view reads at absolute indexes of a private duplicate, so it never moves the caller's position or limit
 * and works the same over heap, direct and mapped buffers. It is an immutable view, safe to share between threads,
 * and valid as long as the bytes under it are not rewritten (other than by {@link #setBaseOffset} and
 * {@link #setPartitionLeaderEpoch}, whose fields the CRC does not cover).
 */
public final class RecordBatch implements Iterable<Record> {

    public static final int BASE_OFFSET_OFFSET = 0;
    public static final int BATCH_LENGTH_OFFSET = 8;
    public static final int PARTITION_LEADER_EPOCH_OFFSET = 12;
    public static final int MAGIC_OFFSET = 16;
    public static final int CRC_OFFSET = 17;
    public static final int ATTRIBUTES_OFFSET = 21;
    public static final int LAST_OFFSET_DELTA_OFFSET = 23;
    public static final int BASE_TIMESTAMP_OFFSET = 27;
    public static final int MAX_TIMESTAMP_OFFSET = 35;
    public static final int PRODUCER_ID_OFFSET = 43;
    public static final int PRODUCER_EPOCH_OFFSET = 51;
    public static final int BASE_SEQUENCE_OFFSET = 53;
    public static final int RECORDS_COUNT_OFFSET = 57;
    public static final int RECORDS_OFFSET = 61;

    /** Size of the batch header, the same as Kafka's {@code RECORD_BATCH_OVERHEAD}. */
    public static final int HEADER_SIZE = RECORDS_OFFSET;
    /** baseOffset and batchLength: the bytes not counted by batchLength. */
    public static final int LOG_OVERHEAD = BATCH_LENGTH_OFFSET + 4;
    /** The batchLength of a batch with a header and no records. */
    public static final int MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD;

    public static final byte MAGIC = 2;
    public static final long NO_PRODUCER_ID = -1L;
    public static final short NO_PRODUCER_EPOCH = -1;
    public static final int NO_SEQUENCE = -1;
    public static final int NO_PARTITION_LEADER_EPOCH = -1;
    public static final long NO_TIMESTAMP = -1L;

    private static final int COMPRESSION_CODEC_MASK = 0x07;
    private static final int LOG_APPEND_TIME_FLAG = 0x08;
    private static final int TRANSACTIONAL_FLAG = 0x10;
    private static final int CONTROL_FLAG = 0x20;

    private final ByteBuffer buffer;
    // The buffer's backing array and its offset when it has an accessible one (not direct, mapped or read-only),
    // for the record walk and the CRC to read without going through the buffer; else null and 0.
    private final byte[] array;
    private final int arrayOffset;
    private final int position;
    private final int batchLength;

    private RecordBatch(ByteBuffer buffer, int position, int batchLength) {
        this.buffer = buffer;
        boolean hasArray = buffer.hasArray();
        this.array = hasArray ? buffer.array() : null;
        this.arrayOffset = hasArray ? buffer.arrayOffset() : 0;
        this.position = position;
        this.batchLength = batchLength;
    }

    /**
     * A view of the batch that starts at absolute {@code position}. Only the framing is checked here; the CRC is
     * left to {@link #ensureValid()} so that a caller scanning for a boundary does not pay for it.
     *
     * @throws CorruptRecordException {@code TRUNCATED} if the batch runs past the buffer's limit,
     *                                {@code BAD_LENGTH} if its batchLength is below {@link #MIN_BATCH_LENGTH}
     */
    public static RecordBatch at(ByteBuffer buffer, int position) {
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
        int remaining = buffer.limit() - position;
        if (remaining < LOG_OVERHEAD) {
            throw new CorruptRecordException(Reason.TRUNCATED, "batch at position " + position + ": only "
                    + Math.max(remaining, 0) + " bytes before the limit, fewer than the log overhead " + LOG_OVERHEAD);
        }
        // A duplicate is always big-endian and keeps its limit even if the caller later moves theirs.
        ByteBuffer view = buffer.duplicate();
        int batchLength = view.getInt(position + BATCH_LENGTH_OFFSET);
        if (batchLength < MIN_BATCH_LENGTH) {
            throw new CorruptRecordException(Reason.BAD_LENGTH, describe(position, view.getLong(position))
                    + "batchLength " + batchLength + " is below the minimum " + MIN_BATCH_LENGTH);
        }
        if (batchLength > remaining - LOG_OVERHEAD) {
            throw new CorruptRecordException(Reason.TRUNCATED, describe(position, view.getLong(position))
                    + "batchLength " + batchLength + " runs past the limit, only " + (remaining - LOG_OVERHEAD)
                    + " bytes follow the length field");
        }
        return new RecordBatch(view, position, batchLength);
    }

    /**
     * The size {@code LOG_OVERHEAD + batchLength} of the batch stored at {@code position}, or -1 if fewer than
     * {@link #LOG_OVERHEAD} bytes remain before the limit. Nothing else is checked: over garbage the result may
     * be below {@link #HEADER_SIZE}, past the limit, or negative, so callers check it against both.
     */
    public static int sizeAt(ByteBuffer buffer, int position) {
        if (buffer.limit() - position < LOG_OVERHEAD) {
            return -1;
        }
        return LOG_OVERHEAD + batchLengthAt(buffer, position);
    }

    /**
     * A view of the batch at the buffer's reader index, over its memory without a copy (unless it is a composite
     * of several components, which Netty has to merge). The view is valid only while {@code buf} is not released;
     * the reader index is not moved.
     */
    public static RecordBatch of(ByteBuf buf) {
        return at(buf.nioBuffer(buf.readerIndex(), buf.readableBytes()), 0);
    }

    /** Overwrites the base offset of the batch at {@code position}; the CRC stays valid. */
    /**
     * Writes the 61-byte header of the batch of {@code size} bytes that starts at index 0 of {@code batch}
     * (big-endian, absolute puts: the position is left alone), then its CRC32C over bytes 21..size. Builders
     * write the records after the header's room first, then call this once.
     */
    public static void writeHeader(ByteBuffer batch, int size, long baseOffset, int partitionLeaderEpoch,
                                   int recordCount, long baseTimestamp, long maxTimestamp, long producerId,
                                   short producerEpoch, int baseSequence) {
        batch.putLong(BASE_OFFSET_OFFSET, baseOffset)
                .putInt(BATCH_LENGTH_OFFSET, size - LOG_OVERHEAD)
                .putInt(PARTITION_LEADER_EPOCH_OFFSET, partitionLeaderEpoch)
                .put(MAGIC_OFFSET, MAGIC)
                .putShort(ATTRIBUTES_OFFSET, (short) 0)
                .putInt(LAST_OFFSET_DELTA_OFFSET, recordCount - 1)
                .putLong(BASE_TIMESTAMP_OFFSET, baseTimestamp)
                .putLong(MAX_TIMESTAMP_OFFSET, maxTimestamp)
                .putLong(PRODUCER_ID_OFFSET, producerId)
                .putShort(PRODUCER_EPOCH_OFFSET, producerEpoch)
                .putInt(BASE_SEQUENCE_OFFSET, baseSequence)
                .putInt(RECORDS_COUNT_OFFSET, recordCount);
        CRC32C crc = new CRC32C();
        crc.update(batch.slice(ATTRIBUTES_OFFSET, size - ATTRIBUTES_OFFSET));
        batch.putInt(CRC_OFFSET, (int) crc.getValue());
    }

    public static void setBaseOffset(ByteBuffer buffer, int position, long baseOffset) {
        bigEndian(buffer).putLong(position + BASE_OFFSET_OFFSET, baseOffset);
    }

    /** Overwrites the partition leader epoch of the batch at {@code position}; the CRC stays valid. */
    public static void setPartitionLeaderEpoch(ByteBuffer buffer, int position, int epoch) {
        bigEndian(buffer).putInt(position + PARTITION_LEADER_EPOCH_OFFSET, epoch);
    }

    static int batchLengthAt(ByteBuffer buffer, int position) {
        return bigEndian(buffer).getInt(position + BATCH_LENGTH_OFFSET);
    }

    /** The absolute position of this batch in its buffer. */
    public int position() {
        return position;
    }

    public long baseOffset() {
        return buffer.getLong(position + BASE_OFFSET_OFFSET);
    }

    public int batchLength() {
        return batchLength;
    }

    public int sizeInBytes() {
        return LOG_OVERHEAD + batchLength;
    }

    public int partitionLeaderEpoch() {
        return buffer.getInt(position + PARTITION_LEADER_EPOCH_OFFSET);
    }

    public byte magic() {
        return buffer.get(position + MAGIC_OFFSET);
    }

    /** The stored CRC32C, as an unsigned 32-bit value. */
    public long checksum() {
        return Integer.toUnsignedLong(buffer.getInt(position + CRC_OFFSET));
    }

    /** The CRC32C of bytes {@code ATTRIBUTES_OFFSET .. end}, what {@link #checksum()} should be. */
    public long computeChecksum() {
        CRC32C crc = new CRC32C();
        if (array != null) {
            crc.update(array, arrayOffset + position + ATTRIBUTES_OFFSET, sizeInBytes() - ATTRIBUTES_OFFSET);
        } else {
            crc.update(buffer.slice(position + ATTRIBUTES_OFFSET, sizeInBytes() - ATTRIBUTES_OFFSET));
        }
        return crc.getValue();
    }

    public boolean isValid() {
        return magic() == MAGIC && checksum() == computeChecksum();
    }

    public short attributes() {
        return buffer.getShort(position + ATTRIBUTES_OFFSET);
    }

    public int compressionCodec() {
        return attributes() & COMPRESSION_CODEC_MASK;
    }

    public boolean hasLogAppendTime() {
        return (attributes() & LOG_APPEND_TIME_FLAG) != 0;
    }

    public boolean isTransactional() {
        return (attributes() & TRANSACTIONAL_FLAG) != 0;
    }

    public boolean isControl() {
        return (attributes() & CONTROL_FLAG) != 0;
    }

    public int lastOffsetDelta() {
        return buffer.getInt(position + LAST_OFFSET_DELTA_OFFSET);
    }

    public long lastOffset() {
        return baseOffset() + lastOffsetDelta();
    }

    public long nextOffset() {
        return lastOffset() + 1;
    }

    public long baseTimestamp() {
        return buffer.getLong(position + BASE_TIMESTAMP_OFFSET);
    }

    public long maxTimestamp() {
        return buffer.getLong(position + MAX_TIMESTAMP_OFFSET);
    }

    public long producerId() {
        return buffer.getLong(position + PRODUCER_ID_OFFSET);
    }

    public short producerEpoch() {
        return buffer.getShort(position + PRODUCER_EPOCH_OFFSET);
    }

    public int baseSequence() {
        return buffer.getInt(position + BASE_SEQUENCE_OFFSET);
    }

    /**
     * The sequence of the last record, or {@link #NO_SEQUENCE}. Sequences wrap from {@code Integer.MAX_VALUE} to 0,
     * as in Kafka, so a long-lived idempotent producer never produces a negative one.
     */
    public int lastSequence() {
        int baseSequence = baseSequence();
        if (baseSequence == NO_SEQUENCE) {
            return NO_SEQUENCE;
        }
        int delta = lastOffsetDelta();
        return baseSequence > Integer.MAX_VALUE - delta
                ? delta - (Integer.MAX_VALUE - baseSequence) - 1
                : baseSequence + delta;
    }

    public int recordCount() {
        return buffer.getInt(position + RECORDS_COUNT_OFFSET);
    }

    /** This batch's bytes as a new buffer sharing its content, position 0, limit {@link #sizeInBytes()}. */
    public ByteBuffer slice() {
        return buffer.slice(position, sizeInBytes());
    }

    /**
     * The check for bytes read back from disk or the network: the magic byte and the CRC (the length was checked
     * by {@link #at}). Cheap enough for every batch; it does not look inside the records.
     *
     * @throws CorruptRecordException {@code BAD_MAGIC} or {@code BAD_CRC}
     */
    public void ensureValid() {
        byte magic = magic();
        if (magic != MAGIC) {
            throw corrupt(Reason.BAD_MAGIC, "magic " + magic + ", expected " + MAGIC);
        }
        long stored = checksum();
        long computed = computeChecksum();
        if (stored != computed) {
            throw corrupt(Reason.BAD_CRC,
                    String.format("CRC mismatch, stored 0x%08x, computed 0x%08x", stored, computed));
        }
    }

    /**
     * The full check for a batch a producer sent: {@link #ensureValid()}, then the attributes Sluice supports
     * (none but the timestamp type), the counts, and the framing of every record, whose offset deltas must run
     * 0, 1, 2, ... Allocates nothing unless it throws (or, for a buffer without an accessible array, the slice
     * the CRC is computed over).
     *
     * @throws CorruptRecordException {@code BAD_MAGIC}, {@code BAD_CRC}, {@code UNSUPPORTED_ATTRIBUTES},
     *                                {@code COUNT_MISMATCH} or {@code BAD_RECORD}
     */
    public void validate() {
        ensureValid();
        short attributes = attributes();
        if ((attributes & ~LOG_APPEND_TIME_FLAG) != 0) {
            throw corrupt(Reason.UNSUPPORTED_ATTRIBUTES, String.format(
                    "unsupported attributes 0x%04x (compression codec %d, transactional %b, control %b); "
                            + "only uncompressed, non-transactional data batches are accepted",
                    attributes, compressionCodec(), isTransactional(), isControl()));
        }
        int recordCount = recordCount();
        if (recordCount < 1) {
            throw corrupt(Reason.COUNT_MISMATCH, "recordCount " + recordCount + ", a batch holds at least one record");
        }
        if (lastOffsetDelta() != recordCount - 1) {
            throw corrupt(Reason.COUNT_MISMATCH,
                    "lastOffsetDelta " + lastOffsetDelta() + " does not match recordCount " + recordCount);
        }
        int found = RecordCursor.validateRecords(this);
        if (found != recordCount) {
            throw corrupt(Reason.COUNT_MISMATCH,
                    "recordCount " + recordCount + " but the batch holds " + found + " records");
        }
    }

    /**
     * The records, decoded in place: each {@link Record} refers to this batch's bytes. The framing of each record is
     * checked as it is reached ({@code BAD_RECORD}), and the record count against the bytes
     * ({@code COUNT_MISMATCH}); the CRC is not, so call {@link #ensureValid()} first.
     */
    @Override
    public Iterator<Record> iterator() {
        return new RecordIterator(this);
    }

    @Override
    public String toString() {
        return String.format(
                "RecordBatch(position=%d, baseOffset=%d, lastOffset=%d, count=%d, size=%d, epoch=%d, crc=0x%08x)",
                position, baseOffset(), lastOffset(), recordCount(), sizeInBytes(), partitionLeaderEpoch(), checksum());
    }

    /** The private duplicate this view reads from; only absolute indexes may be used on it. */
    ByteBuffer buffer() {
        return buffer;
    }

    /** The buffer's backing array, or null if it has none accessible; index {@code i} is at arrayOffset() + i. */
    byte[] array() {
        return array;
    }

    int arrayOffset() {
        return arrayOffset;
    }

    /** An exception whose message starts with this batch's position and base offset. */
    CorruptRecordException corrupt(Reason reason, String problem) {
        return new CorruptRecordException(reason, describe(position, baseOffset()) + problem);
    }

    CorruptRecordException corrupt(Reason reason, String problem, Throwable cause) {
        return new CorruptRecordException(reason, describe(position, baseOffset()) + problem, cause);
    }

    private static String describe(int position, long baseOffset) {
        return "batch at position " + position + " (baseOffset " + baseOffset + "): ";
    }

    // The format is big-endian whatever order the caller's buffer is set to; a duplicate is big-endian.
    private static ByteBuffer bigEndian(ByteBuffer buffer) {
        return buffer.order() == ByteOrder.BIG_ENDIAN ? buffer : buffer.duplicate();
    }
}
