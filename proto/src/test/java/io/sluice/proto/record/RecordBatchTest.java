package io.sluice.proto.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.sluice.proto.record.CorruptRecordException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.zip.CRC32C;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordBatchTest {

    private static final long T0 = 1_700_000_000_000L;

    // sample(): three records of 9 bytes each, at 61, 70 and 79; within a record:
    private static final int RECORD_SIZE = 9;
    private static final int LENGTH = 0;
    private static final int OFFSET_DELTA = 3;
    private static final int KEY_LENGTH = 4;
    private static final int HEADER_COUNT = 8;
    private static final int SAMPLE_SIZE = RecordBatch.HEADER_SIZE + 3 * RECORD_SIZE;

    @Test
    void aBuiltBatchPassesEveryCheck() {
        RecordBatch batch = RecordBatch.at(sample(), 0);

        assertThat(batch.isValid()).isTrue();
        batch.ensureValid();
        batch.validate();
        assertThat(batch.sizeInBytes()).isEqualTo(SAMPLE_SIZE);
        assertThat(values(batch)).containsExactly("1", "2", "3");
    }

    @Test
    void aFlippedRecordByteFailsTheCrc() {
        ByteBuffer buffer = sample();
        RecordBatch batch = RecordBatch.at(buffer, 0);
        long stored = batch.checksum();
        buffer.put(recordAt(1) + 5, (byte) 'x');

        assertThat(batch.isValid()).isFalse();
        assertCorrupt(batch::ensureValid, Reason.BAD_CRC,
                String.format("batch at position 0 (baseOffset 0): CRC mismatch, stored 0x%08x, computed 0x", stored));
        assertCorrupt(batch::validate, Reason.BAD_CRC, "CRC mismatch");
    }

    @Test
    void aWrongMagicIsReportedBeforeTheCrc() {
        ByteBuffer buffer = sample();
        buffer.put(RecordBatch.MAGIC_OFFSET, (byte) 1);
        RecordBatch batch = RecordBatch.at(buffer, 0);

        assertThat(batch.isValid()).isFalse();
        assertCorrupt(batch::ensureValid, Reason.BAD_MAGIC, "magic 1, expected 2");
        assertCorrupt(batch::validate, Reason.BAD_MAGIC, "magic 1");
    }

    @Test
    void aBatchLengthBelowTheHeaderIsBadLength() {
        ByteBuffer buffer = sample();
        buffer.putInt(RecordBatch.BATCH_LENGTH_OFFSET, RecordBatch.MIN_BATCH_LENGTH - 1);

        assertCorrupt(() -> RecordBatch.at(buffer, 0), Reason.BAD_LENGTH, "batchLength 48 is below the minimum 49");
        assertThat(RecordBatch.sizeAt(buffer, 0)).isEqualTo(60);
    }

    @Test
    void aBatchLengthPastTheLimitIsTruncated() {
        ByteBuffer buffer = sample();
        buffer.putLong(RecordBatch.BASE_OFFSET_OFFSET, 17);
        buffer.putInt(RecordBatch.BATCH_LENGTH_OFFSET, SAMPLE_SIZE);

        assertCorrupt(() -> RecordBatch.at(buffer, 0), Reason.TRUNCATED,
                "batch at position 0 (baseOffset 17): batchLength 88 runs past the limit");
        assertThat(RecordBatch.sizeAt(buffer, 0)).isEqualTo(SAMPLE_SIZE + RecordBatch.LOG_OVERHEAD);
    }

    @Test
    void fewerBytesThanTheLogOverheadAreTruncated() {
        ByteBuffer buffer = sample().limit(RecordBatch.LOG_OVERHEAD + 20);

        assertCorrupt(() -> RecordBatch.at(buffer, 21), Reason.TRUNCATED, "batch at position 21: only 11 bytes");
        assertThat(RecordBatch.sizeAt(buffer, 21)).isEqualTo(-1);
        // Nothing is checked beyond that: here the "length" is four bytes of the base timestamp.
        assertThat(RecordBatch.sizeAt(buffer, 20)).isEqualTo(RecordBatch.LOG_OVERHEAD + buffer.getInt(28));
    }

    @Test
    void aLastOffsetDeltaThatDisagreesWithTheCountIsACountMismatch() {
        ByteBuffer buffer = sample();
        buffer.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 3);
        RecordBatch batch = rewriteCrc(buffer, 0);

        batch.ensureValid();
        assertCorrupt(batch::validate, Reason.COUNT_MISMATCH, "lastOffsetDelta 3 does not match recordCount 3");
    }

    @Test
    void aRecordCountAboveTheRecordsPresentIsACountMismatch() {
        ByteBuffer buffer = sample();
        buffer.putInt(RecordBatch.RECORDS_COUNT_OFFSET, 4).putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 3);
        RecordBatch batch = rewriteCrc(buffer, 0);

        batch.ensureValid();
        assertCorrupt(batch::validate, Reason.COUNT_MISMATCH, "recordCount 4 but the batch holds 3 records");
        assertCorrupt(() -> batch.forEach(record -> { }), Reason.COUNT_MISMATCH, "the records end after 3");
    }

    @Test
    void aRecordCountBelowTheRecordsPresentIsACountMismatch() {
        ByteBuffer buffer = sample();
        buffer.putInt(RecordBatch.RECORDS_COUNT_OFFSET, 2).putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 1);
        RecordBatch batch = rewriteCrc(buffer, 0);

        assertCorrupt(batch::validate, Reason.COUNT_MISMATCH, "recordCount 2 but the batch holds 3 records");
        Iterator<Record> records = batch.iterator();
        records.next();
        assertCorrupt(records::next, Reason.COUNT_MISMATCH, "bytes remain after the last record, at position 79");
    }

    @Test
    void anEmptyRecordCountIsACountMismatch() {
        ByteBuffer buffer = sample();
        buffer.putInt(RecordBatch.RECORDS_COUNT_OFFSET, 0).putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, -1);

        assertCorrupt(rewriteCrc(buffer, 0)::validate, Reason.COUNT_MISMATCH, "recordCount 0");
    }

    /** Record 1 claims a body of 8 + delta bytes: its fields then end early, or overrun it, or the batch. */
    @ParameterizedTest
    @ValueSource(ints = {-3, -1, 1, 2, 50})
    void aRecordLengthThatLiesIsABadRecord(int delta) {
        ByteBuffer buffer = sample();
        buffer.put(recordAt(1) + LENGTH, (byte) (2 * (RECORD_SIZE - 1 + delta)));
        RecordBatch batch = rewriteCrc(buffer, 0);

        batch.ensureValid();
        assertCorrupt(batch::validate, Reason.BAD_RECORD,
                "batch at position 0 (baseOffset 0): record 1 at position 70: ");
        Iterator<Record> records = batch.iterator();
        records.next();
        assertCorrupt(records::next, Reason.BAD_RECORD, "record 1 at position 70");
    }

    @Test
    void aKeyLengthPastTheRecordIsABadRecord() {
        ByteBuffer buffer = sample();
        buffer.put(recordAt(2) + KEY_LENGTH, (byte) 10); // 5, where 4 bytes are left for key, value and headers
        RecordBatch batch = rewriteCrc(buffer, 0);

        assertCorrupt(batch::validate, Reason.BAD_RECORD,
                "record 2 at position 79: key length 5, expected between -1 and 4");
    }

    @Test
    void aKeyLengthBelowMinusOneIsABadRecord() {
        ByteBuffer buffer = sample();
        buffer.put(recordAt(0) + KEY_LENGTH, (byte) 3); // -2

        assertCorrupt(rewriteCrc(buffer, 0)::validate, Reason.BAD_RECORD, "key length -2");
    }

    @Test
    void aVarintRunningOffTheRecordIsABadRecordWithTheVarintErrorAsCause() {
        ByteBuffer buffer = sample();
        buffer.put(recordAt(0) + HEADER_COUNT, (byte) 0x80); // a continuation bit on the record's last byte

        assertThatThrownBy(rewriteCrc(buffer, 0)::validate)
                .isInstanceOfSatisfying(CorruptRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.BAD_RECORD);
                    assertThat(e.getCause()).isInstanceOf(CorruptRecordException.class);
                })
                .hasMessageContaining(
                        "record 0 at position 61: bad headerCount: varint at position 69 runs past the limit 70");
    }

    @Test
    void offsetDeltasOutOfSequenceFailValidationButNotIteration() {
        ByteBuffer buffer = sample();
        buffer.put(recordAt(2) + OFFSET_DELTA, (byte) 6); // 3 instead of 2
        RecordBatch batch = rewriteCrc(buffer, 0);

        assertCorrupt(batch::validate, Reason.BAD_RECORD, "record 2 at position 79 has offsetDelta 3, expected 2");
        // Compaction leaves gaps in stored batches, so a reader takes offset deltas as they come.
        assertThat(offsets(batch)).containsExactly(0L, 1L, 3L);
    }

    @Test
    void aValueLengthRunningOffTheEndOfTheBufferIsABadRecordNotAnOverread() {
        ByteBuffer built = new RecordBatchBuilder(128).append(T0, "abcdefgh".getBytes(UTF_8), "1".getBytes(UTF_8))
                .build();
        int record = RecordBatch.RECORDS_OFFSET;
        built.put(record + LENGTH, (byte) 26); // a body of 13 bytes: attributes to valueLength, the record's last
        built.put(record + 13, (byte) 0x80); // a valueLength continued past the record, the batch and the buffer
        int size = record + 14;
        built.putInt(RecordBatch.BATCH_LENGTH_OFFSET, size - RecordBatch.LOG_OVERHEAD);
        ByteBuffer direct = ByteBuffer.allocateDirect(size).put(built.limit(size)).flip();
        RecordBatch batch = rewriteCrc(direct, 0);

        assertCorrupt(batch::validate, Reason.BAD_RECORD, "record 0 at position 61: bad valueLength");
    }

    @Test
    void anOffsetDeltaOfTwoBytesIsNotTakenForOneByTheFastWalk() {
        RecordBatchBuilder builder = new RecordBatchBuilder(1024);
        for (int i = 0; i < 66; i++) {
            builder.append(T0, null, new byte[0]);
        }
        ByteBuffer buffer = builder.build();
        RecordBatch.at(buffer, 0).validate();
        // Records 0..63 take 7 bytes each; record 64's offsetDelta needs two: 80 01. Made 80 02 (128) with the
        // next byte (the key length) 00, the record also reads as offsetDelta 0x80 taken alone (64, in sequence),
        // a one-byte key, an empty value and no headers: only the first reading is the format's.
        int record64 = RecordBatch.RECORDS_OFFSET + 64 * 7;
        assertThat(buffer.get(record64 + 3)).isEqualTo((byte) 0x80);
        buffer.put(record64 + 4, (byte) 0x02).put(record64 + 5, (byte) 0x00);
        RecordBatch batch = rewriteCrc(buffer, 0);

        assertCorrupt(batch::validate, Reason.BAD_RECORD,
                "record 64 at position " + record64 + " has offsetDelta 128, expected 64");
    }

    @ParameterizedTest
    @ValueSource(shorts = {0x01, 0x04, 0x10, 0x20, 0x40, 0x100})
    void compressionTransactionsControlAndUnknownAttributesAreUnsupported(short attributes) {
        ByteBuffer buffer = sample();
        buffer.putShort(RecordBatch.ATTRIBUTES_OFFSET, attributes);
        RecordBatch batch = rewriteCrc(buffer, 0);

        batch.ensureValid();
        assertCorrupt(batch::validate, Reason.UNSUPPORTED_ATTRIBUTES,
                String.format("unsupported attributes 0x%04x", attributes));
    }

    @Test
    void attributeBitsAreDecoded() {
        ByteBuffer buffer = sample();
        buffer.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) 0x3b);
        RecordBatch batch = RecordBatch.at(buffer, 0);

        assertThat(batch.compressionCodec()).isEqualTo(3);
        assertThat(batch.hasLogAppendTime()).isTrue();
        assertThat(batch.isTransactional()).isTrue();
        assertThat(batch.isControl()).isTrue();
    }

    @Test
    void underLogAppendTimeEveryRecordTakesTheBatchMaxTimestamp() {
        ByteBuffer buffer = sample();
        buffer.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) 0x08).putLong(RecordBatch.MAX_TIMESTAMP_OFFSET, 42L);
        RecordBatch batch = rewriteCrc(buffer, 0);

        batch.validate();
        List<Long> timestamps = new ArrayList<>();
        batch.forEach(record -> timestamps.add(record.timestamp()));
        assertThat(timestamps).containsExactly(42L, 42L, 42L);
    }

    @Test
    void readsADirectBufferAtAnAbsolutePositionWithoutMovingIt() {
        ByteBuffer direct = ByteBuffer.allocateDirect(1000);
        direct.put(333, sample(), 0, SAMPLE_SIZE).position(5).limit(333 + SAMPLE_SIZE);

        RecordBatch batch = RecordBatch.at(direct, 333);
        batch.validate();

        assertThat(values(batch)).containsExactly("1", "2", "3");
        assertThat(batch.slice().isDirect()).isTrue();
        assertThat(direct.position()).isEqualTo(5);
        assertThat(direct.limit()).isEqualTo(333 + SAMPLE_SIZE);
    }

    @Test
    void readsAMappedFileAtAnAbsolutePosition(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("00000000000000000000.log");
        ByteBuffer contents = ByteBuffer.allocate(8192).put(4096, sample(), 0, SAMPLE_SIZE);
        Files.write(file, contents.array());

        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
            RecordBatch batch = RecordBatch.at(mapped, 4096);

            batch.validate();
            assertThat(batch.position()).isEqualTo(4096);
            assertThat(values(batch)).containsExactly("1", "2", "3");
            assertThat(mapped.position()).isZero();
        }
    }

    @Test
    void ignoresTheCallersByteOrder() {
        ByteBuffer buffer = sample().order(ByteOrder.LITTLE_ENDIAN);
        RecordBatch.setBaseOffset(buffer, 0, 1L << 40);

        assertThat(RecordBatch.sizeAt(buffer, 0)).isEqualTo(SAMPLE_SIZE);
        RecordBatch batch = RecordBatch.at(buffer, 0);
        batch.validate();
        assertThat(batch.baseOffset()).isEqualTo(1L << 40);
    }

    @Test
    void aViewKeepsItsBytesWhenTheCallerMovesTheLimit() {
        ByteBuffer buffer = sample();
        RecordBatch batch = RecordBatch.at(buffer, 0);
        buffer.limit(10);

        batch.validate();
        assertThat(values(batch)).containsExactly("1", "2", "3");
    }

    @Test
    void theLeaderCanPatchOffsetAndEpochWithoutBreakingTheCrc() {
        ByteBuffer log = ByteBuffer.allocate(200);
        log.put(50, sample(), 0, SAMPLE_SIZE);

        RecordBatch.setBaseOffset(log, 50, 1_000);
        RecordBatch.setPartitionLeaderEpoch(log, 50, 9);

        RecordBatch batch = RecordBatch.at(log, 50);
        batch.validate();
        assertThat(batch.baseOffset()).isEqualTo(1_000);
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(9);
        assertThat(batch.lastOffset()).isEqualTo(1_002);
        assertThat(batch.nextOffset()).isEqualTo(1_003);
        assertThat(offsets(batch)).containsExactly(1_000L, 1_001L, 1_002L);
    }

    @Test
    void sequencesWrapToZeroAfterIntegerMaxValue() {
        ByteBuffer buffer = sample();
        RecordBatch batch = RecordBatch.at(buffer, 0);
        assertThat(batch.baseSequence()).isEqualTo(RecordBatch.NO_SEQUENCE);
        assertThat(batch.lastSequence()).isEqualTo(RecordBatch.NO_SEQUENCE);

        buffer.putInt(RecordBatch.BASE_SEQUENCE_OFFSET, Integer.MAX_VALUE - 1);
        assertThat(batch.lastSequence()).isEqualTo(0); // MAX - 1, MAX, 0

        buffer.putInt(RecordBatch.BASE_SEQUENCE_OFFSET, Integer.MAX_VALUE - 2);
        assertThat(batch.lastSequence()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void readsAPooledDirectByteBufFromItsReaderIndex() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(256);
        try {
            buf.writeZero(7).writeBytes(sample()).skipBytes(7);

            RecordBatch batch = RecordBatch.of(buf);
            batch.validate();

            assertThat(batch.position()).isZero();
            assertThat(values(batch)).containsExactly("1", "2", "3");
            assertThat(buf.readerIndex()).isEqualTo(7);
        } finally {
            buf.release();
        }
    }

    @Test
    void theIteratorEndsAfterTheLastRecord() {
        Iterator<Record> records = RecordBatch.at(sample(), 0).iterator();
        records.next();
        records.next();
        records.next();

        assertThat(records.hasNext()).isFalse();
        assertThatThrownBy(records::next).isInstanceOf(NoSuchElementException.class);
    }

    /** Three records, keys "a" "b" "c", values "1" "2" "3", one millisecond apart. */
    static ByteBuffer sample() {
        return new RecordBatchBuilder(128)
                .append(T0, "a".getBytes(UTF_8), "1".getBytes(UTF_8))
                .append(T0 + 1, "b".getBytes(UTF_8), "2".getBytes(UTF_8))
                .append(T0 + 2, "c".getBytes(UTF_8), "3".getBytes(UTF_8))
                .build();
    }

    private static int recordAt(int index) {
        return RecordBatch.RECORDS_OFFSET + index * RECORD_SIZE;
    }

    /** Stores a correct CRC after tampering, computed here rather than by the code under test. */
    private static RecordBatch rewriteCrc(ByteBuffer buffer, int position) {
        int size = RecordBatch.sizeAt(buffer, position);
        CRC32C crc = new CRC32C();
        crc.update(buffer.slice(position + RecordBatch.ATTRIBUTES_OFFSET, size - RecordBatch.ATTRIBUTES_OFFSET));
        buffer.putInt(position + RecordBatch.CRC_OFFSET, (int) crc.getValue());
        return RecordBatch.at(buffer, position);
    }

    private static List<String> values(RecordBatch batch) {
        List<String> values = new ArrayList<>();
        batch.forEach(record -> values.add(UTF_8.decode(record.value()).toString()));
        return values;
    }

    private static List<Long> offsets(RecordBatch batch) {
        List<Long> offsets = new ArrayList<>();
        batch.forEach(record -> offsets.add(record.offset()));
        return offsets;
    }

    static void assertCorrupt(ThrowingCallable call, Reason reason, String message) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(CorruptRecordException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(message);
    }
}
