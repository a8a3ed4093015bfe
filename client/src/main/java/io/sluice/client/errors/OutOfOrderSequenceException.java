package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** The broker saw an idempotent producer's batch out of sequence ({@code OUT_OF_ORDER_SEQUENCE}): records may have been lost between the last acknowledged batch and this one, so the batch fails instead of being retried forever. */
public class OutOfOrderSequenceException extends SluiceException {
    public OutOfOrderSequenceException(String message) {
        super(ErrorCode.OUT_OF_ORDER_SEQUENCE, false, message);
    }

    public OutOfOrderSequenceException(ErrorCode code, String message) {
        super(code, false, message);
    }

    public OutOfOrderSequenceException(String message, Throwable cause) {
        super(ErrorCode.OUT_OF_ORDER_SEQUENCE, false, message, cause);
    }
}
