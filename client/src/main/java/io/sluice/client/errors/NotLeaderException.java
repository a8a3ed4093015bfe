package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** The broker asked does not lead the partition (or its leader epoch is stale): refresh metadata and retry. Covers {@code NOT_LEADER_OR_FOLLOWER}, {@code FENCED_LEADER_EPOCH} and {@code UNKNOWN_LEADER_EPOCH}. */
public class NotLeaderException extends SluiceException {
    public NotLeaderException(String message) {
        super(ErrorCode.NOT_LEADER_OR_FOLLOWER, true, message);
    }

    public NotLeaderException(ErrorCode code, String message) {
        super(code, true, message);
    }

    public NotLeaderException(String message, Throwable cause) {
        super(ErrorCode.NOT_LEADER_OR_FOLLOWER, true, message, cause);
    }
}
