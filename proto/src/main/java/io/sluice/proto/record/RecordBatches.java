package io.sluice.proto.record;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The batches laid end to end in one buffer, as a fetch returns them:
 *
 * <pre>
 *   position                                                          limit
 *   | batch 0 (12 + batchLength) | batch 1 | ... | batch n | partial batch |
 * </pre>
 *
 * A fetch may legally stop in the middle of a batch, so a trailing partial batch ends the iteration without an
 * error; a batchLength below {@link RecordBatch#MIN_BATCH_LENGTH} cannot be a batch and fails it. Batches are
 * framed only: call {@link RecordBatch#ensureValid()} on each before trusting its records.
 */
public final class RecordBatches {

    private RecordBatches() {
    }

    /**
     * The batches from the buffer's current position to its limit. Neither is moved; each iterator starts again
     * from the position {@code buffer} had when this was called. Iterators are not thread-safe.
     *
     * @throws CorruptRecordException ({@code BAD_LENGTH}) from the iterator, at a batch whose length is too small
     */
    public static Iterable<RecordBatch> of(ByteBuffer buffer) {
        int start = buffer.position();
        return () -> new BatchIterator(buffer, start);
    }

    private static final class BatchIterator implements Iterator<RecordBatch> {
        private final ByteBuffer buffer;
        private int nextPosition;
        private RecordBatch next;

        BatchIterator(ByteBuffer buffer, int start) {
            this.buffer = buffer;
            this.nextPosition = start;
        }

        @Override
        public boolean hasNext() {
            if (next == null) {
                next = readNext();
            }
            return next != null;
        }

        @Override
        public RecordBatch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            RecordBatch batch = next;
            next = null;
            nextPosition += batch.sizeInBytes();
            return batch;
        }

        private RecordBatch readNext() {
            int remaining = buffer.limit() - nextPosition;
            if (remaining < RecordBatch.LOG_OVERHEAD) {
                return null;
            }
            int batchLength = RecordBatch.batchLengthAt(buffer, nextPosition);
            if (batchLength >= RecordBatch.MIN_BATCH_LENGTH && batchLength > remaining - RecordBatch.LOG_OVERHEAD) {
                return null;
            }
            // Either a whole batch, or a length too small to be one, which at() reports as BAD_LENGTH.
            return RecordBatch.at(buffer, nextPosition);
        }
    }
}
