package io.sluice.broker.network;

import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.Request;

/** Handles one request; called on a handler thread, never on an event loop. */
@FunctionalInterface
public interface RequestHandler {
    /**
     * Handles {@code frame} and answers through {@code context} now or later. Takes ownership of the frame:
     * the implementation releases it once it no longer needs the raw bytes.
     */
    void handle(RequestContext context, InboundFrame<Request> frame);
}
