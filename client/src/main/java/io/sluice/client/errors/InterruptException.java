package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** A blocking client call was interrupted; the thread's interrupt flag is set again. */
public final class InterruptException extends SluiceException {
    public InterruptException(String message, InterruptedException cause) {
        super(ErrorCode.UNKNOWN_SERVER_ERROR, false, message, cause);
        Thread.currentThread().interrupt();
    }
}
