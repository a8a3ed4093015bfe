package io.sluice.proto.record;

import io.sluice.proto.record.CorruptRecordException.Reason;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Decodes the records of one batch in place, checking each record's framing as it is reached and the batch's
 * record count against the bytes. Not thread-safe: one iterator per reader.
 */
final class RecordIterator implements Iterator<Record> {

    private final RecordBatch batch;
    private final RecordCursor cursor;
    private final long baseOffset;
    private final int recordCount;
    // With log-append time the broker stamped the whole batch; as in Kafka, every record reads maxTimestamp.
    private final boolean logAppendTime;
    private final long timestampBase;
    private int index;

    RecordIterator(RecordBatch batch) {
        this.batch = batch;
        this.cursor = new RecordCursor(batch);
        this.baseOffset = batch.baseOffset();
        this.recordCount = batch.recordCount();
        this.logAppendTime = batch.hasLogAppendTime();
        this.timestampBase = logAppendTime ? batch.maxTimestamp() : batch.baseTimestamp();
    }

    @Override
    public boolean hasNext() {
        return index < recordCount;
    }

    @Override
    public Record next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        if (!cursor.hasRemaining()) {
            throw batch.corrupt(Reason.COUNT_MISMATCH,
                    "recordCount " + recordCount + " but the records end after " + index);
        }
        cursor.next(index);
        index++;
        if (index == recordCount && cursor.hasRemaining()) {
            throw batch.corrupt(Reason.COUNT_MISMATCH, "recordCount " + recordCount
                    + " but bytes remain after the last record, at position " + cursor.position());
        }
        long timestamp = logAppendTime ? timestampBase : timestampBase + cursor.timestampDelta();
        return new Record(batch.buffer(), baseOffset + cursor.offsetDelta(), timestamp, cursor);
    }
}
