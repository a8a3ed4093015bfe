package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** The broker cannot be reached: connection refused or lost, or the broker answered {@code BROKER_NOT_AVAILABLE}. Requests in flight on a lost connection fail with this. */
public class BrokerUnavailableException extends SluiceException {
    public BrokerUnavailableException(String message) {
        super(ErrorCode.BROKER_NOT_AVAILABLE, true, message);
    }

    public BrokerUnavailableException(ErrorCode code, String message) {
        super(code, true, message);
    }

    public BrokerUnavailableException(String message, Throwable cause) {
        super(ErrorCode.BROKER_NOT_AVAILABLE, true, message, cause);
    }
}
