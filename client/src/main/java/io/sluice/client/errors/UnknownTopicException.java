package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** The topic or partition does not exist (yet): {@code UNKNOWN_TOPIC_OR_PARTITION}. Retriable, since a topic just created may not have reached every broker. */
public class UnknownTopicException extends SluiceException {
    public UnknownTopicException(String message) {
        super(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, true, message);
    }

    public UnknownTopicException(ErrorCode code, String message) {
        super(code, true, message);
    }

    public UnknownTopicException(String message, Throwable cause) {
        super(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, true, message, cause);
    }
}
