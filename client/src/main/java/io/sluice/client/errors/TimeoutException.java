package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** A request, a metadata wait or a blocked send took longer than its configured timeout, or the broker answered {@code REQUEST_TIMED_OUT}. */
public class TimeoutException extends SluiceException {
    public TimeoutException(String message) {
        super(ErrorCode.REQUEST_TIMED_OUT, true, message);
    }

    public TimeoutException(ErrorCode code, String message) {
        super(code, true, message);
    }

    public TimeoutException(String message, Throwable cause) {
        super(ErrorCode.REQUEST_TIMED_OUT, true, message, cause);
    }
}
