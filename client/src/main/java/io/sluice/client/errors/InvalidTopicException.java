package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** An illegal topic name, or an internal topic a client may not write ({@code INVALID_TOPIC}). */
public class InvalidTopicException extends SluiceException {
    public InvalidTopicException(String message) {
        super(ErrorCode.INVALID_TOPIC, false, message);
    }

    public InvalidTopicException(ErrorCode code, String message) {
        super(code, false, message);
    }

    public InvalidTopicException(String message, Throwable cause) {
        super(ErrorCode.INVALID_TOPIC, false, message, cause);
    }
}
