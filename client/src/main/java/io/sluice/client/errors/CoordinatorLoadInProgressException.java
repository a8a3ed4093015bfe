package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/**
 * The group's coordinator is still loading its offsets partition ({@code COORDINATOR_LOAD_IN_PROGRESS}): ask the
 * same broker again after a backoff. Retriable.
 */
public class CoordinatorLoadInProgressException extends SluiceException {
    public CoordinatorLoadInProgressException(String message) {
        super(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, true, message);
    }
}
