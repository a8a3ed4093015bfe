package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** acks=all while the in-sync replicas are fewer than {@code min.insync.replicas} ({@code NOT_ENOUGH_REPLICAS}, {@code NOT_ENOUGH_REPLICAS_AFTER_APPEND}). */
public class NotEnoughReplicasException extends SluiceException {
    public NotEnoughReplicasException(String message) {
        super(ErrorCode.NOT_ENOUGH_REPLICAS, true, message);
    }

    public NotEnoughReplicasException(ErrorCode code, String message) {
        super(code, true, message);
    }

    public NotEnoughReplicasException(String message, Throwable cause) {
        super(ErrorCode.NOT_ENOUGH_REPLICAS, true, message, cause);
    }
}
