package io.sluice.client.consumer;

import io.sluice.proto.record.RecordBatch;
import java.util.List;

/**
 * The whole batches of one partition's fetched data that passed {@link BatchVerifier}: in offset order, contiguous,
 * CRC-checked, epochs not decreasing.
 *
 * @param nextOffset the offset after the last batch (the next fetch offset); the fetch offset when there is none
 * @param lastEpoch  the last batch's partition leader epoch (or the previous one when there is no batch)
 */
record VerifiedBatches(List<RecordBatch> batches, long nextOffset, int lastEpoch) {
}
