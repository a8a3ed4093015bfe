package io.sluice.proto.record;

/**
 * Bytes that do not form a valid record batch. The message names the problem and, where known, the batch's
 * position in its buffer and its base offset; {@link #reason()} lets callers tell a torn tail (which recovery
 * truncates) from a damaged or unsupported batch (which a produce request rejects).
 */
public final class CorruptRecordException extends RuntimeException {

    /** What is wrong with the bytes. */
    public enum Reason {
        /** The buffer ends before the batch does. */
        TRUNCATED,
        /** The magic byte is not {@link RecordBatch#MAGIC}. */
        BAD_MAGIC,
        /** The batch length is smaller than a batch header. */
        BAD_LENGTH,
        /** The stored CRC32C does not match the bytes it covers. */
        BAD_CRC,
        /** A record's framing is malformed: a bad varint, a length that overruns, an unexpected offset delta. */
        BAD_RECORD,
        /** The record count, last offset delta and records actually present disagree. */
        COUNT_MISMATCH,
        /** Compression, transactions or control batches, which Sluice does not support yet. */
        UNSUPPORTED_ATTRIBUTES
    }

    private final Reason reason;

    public CorruptRecordException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public CorruptRecordException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
