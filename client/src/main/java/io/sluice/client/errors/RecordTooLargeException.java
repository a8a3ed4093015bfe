package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** A record or batch larger than {@code max.request.size}, {@code buffer.memory} or the broker's limit. */
public class RecordTooLargeException extends SluiceException {
    public RecordTooLargeException(String message) {
        super(ErrorCode.RECORD_BATCH_TOO_LARGE, false, message);
    }

    public RecordTooLargeException(ErrorCode code, String message) {
        super(code, false, message);
    }

    public RecordTooLargeException(String message, Throwable cause) {
        super(ErrorCode.RECORD_BATCH_TOO_LARGE, false, message, cause);
    }
}
