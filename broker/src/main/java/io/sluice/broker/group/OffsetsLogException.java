package io.sluice.broker.group;

import io.sluice.proto.message.ErrorCode;

/** An offsets partition refused an append or a commit did not complete, with the partition-level error code. */
public final class OffsetsLogException extends RuntimeException {
    private final ErrorCode errorCode;

    public OffsetsLogException(ErrorCode errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    public ErrorCode errorCode() {
        return errorCode;
    }
}
