package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/**
 * The base of every error the client reports: the broker's {@link ErrorCode} (or the code closest to a client-side
 * failure, such as {@link ErrorCode#REQUEST_TIMED_OUT} for a timeout) and whether trying again may succeed.
 * Build one from a broker's answer with {@link Errors#of(ErrorCode, String)}.
 */
public class SluiceException extends RuntimeException {
    private final ErrorCode errorCode;
    private final boolean retriable;

    public SluiceException(ErrorCode errorCode, boolean retriable, String message) {
        super(message);
        this.errorCode = errorCode;
        this.retriable = retriable;
    }

    public SluiceException(ErrorCode errorCode, boolean retriable, String message, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
        this.retriable = retriable;
    }

    /** The error code this exception stands for. */
    public ErrorCode errorCode() {
        return errorCode;
    }

    /** True when the same request may succeed later (after a metadata refresh or a backoff). */
    public boolean isRetriable() {
        return retriable;
    }
}
