package io.sluice.broker.log;

/** A follower append whose first offset is not the log end offset: the replica histories have diverged. */
public final class UnexpectedAppendOffsetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnexpectedAppendOffsetException(String log, long firstOffset, long logEndOffset) {
        super(log + ": follower batch starts at offset " + firstOffset + " but the log ends at " + logEndOffset);
    }
}
