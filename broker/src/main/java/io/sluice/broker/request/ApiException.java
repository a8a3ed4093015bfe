package io.sluice.broker.request;

import io.sluice.proto.message.ErrorCode;

/** A failure that has a protocol error code; its message goes to the client as it is. */
public class ApiException extends RuntimeException {
    private final ErrorCode code;

    public ApiException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
