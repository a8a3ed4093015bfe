package io.sluice.client.consumer;

import io.sluice.client.errors.RecordVerificationException;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.CorruptRecordException;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatches;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks one partition's fetched bytes before any record reaches the application (the product's promise):
 *
 * <ul>
 *   <li>every batch: length, magic and CRC32C (over the buffer in place: a direct buffer uses the CRC32C intrinsic),
 *       and lastOffsetDelta = recordCount - 1;</li>
 *   <li>offsets contiguous: the first batch must hold the fetch offset (it may start before it); each later batch
 *       must start right after the previous one; a gap is lost records, an overlap duplicated ones;</li>
 *   <li>partition leader epochs never decrease, within the fetch and across fetches.</li>
 * </ul>
 *
 * A violation is a {@link RecordVerificationException} naming the partition and offsets. Stateless.
 */
final class BatchVerifier {
    private BatchVerifier() {
    }

    /**
     * @param data        the partition's bytes, position to limit
     * @param fetchOffset the offset the fetch asked for
     * @param lastEpoch   the epoch of the last batch verified before this fetch (-1 for none)
     */
    static VerifiedBatches verify(TopicPartition tp, ByteBuffer data, long fetchOffset, int lastEpoch) {
        List<RecordBatch> batches = new ArrayList<>();
        long expected = fetchOffset;
        int epoch = lastEpoch;
        try {
            for (RecordBatch batch : RecordBatches.of(data)) {
                long base = batch.baseOffset();
                try {
                    batch.ensureValid();
                } catch (CorruptRecordException e) {
                    throw new RecordVerificationException(tp, expected, base, "batch at offset " + base
                            + " is corrupt: " + e.getMessage(), e);
                }
                if (batch.recordCount() < 1 || batch.lastOffsetDelta() != batch.recordCount() - 1) {
                    throw new RecordVerificationException(tp, expected, base, "batch at offset " + base + " has "
                            + batch.recordCount() + " records but lastOffsetDelta " + batch.lastOffsetDelta());
                }
                long last = batch.lastOffset();
                if (batches.isEmpty()) {
                    if (base > expected) {
                        throw new RecordVerificationException(tp, expected, base, "gap: fetched from offset " + expected
                                + " but the first batch starts at " + base + "; offsets " + expected + ".." + (base - 1)
                                + " are missing");
                    }
                    if (last < expected) {
                        throw new RecordVerificationException(tp, expected, base, "overlap: fetched from offset "
                                + expected + " but the first batch holds only " + base + ".." + last);
                    }
                } else if (base != expected) {
                    throw new RecordVerificationException(tp, expected, base, base > expected
                            ? "gap: after offset " + (expected - 1) + " the next batch starts at " + base + "; offsets "
                            + expected + ".." + (base - 1) + " are missing"
                            : "overlap: after offset " + (expected - 1) + " the next batch starts at " + base
                            + " (offsets " + base + ".." + (expected - 1) + " again)");
                }
                int batchEpoch = batch.partitionLeaderEpoch();
                if (batchEpoch < epoch) {
                    throw new RecordVerificationException(tp, expected, base, "leader epoch went down from " + epoch
                            + " to " + batchEpoch + " at offset " + base);
                }
                epoch = batchEpoch;
                expected = last + 1;
                batches.add(batch);
            }
        } catch (CorruptRecordException e) {
            // A batch length too small to be a batch.
            throw new RecordVerificationException(tp, expected, -1, "malformed batch after offset " + (expected - 1)
                    + ": " + e.getMessage(), e);
        }
        if (batches.isEmpty() && data.hasRemaining()) {
            throw new RecordVerificationException(tp, expected, -1, "fetch at offset " + fetchOffset + " returned "
                    + data.remaining() + " bytes holding no whole batch");
        }
        return new VerifiedBatches(batches, expected, epoch);
    }
}
