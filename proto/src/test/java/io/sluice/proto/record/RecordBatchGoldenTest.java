package io.sluice.proto.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * One batch written out by hand, field by field, from the published Kafka RecordBatch v2 layout, and held against
 * both the builder and the reader. The same bytes come out of Kafka 3.9's own {@code MemoryRecordsBuilder} for
 * these arguments (checked once, outside this build, which does not depend on Kafka).
 */
class RecordBatchGoldenTest {

    private static final long T0 = 1_700_000_000_000L; // 0x0000018bcfe56800

    /** The CRC32C of bytes 21..84 below; a literal, so that a change in what the CRC covers cannot go unseen. */
    private static final int GOLDEN_CRC = 0x6dfe9c2f;

    private static final String GOLDEN_HEX = String.join("",
            // --- batch header, 61 bytes ---
            "0000000000000000",   //  0 baseOffset 0 (the producer sends 0)
            "00000049",           //  8 batchLength 73 = 85 - 12
            "00000005",           // 12 partitionLeaderEpoch 5
            "02",                 // 16 magic 2
            "6dfe9c2f",           // 17 crc, CRC32C of bytes 21..84
            "0000",               // 21 attributes: no compression, create time, not transactional, not control
            "00000001",           // 23 lastOffsetDelta 1
            "0000018bcfe56800",   // 27 baseTimestamp T0
            "0000018bcfe56805",   // 35 maxTimestamp T0 + 5
            "00000000000003e8",   // 43 producerId 1000
            "0002",               // 51 producerEpoch 2
            "00000007",           // 53 baseSequence 7
            "00000002",           // 57 recordCount 2
            // --- record 0, 10 bytes at 61: key "k", value "v1", no headers ---
            "12",                 // length 9, zig-zag 18
            "00",                 // attributes
            "00",                 // timestampDelta 0
            "00",                 // offsetDelta 0
            "02", "6b",           // keyLength 1 (zig-zag 2), "k"
            "04", "7631",         // valueLength 2 (zig-zag 4), "v1"
            "00",                 // headerCount 0
            // --- record 1, 14 bytes at 71: null key, value "v2", header h=hv ---
            "1a",                 // length 13, zig-zag 26
            "00",                 // attributes
            "0a",                 // timestampDelta 5, zig-zag 10
            "02",                 // offsetDelta 1, zig-zag 2
            "01",                 // keyLength -1 (null), zig-zag 1
            "04", "7632",         // valueLength 2, "v2"
            "02",                 // headerCount 1
            "02", "68",           // header keyLength 1, "h"
            "04", "6876");        // header valueLength 2, "hv"

    private static final byte[] GOLDEN = HexFormat.of().parseHex(GOLDEN_HEX);

    @Test
    void handWrittenBytesCarryTheCrcOfBytes21ToTheEnd() {
        CRC32C crc = new CRC32C();
        crc.update(GOLDEN, RecordBatch.ATTRIBUTES_OFFSET, GOLDEN.length - RecordBatch.ATTRIBUTES_OFFSET);

        assertThat(GOLDEN).hasSize(85);
        assertThat(crc.getValue()).isEqualTo(Integer.toUnsignedLong(GOLDEN_CRC));
        assertThat(ByteBuffer.wrap(GOLDEN).getInt(RecordBatch.CRC_OFFSET)).isEqualTo(GOLDEN_CRC);
    }

    @Test
    void builderWritesTheHandWrittenBytes() {
        ByteBuffer built = new RecordBatchBuilder(16)
                .partitionLeaderEpoch(5)
                .producerId(1000)
                .producerEpoch((short) 2)
                .baseSequence(7)
                .append(T0, "k".getBytes(UTF_8), "v1".getBytes(UTF_8))
                .append(T0 + 5, null, "v2".getBytes(UTF_8), new Header("h", "hv".getBytes(UTF_8)))
                .build();

        assertThat(built.position()).isZero();
        assertThat(HexFormat.of().formatHex(bytes(built))).isEqualTo(GOLDEN_HEX);
    }

