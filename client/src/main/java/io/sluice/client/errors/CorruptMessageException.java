package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** The broker refused a batch that failed its CRC, magic, length or framing check ({@code CORRUPT_MESSAGE}). */
public class CorruptMessageException extends SluiceException {
    public CorruptMessageException(String message) {
        super(ErrorCode.CORRUPT_MESSAGE, false, message);
    }

    public CorruptMessageException(ErrorCode code, String message) {
        super(code, false, message);
    }

    public CorruptMessageException(String message, Throwable cause) {
        super(ErrorCode.CORRUPT_MESSAGE, false, message, cause);
    }
}
