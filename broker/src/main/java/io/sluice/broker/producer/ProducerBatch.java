package io.sluice.broker.producer;

import io.sluice.proto.record.RecordBatch;
import java.nio.ByteBuffer;

/**
 * The producer fields of one batch's header: who wrote it, with which epoch and sequences, and where it sits in the
 * log. Read either from a {@link RecordBatch} or from the first {@value RecordBatch#HEADER_SIZE} bytes of a stored
 * batch, which is all a rebuild from the log reads.
 */
record ProducerBatch(long producerId, short producerEpoch, int baseSequence, int lastSequence, long baseOffset,
                     long lastOffset, long maxTimestamp) {

    static ProducerBatch of(RecordBatch batch) {
        return new ProducerBatch(batch.producerId(), batch.producerEpoch(), batch.baseSequence(), batch.lastSequence(),
                batch.baseOffset(), batch.lastOffset(), batch.maxTimestamp());
    }

    /** From a big-endian buffer holding a batch header at absolute {@code position}. */
    static ProducerBatch ofHeader(ByteBuffer header, int position) {
        int baseSequence = header.getInt(position + RecordBatch.BASE_SEQUENCE_OFFSET);
        int lastOffsetDelta = header.getInt(position + RecordBatch.LAST_OFFSET_DELTA_OFFSET);
        long baseOffset = header.getLong(position + RecordBatch.BASE_OFFSET_OFFSET);
        return new ProducerBatch(header.getLong(position + RecordBatch.PRODUCER_ID_OFFSET),
                header.getShort(position + RecordBatch.PRODUCER_EPOCH_OFFSET), baseSequence,
                lastSequence(baseSequence, lastOffsetDelta), baseOffset, baseOffset + lastOffsetDelta,
                header.getLong(position + RecordBatch.MAX_TIMESTAMP_OFFSET));
    }

    /** As {@link RecordBatch#lastSequence()}: sequences wrap from {@code Integer.MAX_VALUE} to 0. */
    static int lastSequence(int baseSequence, int lastOffsetDelta) {
        if (baseSequence == RecordBatch.NO_SEQUENCE) {
            return RecordBatch.NO_SEQUENCE;
        }
        return baseSequence > Integer.MAX_VALUE - lastOffsetDelta
                ? lastOffsetDelta - (Integer.MAX_VALUE - baseSequence) - 1
                : baseSequence + lastOffsetDelta;
    }

    boolean idempotent() {
        return producerId != RecordBatch.NO_PRODUCER_ID;
    }
}
