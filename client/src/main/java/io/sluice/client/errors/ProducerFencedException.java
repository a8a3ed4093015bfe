package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** The producer id is unknown to the broker or its epoch is fenced ({@code UNKNOWN_PRODUCER_ID}, {@code INVALID_PRODUCER_EPOCH}). */
public class ProducerFencedException extends SluiceException {
    public ProducerFencedException(String message) {
        super(ErrorCode.INVALID_PRODUCER_EPOCH, false, message);
    }

    public ProducerFencedException(ErrorCode code, String message) {
        super(code, false, message);
    }

    public ProducerFencedException(String message, Throwable cause) {
        super(ErrorCode.INVALID_PRODUCER_EPOCH, false, message, cause);
    }
}
