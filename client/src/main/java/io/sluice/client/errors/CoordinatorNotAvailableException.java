package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** The group's offsets partition is not ready on the broker ({@code COORDINATOR_NOT_AVAILABLE}). */
public class CoordinatorNotAvailableException extends SluiceException {
    public CoordinatorNotAvailableException(String message) {
        super(ErrorCode.COORDINATOR_NOT_AVAILABLE, true, message);
    }

    public CoordinatorNotAvailableException(ErrorCode code, String message) {
        super(code, true, message);
    }

    public CoordinatorNotAvailableException(String message, Throwable cause) {
        super(ErrorCode.COORDINATOR_NOT_AVAILABLE, true, message, cause);
    }
}
