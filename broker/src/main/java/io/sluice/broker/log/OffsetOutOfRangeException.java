package io.sluice.broker.log;

/** A read asked for an offset the log does not hold: below its start or past its end. */
public final class OffsetOutOfRangeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long offset;
    private final long logStartOffset;
    private final long logEndOffset;

    public OffsetOutOfRangeException(String log, long offset, long logStartOffset, long logEndOffset) {
        super(log + ": offset " + offset + " is out of range [" + logStartOffset + ", " + logEndOffset + "]");
        this.offset = offset;
        this.logStartOffset = logStartOffset;
        this.logEndOffset = logEndOffset;
    }

    public long offset() {
        return offset;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long logEndOffset() {
        return logEndOffset;
    }
}
