package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** The broker could not read or write its log ({@code STORAGE_ERROR}). */
public class StorageException extends SluiceException {
    public StorageException(String message) {
        super(ErrorCode.STORAGE_ERROR, false, message);
    }

    public StorageException(ErrorCode code, String message) {
        super(code, false, message);
    }

    public StorageException(String message, Throwable cause) {
        super(ErrorCode.STORAGE_ERROR, false, message, cause);
    }
}
