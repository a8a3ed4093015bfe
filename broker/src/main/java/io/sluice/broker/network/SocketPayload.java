package io.sluice.broker.network;

/**
 * A message part that wants to know how it reached the socket: {@link TrafficCounter}, which sits next to
 * the transport, calls {@link #onWritten} as it passes, so what is counted is what the transport was
 * handed (a {@code DefaultFileRegion}, which both transports send with {@code sendfile}, or anything else,
 * which gets copied), not what a handler intended to send.
 */
public interface SocketPayload {
    /**
     * Called once, on the channel's event loop, when the part reaches the socket's end of the pipeline.
     *
     * @param zeroCopy true when the transport will send it without copying it through memory
     */
    void onWritten(boolean zeroCopy);
}