    @Test
    void readerDecodesEveryFieldOfTheHandWrittenBytes() {
        ByteBuffer buffer = ByteBuffer.allocate(100 + GOLDEN.length).put(100, GOLDEN);
        RecordBatch batch = RecordBatch.at(buffer, 100);

        batch.validate();
        assertThat(batch.isValid()).isTrue();
        assertThat(batch.position()).isEqualTo(100);
        assertThat(batch.baseOffset()).isZero();
        assertThat(batch.batchLength()).isEqualTo(73);
        assertThat(batch.sizeInBytes()).isEqualTo(85);
        assertThat(RecordBatch.sizeAt(buffer, 100)).isEqualTo(85);
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(5);
        assertThat(batch.magic()).isEqualTo((byte) 2);
        assertThat(batch.checksum()).isEqualTo(0x6dfe9c2fL);
        assertThat(batch.computeChecksum()).isEqualTo(0x6dfe9c2fL);
        assertThat(batch.attributes()).isZero();
        assertThat(batch.compressionCodec()).isZero();
        assertThat(batch.hasLogAppendTime()).isFalse();
        assertThat(batch.isTransactional()).isFalse();
        assertThat(batch.isControl()).isFalse();
        assertThat(batch.lastOffsetDelta()).isEqualTo(1);
        assertThat(batch.lastOffset()).isEqualTo(1);
        assertThat(batch.nextOffset()).isEqualTo(2);
        assertThat(batch.baseTimestamp()).isEqualTo(T0);
        assertThat(batch.maxTimestamp()).isEqualTo(T0 + 5);
        assertThat(batch.producerId()).isEqualTo(1000);
        assertThat(batch.producerEpoch()).isEqualTo((short) 2);
        assertThat(batch.baseSequence()).isEqualTo(7);
        assertThat(batch.lastSequence()).isEqualTo(8);
        assertThat(batch.recordCount()).isEqualTo(2);
        assertThat(bytes(batch.slice())).isEqualTo(GOLDEN);
        assertThat(batch).hasToString(
                "RecordBatch(position=100, baseOffset=0, lastOffset=1, count=2, size=85, epoch=5, crc=0x6dfe9c2f)");

        Iterator<Record> records = batch.iterator();
        Record first = records.next();
        assertThat(first.offset()).isZero();
        assertThat(first.offsetDelta()).isZero();
        assertThat(first.timestamp()).isEqualTo(T0);
        assertThat(first.sizeInBytes()).isEqualTo(10);
        assertThat(first.hasKey()).isTrue();
        assertThat(first.keySize()).isEqualTo(1);
        assertThat(bytes(first.key())).isEqualTo("k".getBytes(UTF_8));
        assertThat(first.valueSize()).isEqualTo(2);
        assertThat(bytes(first.value())).isEqualTo("v1".getBytes(UTF_8));
        assertThat(first.headers()).isEmpty();

        Record second = records.next();
        assertThat(second.offset()).isEqualTo(1);
        assertThat(second.offsetDelta()).isEqualTo(1);
        assertThat(second.timestamp()).isEqualTo(T0 + 5);
        assertThat(second.sizeInBytes()).isEqualTo(14);
        assertThat(second.hasKey()).isFalse();
        assertThat(second.keySize()).isEqualTo(-1);
        assertThat(second.key()).isNull();
        assertThat(bytes(second.value())).isEqualTo("v2".getBytes(UTF_8));
        assertThat(second.headers()).containsExactly(new Header("h", "hv".getBytes(UTF_8)));

        assertThat(records.hasNext()).isFalse();
    }

    @Test
    void recordSlicesShareTheBatchBytes() {
        ByteBuffer buffer = ByteBuffer.wrap(GOLDEN.clone());
        Record first = RecordBatch.at(buffer, 0).iterator().next();

        buffer.put(66, (byte) 'K'); // the key byte of record 0

        assertThat(first.key().get(0)).isEqualTo((byte) 'K');
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
