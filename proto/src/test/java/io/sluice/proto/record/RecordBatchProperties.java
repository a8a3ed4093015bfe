package io.sluice.proto.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.proto.record.CorruptRecordException.Reason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class RecordBatchProperties {

    /** What a producer hands the builder for one record. */
    record Input(long timestamp, byte[] key, byte[] value, List<Header> headers) {
    }

    @Property
    void whatIsBuiltReadsBackExactly(@ForAll("records") List<Input> inputs,
                                     @ForAll long baseOffset,
                                     @ForAll int epoch,
                                     @ForAll @IntRange(max = 100) int position,
                                     @ForAll boolean direct) {
        ByteBuffer built = build(inputs, baseOffset, epoch);
        int capacity = position + built.remaining();
        ByteBuffer buffer = direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
        buffer.put(position, built, 0, built.remaining());

        RecordBatch batch = RecordBatch.at(buffer, position);
        batch.validate();

        assertThat(batch.baseOffset()).isEqualTo(baseOffset);
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(epoch);
        assertThat(batch.recordCount()).isEqualTo(inputs.size());
        assertThat(batch.lastOffset()).isEqualTo(baseOffset + inputs.size() - 1);
        assertThat(batch.baseTimestamp()).isEqualTo(inputs.get(0).timestamp());
        assertThat(batch.maxTimestamp()).isEqualTo(inputs.stream().mapToLong(Input::timestamp).max().orElseThrow());
        List<Record> records = new ArrayList<>();
        batch.forEach(records::add);
        assertThat(records).hasSameSizeAs(inputs);
        for (int i = 0; i < inputs.size(); i++) {
            Input input = inputs.get(i);
            Record record = records.get(i);
            assertThat(record.offset()).isEqualTo(baseOffset + i);
            assertThat(record.timestamp()).isEqualTo(input.timestamp());
            assertThat(bytes(record.key())).isEqualTo(input.key());
            assertThat(record.keySize()).isEqualTo(input.key() == null ? -1 : input.key().length);
            assertThat(bytes(record.value())).isEqualTo(input.value());
            assertThat(record.valueSize()).isEqualTo(input.value() == null ? -1 : input.value().length);
            assertThat(record.headers()).containsExactlyElementsOf(input.headers());
        }
        assertThat(records.stream().mapToInt(Record::sizeInBytes).sum())
                .isEqualTo(batch.sizeInBytes() - RecordBatch.HEADER_SIZE);
    }

    /** CRC32C detects every error burst of up to 32 bits, so no single changed byte gets past it. */
    @Property
    void anyByteChangedUnderTheCrcFailsIt(@ForAll("records") List<Input> inputs,
                                          @ForAll @IntRange(max = Integer.MAX_VALUE) int where,
                                          @ForAll @IntRange(min = 1, max = 255) int flip) {
        ByteBuffer buffer = build(inputs, 0, 0);
        int index = RecordBatch.ATTRIBUTES_OFFSET + where % (buffer.remaining() - RecordBatch.ATTRIBUTES_OFFSET);
        buffer.put(index, (byte) (buffer.get(index) ^ flip));

        RecordBatch batch = RecordBatch.at(buffer, 0);
        assertThat(batch.isValid()).isFalse();
        assertThatThrownBy(batch::ensureValid)
                .isInstanceOfSatisfying(CorruptRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.BAD_CRC));
    }

    /**
     * With the CRC made to match, a changed byte must reach the structural checks: they either reject the batch
     * with a {@link CorruptRecordException}, or accept one that then reads without error.
     */
    @Property
    void structuralChecksRejectCorruptionAsCorruptRecordOnly(@ForAll("records") List<Input> inputs,
                                                              @ForAll @IntRange(max = Integer.MAX_VALUE) int where,
                                                              @ForAll @IntRange(min = 1, max = 255) int flip) {
        ByteBuffer buffer = build(inputs, 0, 0);
        int index = where % buffer.remaining();
        buffer.put(index, (byte) (buffer.get(index) ^ flip));
        rewriteCrc(buffer);

        Throwable thrown = catchThrowable(() -> {
            RecordBatch batch = RecordBatch.at(buffer, 0);
            batch.validate();
            List<Record> records = new ArrayList<>();
            batch.forEach(records::add);
            assertThat(records).hasSize(batch.recordCount());
            records.forEach(Record::headers);
        });

        assertThat(thrown).satisfiesAnyOf(
                t -> assertThat(t).isNull(),
                t -> assertThat(t).isInstanceOf(CorruptRecordException.class));
    }

    @Provide
    Arbitrary<List<Input>> records() {
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(200).injectNull(0.2);
        // Valid UTF-16 only, of one, two and three UTF-8 bytes per char: a lone surrogate is sent as '?'.
        Arbitrary<String> headerKeys = Arbitraries.strings()
                .withCharRange('a', 'z').withCharRange('\u00e0', '\u00ff').withCharRange('\u4e00', '\u4e3f')
                .ofMaxLength(10);
        Arbitrary<List<Header>> headers = Combinators.combine(headerKeys, bytes).as(Header::new).list().ofMaxSize(3);
        Arbitrary<Long> timestamps = Arbitraries.oneOf(
                Arbitraries.longs(),
                Arbitraries.longs().between(1_700_000_000_000L, 1_700_000_100_000L));
        return Combinators.combine(timestamps, bytes, bytes, headers).as(Input::new).list().ofMinSize(1).ofMaxSize(20);
    }

    private static ByteBuffer build(List<Input> inputs, long baseOffset, int epoch) {
        RecordBatchBuilder builder = new RecordBatchBuilder(32).baseOffset(baseOffset).partitionLeaderEpoch(epoch);
        inputs.forEach(in -> builder.append(in.timestamp(), in.key(), in.value(), in.headers().toArray(Header[]::new)));
        return builder.build();
    }

    private static void rewriteCrc(ByteBuffer buffer) {
        CRC32C crc = new CRC32C();
        crc.update(buffer.slice(RecordBatch.ATTRIBUTES_OFFSET, buffer.remaining() - RecordBatch.ATTRIBUTES_OFFSET));
        buffer.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
