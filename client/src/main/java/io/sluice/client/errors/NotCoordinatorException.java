package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/**
 * The broker asked does not lead the group's {@code __consumer_offsets} partition ({@code NOT_COORDINATOR}):
 * refresh the metadata and ask the new leader. Retriable.
 */
public class NotCoordinatorException extends SluiceException {
    public NotCoordinatorException(String message) {
        super(ErrorCode.NOT_COORDINATOR, true, message);
    }
}
