package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** An unexpected failure on the broker, or an answer the client cannot make sense of ({@code UNKNOWN_SERVER_ERROR}, {@code STALE_BROKER_EPOCH}, {@code INVALID_UPDATE_VERSION}). */
public class UnknownServerException extends SluiceException {
    public UnknownServerException(String message) {
        super(ErrorCode.UNKNOWN_SERVER_ERROR, false, message);
    }

    public UnknownServerException(ErrorCode code, String message) {
        super(code, false, message);
    }

    public UnknownServerException(String message, Throwable cause) {
        super(ErrorCode.UNKNOWN_SERVER_ERROR, false, message, cause);
    }
}
