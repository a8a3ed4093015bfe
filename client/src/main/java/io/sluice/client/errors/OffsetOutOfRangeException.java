package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** The fetch offset is below the log start or above the log end, and {@code auto.offset.reset} is {@code none}. */
public class OffsetOutOfRangeException extends SluiceException {
    public OffsetOutOfRangeException(String message) {
        super(ErrorCode.OFFSET_OUT_OF_RANGE, false, message);
    }

    public OffsetOutOfRangeException(ErrorCode code, String message) {
        super(code, false, message);
    }

    public OffsetOutOfRangeException(String message, Throwable cause) {
        super(ErrorCode.OFFSET_OUT_OF_RANGE, false, message, cause);
    }
}
