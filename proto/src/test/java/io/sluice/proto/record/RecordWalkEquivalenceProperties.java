package io.sluice.proto.record;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proto.record.CorruptRecordException.Reason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The record walk reads with absolute indexes from the backing array or the buffer; this checks it against a
 * straightforward reference walk that moves a buffer's position and limit through {@link Varint}, the way the
 * walk was first written: on damaged batches both must accept, or reject with the same reason and message, and on
 * accepted ones iterate the same records.
 */
class RecordWalkEquivalenceProperties {

    enum Kind { HEAP, HEAP_AT_AN_ARRAY_OFFSET, DIRECT, READ_ONLY }

    @Property(tries = 500)
    void validateAndIterationMatchTheReferenceWalk(@ForAll("batches") ByteBuffer built,
                                                   @ForAll @IntRange(max = Integer.MAX_VALUE) int where,
                                                   @ForAll @IntRange(max = 255) int flip,
                                                   @ForAll @IntRange(max = 3) int flips,
                                                   @ForAll @IntRange(max = 40) int position,
                                                   @ForAll Kind kind) {
        ByteBuffer bytes = ByteBuffer.allocate(built.remaining()).put(built.duplicate()).flip();
        for (int i = 0; i < flips; i++) {
            int index = RecordBatch.ATTRIBUTES_OFFSET
                    + (int) ((where + i * 7919L) % (bytes.remaining() - RecordBatch.ATTRIBUTES_OFFSET));
            bytes.put(index, (byte) (bytes.get(index) ^ (flip + i)));
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.slice(RecordBatch.ATTRIBUTES_OFFSET, bytes.remaining() - RecordBatch.ATTRIBUTES_OFFSET));
        bytes.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());

        RecordBatch batch = RecordBatch.at(place(bytes, position, kind), position);

