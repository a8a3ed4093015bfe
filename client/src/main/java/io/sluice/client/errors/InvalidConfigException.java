package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** A topic setting the broker refused: {@code INVALID_CONFIG} (the message names the key), {@code INVALID_PARTITIONS} or {@code INVALID_REPLICATION_FACTOR}. */
public class InvalidConfigException extends SluiceException {
    public InvalidConfigException(String message) {
        super(ErrorCode.INVALID_CONFIG, false, message);
    }

    public InvalidConfigException(ErrorCode code, String message) {
        super(code, false, message);
    }

    public InvalidConfigException(String message, Throwable cause) {
        super(ErrorCode.INVALID_CONFIG, false, message, cause);
    }
}
