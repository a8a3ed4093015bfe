package io.sluice.proto.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Iterator;
import org.junit.jupiter.api.Test;

class RecordBatchBuilderTest {

    @Test
    void defaultsToNoProducerNoEpochAndOffsetZero() {
        RecordBatch batch = RecordBatch.at(new RecordBatchBuilder(0).append(5, (byte[]) null, null).build(), 0);

        batch.validate();
        assertThat(batch.baseOffset()).isZero();
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(RecordBatch.NO_PARTITION_LEADER_EPOCH);
        assertThat(batch.producerId()).isEqualTo(RecordBatch.NO_PRODUCER_ID);
        assertThat(batch.producerEpoch()).isEqualTo(RecordBatch.NO_PRODUCER_EPOCH);
        assertThat(batch.baseSequence()).isEqualTo(RecordBatch.NO_SEQUENCE);
        assertThat(batch.attributes()).isZero();
        Record record = batch.iterator().next();
        assertThat(record.key()).isNull();
        assertThat(record.value()).isNull();
        assertThat(record.valueSize()).isEqualTo(-1);
    }

    @Test
    void timestampsAreDeltasFromTheFirstRecordAndMaxIsTheLargest() {
        RecordBatch batch = RecordBatch.at(new RecordBatchBuilder(64)
                .append(1_000, null, new byte[0])
                .append(3_000, null, new byte[0])
                .append(-5, null, new byte[0])
                .build(), 0);

        assertThat(batch.baseTimestamp()).isEqualTo(1_000);
        assertThat(batch.maxTimestamp()).isEqualTo(3_000);
        Iterator<Record> records = batch.iterator();
        assertThat(records.next().timestamp()).isEqualTo(1_000);
        assertThat(records.next().timestamp()).isEqualTo(3_000);
        assertThat(records.next().timestamp()).isEqualTo(-5);
    }

    @Test
    void copiesTheRemainingBytesOfByteBuffersWithoutMovingThem() {
        ByteBuffer key = ByteBuffer.wrap("xxkey".getBytes(UTF_8)).position(2);
        ByteBuffer value = ByteBuffer.allocateDirect(8).put("value".getBytes(UTF_8)).flip();

        Record record = RecordBatch.at(new RecordBatchBuilder(64).append(0, key, value).build(), 0).iterator().next();

        assertThat(key.position()).isEqualTo(2);
        assertThat(value.position()).isZero();
        assertThat(UTF_8.decode(record.key()).toString()).isEqualTo("key");
        assertThat(UTF_8.decode(record.value()).toString()).isEqualTo("value");
    }

    @Test
    void emptyKeysAndValuesAreNotNull() {
        Record record = RecordBatch.at(new RecordBatchBuilder(64).append(0, new byte[0], new byte[0]).build(), 0)
                .iterator().next();

        assertThat(record.hasKey()).isTrue();
        assertThat(record.key().remaining()).isZero();
        assertThat(record.valueSize()).isZero();
    }

    @Test
    void sizeInBytesIsExactAndTheBufferGrowsFromAnyCapacity() {
        RecordBatchBuilder builder = new RecordBatchBuilder(0);
        assertThat(builder.sizeInBytes()).isEqualTo(RecordBatch.HEADER_SIZE);

        for (int i = 0; i < 100; i++) {
            builder.append(i, ("key-" + i).getBytes(UTF_8), new byte[i * 7], new Header("h" + i, null));
        }
        int expected = builder.sizeInBytes();
        ByteBuffer built = builder.build();

        assertThat(builder.recordCount()).isEqualTo(100);
        assertThat(built.remaining()).isEqualTo(expected);
        RecordBatch.at(built, 0).validate();
    }

    @Test
    void estimateRecordSizeBoundsTheBytesARecordTakes() {
        Header[] headers = {new Header("trace-id", new byte[16]), new Header("é", null)};
        RecordBatchBuilder builder = new RecordBatchBuilder(64).append(0, null, new byte[1]);
        int before = builder.sizeInBytes();
        builder.append(Long.MAX_VALUE, new byte[200], new byte[70_000], headers);

        int actual = builder.sizeInBytes() - before;
        assertThat(RecordBatchBuilder.estimateRecordSize(200, 70_000, headers))
                .isGreaterThanOrEqualTo(actual)
                .isLessThanOrEqualTo(actual + 5 + 10 + 5);
        assertThat(RecordBatchBuilder.estimateRecordSize(-1, -1)).isEqualTo(5 + 1 + 10 + 5 + 1 + 1 + 1);
    }

    @Test
    void isSpentOnceBuilt() {
        RecordBatchBuilder builder = new RecordBatchBuilder(64).append(0, null, new byte[1]);
        builder.build();

        assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> builder.append(0, null, new byte[1])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> builder.baseOffset(3)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void refusesToBuildAnEmptyBatch() {
        assertThatThrownBy(() -> new RecordBatchBuilder(64).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least one record");
    }
}
