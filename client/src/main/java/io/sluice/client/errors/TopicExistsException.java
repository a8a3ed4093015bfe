package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** CreateTopics for a topic that exists ({@code TOPIC_ALREADY_EXISTS}). */
public class TopicExistsException extends SluiceException {
    public TopicExistsException(String message) {
        super(ErrorCode.TOPIC_ALREADY_EXISTS, false, message);
    }

    public TopicExistsException(ErrorCode code, String message) {
        super(code, false, message);
    }

    public TopicExistsException(String message, Throwable cause) {
        super(ErrorCode.TOPIC_ALREADY_EXISTS, false, message, cause);
    }
}
