package io.sluice.broker.metadata;

import io.sluice.proto.message.ErrorCode;

/** A metadata change that was refused, with the wire error code to answer and a message naming what was wrong. */
public final class MetadataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode errorCode;

    public MetadataException(ErrorCode errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    public ErrorCode errorCode() {
        return errorCode;
    }
}
