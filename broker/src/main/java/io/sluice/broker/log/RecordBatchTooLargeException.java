package io.sluice.broker.log;

/** A batch larger than a whole segment can never be appended; the producer must send smaller batches. */
public final class RecordBatchTooLargeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RecordBatchTooLargeException(String log, int batchSize, int segmentBytes) {
        super(log + ": batch of " + batchSize + " bytes is larger than segment.bytes (" + segmentBytes + ")");
    }
}
