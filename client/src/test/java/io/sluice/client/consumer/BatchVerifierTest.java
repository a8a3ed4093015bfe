package io.sluice.client.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.errors.RecordVerificationException;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class BatchVerifierTest {
    private static final TopicPartition TP = new TopicPartition("orders", 3);

    static ByteBuffer batch(long baseOffset, int records, int epoch) {
        RecordBatchBuilder b = new RecordBatchBuilder(128).baseOffset(baseOffset).partitionLeaderEpoch(epoch);
        for (int i = 0; i < records; i++) {
            b.append(1000 + i, null, new byte[] {(byte) i});
        }
        return b.build();
    }

    /** The batches laid end to end in one direct buffer, as a fetch answer holds them. */
    static ByteBuffer concat(ByteBuffer... batches) {
        int size = 0;
        for (ByteBuffer b : batches) {
            size += b.remaining();
        }
        ByteBuffer out = ByteBuffer.allocateDirect(size);
        for (ByteBuffer b : batches) {
            out.put(b.duplicate());
        }
        return out.flip();
    }

    @Test
    void acceptsContiguousBatchesAndAFirstBatchThatStartsBeforeTheFetchOffset() {
        ByteBuffer data = concat(batch(10, 5, 1), batch(15, 3, 1), batch(18, 2, 2));
        VerifiedBatches v = BatchVerifier.verify(TP, data, 12, 1);
        assertThat(v.batches()).hasSize(3);
        assertThat(v.nextOffset()).isEqualTo(20);
        assertThat(v.lastEpoch()).isEqualTo(2);
        assertThat(BatchVerifier.verify(TP, concat(), 20, 2).nextOffset()).isEqualTo(20);
    }

    @Test
    void aBadCrcIsNamedWithPartitionAndOffset() {
        ByteBuffer good = batch(10, 5, 1);
        ByteBuffer bad = batch(15, 3, 1);
        bad.put(bad.limit() - 1, (byte) (bad.get(bad.limit() - 1) ^ 1));
        assertThatThrownBy(() -> BatchVerifier.verify(TP, concat(good, bad), 10, -1))
                .isInstanceOf(RecordVerificationException.class)
                .hasMessageContaining("orders-3").hasMessageContaining("offset 15").hasMessageContaining("CRC")
                .satisfies(e -> assertThat(((RecordVerificationException) e).actualOffset()).isEqualTo(15));
    }

    @Test
    void aGapBetweenBatchesIsLostRecords() {
        assertThatThrownBy(() -> BatchVerifier.verify(TP, concat(batch(10, 5, 1), batch(16, 3, 1)), 10, -1))
                .isInstanceOf(RecordVerificationException.class)
                .hasMessageContaining("orders-3").hasMessageContaining("gap").hasMessageContaining("15..15");
    }

    @Test
    void aFirstBatchAfterTheFetchOffsetIsAGap() {
        assertThatThrownBy(() -> BatchVerifier.verify(TP, concat(batch(12, 5, 1)), 10, -1))
                .isInstanceOf(RecordVerificationException.class).hasMessageContaining("10..11 are missing");
    }

    @Test
    void anOverlapIsDuplicatedRecords() {
        assertThatThrownBy(() -> BatchVerifier.verify(TP, concat(batch(10, 5, 1), batch(13, 3, 1)), 10, -1))
                .isInstanceOf(RecordVerificationException.class).hasMessageContaining("overlap")
                .hasMessageContaining("13..14 again");
        assertThatThrownBy(() -> BatchVerifier.verify(TP, concat(batch(0, 5, 1)), 5, -1))
                .isInstanceOf(RecordVerificationException.class).hasMessageContaining("overlap");
    }

    @Test
    void aLeaderEpochGoingDownIsRefusedWithinAndAcrossFetches() {
        assertThatThrownBy(() -> BatchVerifier.verify(TP, concat(batch(10, 5, 3), batch(15, 3, 2)), 10, -1))
                .isInstanceOf(RecordVerificationException.class).hasMessageContaining("epoch went down from 3 to 2");
        assertThatThrownBy(() -> BatchVerifier.verify(TP, concat(batch(10, 5, 1)), 10, 4))
                .isInstanceOf(RecordVerificationException.class).hasMessageContaining("from 4 to 1");
    }

    @Test
    void bytesWithoutAWholeBatchAreRefused() {
        ByteBuffer whole = batch(10, 5, 1);
        ByteBuffer partial = concat(whole).limit(whole.remaining() - 3);
        assertThatThrownBy(() -> BatchVerifier.verify(TP, partial, 10, -1))
                .isInstanceOf(RecordVerificationException.class).hasMessageContaining("no whole batch");
        assertThat(RecordBatch.at(whole, 0).recordCount()).isEqualTo(5);
    }
}
