package io.sluice.client.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.Header;
import io.sluice.proto.record.Record;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ProducerBatchTest {
    private static final TopicPartition TP = new TopicPartition("t", 0);

    private static byte[] b(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static ByteBuffer copyOf(ByteBuf buf) {
        ByteBuffer out = ByteBuffer.allocate(buf.readableBytes());
        buf.getBytes(buf.readerIndex(), out);
        return out.flip();
    }

    @Test
    void writesTheV2LayoutThatProtoParsesAndValidates() {
        ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(4096, 4096);
        ProducerBatch batch = new ProducerBatch(TP, buffer, System.nanoTime());
        assertThat(batch.tryAppend(1000, b("k1"), b("v1"), null, null)).isTrue();
        assertThat(batch.tryAppend(1005, null, b("v2"), null, null)).isTrue();
        assertThat(batch.tryAppend(999, b("k3"), null, new Header[] {new Header("h", b("x")), new Header("n", null)}, null))
                .isTrue();
        batch.seal(77, (short) 3, 40);

        ByteBuf bytes = batch.retainedBytes();
        ByteBuffer copy;
        try {
            copy = copyOf(bytes);
        } finally {
            bytes.release();
        }
        RecordBatch parsed = RecordBatch.at(copy, 0);
        parsed.validate();
        assertThat(parsed.sizeInBytes()).isEqualTo(batch.sizeInBytes());
        assertThat(parsed.baseOffset()).isZero();
        assertThat(parsed.partitionLeaderEpoch()).isEqualTo(-1);
        assertThat(parsed.recordCount()).isEqualTo(3);
        assertThat(parsed.producerId()).isEqualTo(77);
        assertThat(parsed.producerEpoch()).isEqualTo((short) 3);
        assertThat(parsed.baseSequence()).isEqualTo(40);
        assertThat(parsed.lastSequence()).isEqualTo(42);
        assertThat(parsed.baseTimestamp()).isEqualTo(1000);
        assertThat(parsed.maxTimestamp()).isEqualTo(1005);
        List<Record> records = new ArrayList<>();
        parsed.forEach(records::add);
        assertThat(records).extracting(Record::offset).containsExactly(0L, 1L, 2L);
        assertThat(records).extracting(Record::timestamp).containsExactly(1000L, 1005L, 999L);
        assertThat(records.get(0).key()).isEqualTo(ByteBuffer.wrap(b("k1")));
        assertThat(records.get(1).hasKey()).isFalse();
        assertThat(records.get(2).value()).isNull();
        assertThat(records.get(2).headers()).containsExactly(new Header("h", b("x")), new Header("n", null));

        // The same records through proto's builder give the same bytes.
        ByteBuffer expected = new RecordBatchBuilder(256).producerId(77).producerEpoch((short) 3).baseSequence(40)
                .append(1000, b("k1"), b("v1"))
                .append(1005, null, b("v2"))
                .append(999, b("k3"), null, new Header("h", b("x")), new Header("n", null))
                .build();
        assertThat(copy).isEqualTo(expected);
        batch.complete(0, -1);
        buffer.release();
    }

    @Test
    void closesWhenTheNextRecordDoesNotFitAndCompletesEveryRecord() {
        ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(300, 300);
        ProducerBatch batch = new ProducerBatch(TP, buffer, System.nanoTime());
        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
        byte[] value = new byte[50];
        while (true) {
            CompletableFuture<RecordMetadata> f = new CompletableFuture<>();
            if (!batch.tryAppend(5, null, value, null, f)) {
                break;
            }
            futures.add(f);
        }
        assertThat(futures).hasSize(4);
        assertThat(batch.closedForAppends).isTrue();
        assertThat(batch.sizeInBytes()).isLessThanOrEqualTo(300);
        batch.seal(-1, (short) -1, -1);
        batch.complete(100, -1);
        assertThat(futures).extracting(f -> f.join().offset()).containsExactly(100L, 101L, 102L, 103L);
        assertThat(futures.get(0).join().timestamp()).isEqualTo(5);
        buffer.release();
    }
}
