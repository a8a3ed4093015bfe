package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** The broker did not understand the request: {@code INVALID_REQUEST}, {@code UNSUPPORTED_VERSION}, {@code UNKNOWN_API}, {@code INVALID_REQUIRED_ACKS}, {@code OFFSET_METADATA_TOO_LARGE}, {@code INVALID_GROUP_ID}. */
public class InvalidRequestException extends SluiceException {
    public InvalidRequestException(String message) {
        super(ErrorCode.INVALID_REQUEST, false, message);
    }

    public InvalidRequestException(ErrorCode code, String message) {
        super(code, false, message);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(ErrorCode.INVALID_REQUEST, false, message, cause);
    }
}
