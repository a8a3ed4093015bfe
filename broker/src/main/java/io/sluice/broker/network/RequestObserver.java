package io.sluice.broker.network;

import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;

/**
 * Told about every request the listener reads and every answer it queues: what request metrics are built
 * from. Called on the handler threads and on whichever thread answers a parked request (an appender, the
 * purgatory timer), so implementations must be thread-safe, and cheap: they run once per request on the
 * produce and fetch paths.
 */
public interface RequestObserver {
    /** Observes nothing. */
    RequestObserver NONE = new RequestObserver() {
        @Override
        public void onRequest(Request.BodyCase api) {
        }

        @Override
        public void onAnswer(Request.BodyCase api, ErrorCode error, long latencyNanos) {
        }

        @Override
        public void onError(Request.BodyCase api, ErrorCode error) {
        }
    };

    /** A request of {@code api} was read and is about to be handled. */
    void onRequest(Request.BodyCase api);

    /**
     * The answer to a request of {@code api} was queued on its connection, {@code latencyNanos} after the
     * request was read (time parked in a purgatory included); {@code error} is the answer's top-level code.
     */
    void onAnswer(Request.BodyCase api, ErrorCode error, long latencyNanos);

    /** A part of a request's answer (one partition) carries {@code error}. */
    void onError(Request.BodyCase api, ErrorCode error);
}