        assertThat(outcome(batch::validate)).isEqualTo(outcome(() -> referenceValidate(batch)));
        assertThat(iterate(batch)).isEqualTo(referenceIterate(batch));
    }

    @Provide
    Arbitrary<ByteBuffer> batches() {
        Arbitrary<byte[]> bytes = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(20),
                Arbitraries.bytes().array(byte[].class).ofMinSize(60).ofMaxSize(300)).injectNull(0.2);
        Arbitrary<Header> header = Combinators.combine(Arbitraries.strings().alpha().ofMaxLength(4), bytes)
                .as(Header::new);
        // The last two keep timestampDelta within the one and two bytes of the walk's fast path.
        Arbitrary<Long> timestamps = Arbitraries.oneOf(Arbitraries.longs(),
                Arbitraries.longs().between(1_700_000_000_000L, 1_700_000_100_000L),
                Arbitraries.longs().between(1_700_000_000_000L, 1_700_000_000_063L),
                Arbitraries.longs().between(1_700_000_000_000L, 1_700_000_008_000L));
        Arbitrary<Object[]> record = Combinators.combine(timestamps, bytes, bytes,
                        header.list().ofMaxSize(3).map(l -> l.toArray(Header[]::new)))
                .as((ts, key, value, headers) -> new Object[] {ts, key, value, headers});
        // Past record 63 an offsetDelta takes two bytes.
        return Arbitraries.oneOf(record.list().ofMinSize(1).ofMaxSize(12),
                record.list().ofMinSize(60).ofMaxSize(70)).map(records -> {
            RecordBatchBuilder builder = new RecordBatchBuilder(64);
            for (Object[] r : records) {
                builder.append((Long) r[0], (byte[]) r[1], (byte[]) r[2], (Header[]) r[3]);
            }
            return builder.build();
        });
    }

    private static ByteBuffer place(ByteBuffer bytes, int position, Kind kind) {
        int size = position + bytes.remaining() + 3;
        ByteBuffer buffer = switch (kind) {
            case HEAP, READ_ONLY -> ByteBuffer.allocate(size);
            case HEAP_AT_AN_ARRAY_OFFSET -> ByteBuffer.allocate(size + 11).position(11).slice();
            case DIRECT -> ByteBuffer.allocateDirect(size);
        };
        buffer.put(position, bytes, 0, bytes.remaining()).limit(position + bytes.remaining());
        return kind == Kind.READ_ONLY ? buffer.asReadOnlyBuffer() : buffer;
    }

    private static String outcome(Runnable check) {
        try {
            check.run();
            return "ok";
        } catch (CorruptRecordException e) {
            String cause = e.getCause() == null ? "" : " / cause " + e.getCause().getMessage();
            return e.reason() + ": " + e.getMessage() + cause;
        }
    }

    private static List<String> iterate(RecordBatch batch) {
        List<String> seen = new ArrayList<>();
        try {
            for (Record record : batch) {
                seen.add(describe(record));
            }
        } catch (CorruptRecordException e) {
            seen.add(outcome(() -> {
                throw e;
            }));
        }
        return seen;
    }

    private static String describe(Record record) {
        return record.offset() + " " + record.timestamp() + " " + record.sizeInBytes() + " "
                + record.keySize() + " " + bytes(record.key()) + " " + record.valueSize() + " "
                + bytes(record.value()) + " " + Arrays.toString(record.headers());
    }

    private static String bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return "null";
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return Arrays.toString(bytes);
    }

    // The reference: the record checks of validate() and the iterator, written with a moving position and limit.

    private static void referenceValidate(RecordBatch batch) {
        batch.ensureValid();
        short attributes = batch.attributes();
        if ((attributes & ~0x08) != 0) {
            throw batch.corrupt(Reason.UNSUPPORTED_ATTRIBUTES, String.format(
                    "unsupported attributes 0x%04x (compression codec %d, transactional %b, control %b); "
                            + "only uncompressed, non-transactional data batches are accepted",
                    attributes, batch.compressionCodec(), batch.isTransactional(), batch.isControl()));
        }
        int recordCount = batch.recordCount();
        if (recordCount < 1) {
            throw batch.corrupt(Reason.COUNT_MISMATCH,
                    "recordCount " + recordCount + ", a batch holds at least one record");
        }
        if (batch.lastOffsetDelta() != recordCount - 1) {
            throw batch.corrupt(Reason.COUNT_MISMATCH,
                    "lastOffsetDelta " + batch.lastOffsetDelta() + " does not match recordCount " + recordCount);
        }
        ReferenceCursor cursor = new ReferenceCursor(batch);
        int found = 0;
        while (cursor.buffer.hasRemaining()) {
            cursor.next(found);
            if (cursor.offsetDelta != found) {
                throw batch.corrupt(Reason.BAD_RECORD, "record " + found + " at position " + cursor.start
                        + " has offsetDelta " + cursor.offsetDelta + ", expected " + found);
            }
            found++;
        }
        if (found != recordCount) {
            throw batch.corrupt(Reason.COUNT_MISMATCH,
                    "recordCount " + recordCount + " but the batch holds " + found + " records");
        }
    }

    private static List<String> referenceIterate(RecordBatch batch) {
        List<String> seen = new ArrayList<>();
        ReferenceCursor cursor = new ReferenceCursor(batch);
        int recordCount = batch.recordCount();
        long timestampBase = batch.hasLogAppendTime() ? batch.maxTimestamp() : batch.baseTimestamp();
        try {
            for (int index = 0; index < recordCount; index++) {
                if (!cursor.buffer.hasRemaining()) {
                    throw batch.corrupt(Reason.COUNT_MISMATCH,
                            "recordCount " + recordCount + " but the records end after " + index);
                }
                cursor.next(index);
                if (index + 1 == recordCount && cursor.buffer.hasRemaining()) {
                    throw batch.corrupt(Reason.COUNT_MISMATCH, "recordCount " + recordCount
                            + " but bytes remain after the last record, at position " + cursor.buffer.position());
                }
                long timestamp = batch.hasLogAppendTime() ? timestampBase : timestampBase + cursor.timestampDelta;
                ByteBuffer all = batch.buffer();
                String headers = Arrays.toString(referenceHeaders(all, cursor.headersPosition, cursor.headerCount));
                seen.add((batch.baseOffset() + cursor.offsetDelta) + " " + timestamp + " "
                        + (cursor.buffer.position() - cursor.start) + " "
                        + cursor.keySize + " "
                        + bytes(cursor.keySize < 0 ? null : all.slice(cursor.keyAt, cursor.keySize))
                        + " " + cursor.valueSize + " "
                        + bytes(cursor.valueSize < 0 ? null : all.slice(cursor.valueAt, cursor.valueSize))
                        + " " + headers);
            }
        } catch (CorruptRecordException e) {
            seen.add(outcome(() -> {
                throw e;
            }));
        }
        return seen;
    }

    private static Header[] referenceHeaders(ByteBuffer all, int position, int count) {
        ByteBuffer in = all.duplicate().position(position);
        Header[] headers = new Header[count];
        for (int i = 0; i < count; i++) {
            byte[] key = new byte[Varint.readVarint(in)];
            in.get(key);
            int valueLength = Varint.readVarint(in);
            byte[] value = null;
            if (valueLength >= 0) {
                value = new byte[valueLength];
                in.get(value);
            }
            headers[i] = new Header(new String(key, java.nio.charset.StandardCharsets.UTF_8), value);
        }
        return headers;
    }

    private static final class ReferenceCursor {
        final RecordBatch batch;
        final ByteBuffer buffer;
        final int batchEnd;
        int index;
        int start;
        long timestampDelta;
        int offsetDelta;
        int keyAt;
        int keySize;
        int valueAt;
        int valueSize;
        int headersPosition;
        int headerCount;

        ReferenceCursor(RecordBatch batch) {
            this.batch = batch;
            this.batchEnd = batch.position() + batch.sizeInBytes();
            this.buffer = batch.buffer().duplicate()
                    .limit(batchEnd)
                    .position(batch.position() + RecordBatch.RECORDS_OFFSET);
        }

        void next(int index) {
            this.index = index;
            start = buffer.position();
            int bodySize = readVarint("length");
            int bodyStart = buffer.position();
            if (bodySize < 6 || bodySize > batchEnd - bodyStart) {
                throw corrupt("length " + bodySize + ", expected between 6 and " + (batchEnd - bodyStart)
                        + ", the bytes left in the batch", null);
            }
            buffer.limit(bodyStart + bodySize);
            buffer.get();
            try {
                timestampDelta = Varint.readVarlong(buffer);
            } catch (CorruptRecordException e) {
                throw corrupt("bad timestampDelta: " + e.getMessage(), e);
            }
            offsetDelta = readVarint("offsetDelta");
            keySize = readVarint("keyLength");
            keyAt = skip(keySize, -1, "key");
            valueSize = readVarint("valueLength");
            valueAt = skip(valueSize, -1, "value");
            headerCount = readVarint("headerCount");
            if (headerCount < 0) {
                throw corrupt("negative headerCount " + headerCount, null);
            }
            headersPosition = buffer.position();
            for (int i = 0; i < headerCount; i++) {
                skip(readVarint("header keyLength"), 0, "header key");
                skip(readVarint("header valueLength"), -1, "header value");
            }
            if (buffer.hasRemaining()) {
                throw corrupt("length " + bodySize + " but its fields end " + buffer.remaining() + " bytes earlier",
                        null);
            }
            buffer.limit(batchEnd);
        }

        private int skip(int size, int min, String field) {
            int at = buffer.position();
            if (size < min || size > buffer.remaining()) {
                throw corrupt(field + " length " + size + ", expected between " + min + " and "
                        + buffer.remaining() + ", the bytes left in the record", null);
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

        private CorruptRecordException corrupt(String problem, Throwable cause) {
            return batch.corrupt(Reason.BAD_RECORD,
                    "record " + index + " at position " + start + ": " + problem, cause);
        }
    }
}
