package io.sluice.proto.record;

import static io.sluice.proto.record.RecordBatchTest.assertCorrupt;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.proto.record.CorruptRecordException.Reason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class RecordBatchesTest {

    @Test
    void iteratesConsecutiveBatchesAndStopsQuietlyAtATrailingPartialOne() {
        ByteBuffer fetch = ByteBuffer.allocate(1024);
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ByteBuffer batch = batch(i * 10L, i + 1);
            sizes.add(batch.remaining());
            fetch.put(batch);
        }
        fetch.put(batch(30, 2).limit(70)).flip();

        List<RecordBatch> batches = collect(RecordBatches.of(fetch));

        assertThat(batches).extracting(RecordBatch::baseOffset).containsExactly(0L, 10L, 20L);
        assertThat(batches).extracting(RecordBatch::recordCount).containsExactly(1, 2, 3);
        assertThat(batches).extracting(RecordBatch::position)
                .containsExactly(0, sizes.get(0), sizes.get(0) + sizes.get(1));
        assertThat(batches).allMatch(RecordBatch::isValid);
        assertThat(fetch.position()).isZero();
    }

    @Test
    void startsAtTheBuffersPositionAndCanIterateAgain() {
        ByteBuffer first = batch(0, 1);
        int firstSize = first.remaining();
        ByteBuffer fetch = ByteBuffer.allocate(firstSize + 200);
        fetch.put(first).put(batch(5, 1)).flip().position(firstSize);

        Iterable<RecordBatch> batches = RecordBatches.of(fetch);
        fetch.position(0);

        assertThat(collect(batches)).extracting(RecordBatch::baseOffset).containsExactly(5L);
        assertThat(collect(batches)).extracting(RecordBatch::baseOffset).containsExactly(5L);
    }

    @Test
    void endsAtFewerBytesThanTheLogOverhead() {
        ByteBuffer fetch = ByteBuffer.allocate(300);
        fetch.put(batch(0, 1)).put(new byte[RecordBatch.LOG_OVERHEAD - 1]).flip();

        assertThat(collect(RecordBatches.of(fetch))).hasSize(1);
        assertThat(RecordBatches.of(ByteBuffer.allocate(0))).isEmpty();
    }

    @Test
    void aBatchLengthTooSmallToBeABatchFailsTheIteration() {
        ByteBuffer fetch = ByteBuffer.allocate(300);
        fetch.put(batch(0, 1)).putLong(7).putInt(RecordBatch.MIN_BATCH_LENGTH - 1).put(new byte[100]).flip();
        Iterator<RecordBatch> batches = RecordBatches.of(fetch).iterator();
        batches.next();

        assertCorrupt(batches::hasNext, Reason.BAD_LENGTH, "(baseOffset 7): batchLength 48 is below the minimum 49");
    }

    @Test
    void aZeroedTailFailsRatherThanEndingQuietly() {
        ByteBuffer fetch = ByteBuffer.allocate(300);
        fetch.put(batch(0, 1)).flip().limit(300);

        Iterator<RecordBatch> batches = RecordBatches.of(fetch).iterator();
        batches.next();

        assertCorrupt(batches::next, Reason.BAD_LENGTH, "batchLength 0");
    }

    @Test
    void nextPastTheLastBatchThrows() {
        Iterator<RecordBatch> batches = RecordBatches.of(batch(0, 1)).iterator();
        batches.next();

        assertThat(batches.hasNext()).isFalse();
        assertThatThrownBy(batches::next).isInstanceOf(NoSuchElementException.class);
    }

    private static ByteBuffer batch(long baseOffset, int records) {
        RecordBatchBuilder builder = new RecordBatchBuilder(64).baseOffset(baseOffset);
        for (int i = 0; i < records; i++) {
            builder.append(i, null, ("value-" + i).getBytes(UTF_8));
        }
        return builder.build();
    }

    private static List<RecordBatch> collect(Iterable<RecordBatch> batches) {
        List<RecordBatch> list = new ArrayList<>();
        batches.forEach(list::add);
        return list;
    }
}
