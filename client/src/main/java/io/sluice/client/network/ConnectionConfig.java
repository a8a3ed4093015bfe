package io.sluice.client.network;

/**
 * Settings of one {@link BrokerConnection}.
 *
 * @param clientId            sent in every request envelope that does not set its own
 * @param maxFrameBytes       the largest response frame accepted; a larger one closes the connection
 * @param maxInFlight         requests written and awaiting their response at most; more wait, in order, on the client
 * @param connectTimeoutMs    how long a TCP connect may take
 * @param writeBufferLowMark  Netty write-buffer low water mark: the channel is writable again below it
 * @param writeBufferHighMark Netty write-buffer high water mark: above it queued requests wait
 */
public record ConnectionConfig(String clientId, int maxFrameBytes, int maxInFlight, int connectTimeoutMs,
                               int writeBufferLowMark, int writeBufferHighMark) {

    /** The client decoder's floor: fetch.max.bytes plus slack, at least this. */
    public static final int MIN_MAX_FRAME_BYTES = 64 << 20;

    public ConnectionConfig {
        if (maxFrameBytes <= 0 || maxInFlight <= 0 || connectTimeoutMs <= 0 || writeBufferLowMark <= 0
                || writeBufferHighMark < writeBufferLowMark) {
            throw new IllegalArgumentException("bad connection settings: maxFrameBytes " + maxFrameBytes
                    + ", maxInFlight " + maxInFlight + ", connectTimeoutMs " + connectTimeoutMs
                    + ", write buffer marks " + writeBufferLowMark + "/" + writeBufferHighMark);
        }
    }

    public static ConnectionConfig defaults(String clientId) {
        return new ConnectionConfig(clientId, MIN_MAX_FRAME_BYTES, 100, 10_000, 2 << 20, 8 << 20);
    }

    public ConnectionConfig withMaxFrameBytes(int bytes) {
        return new ConnectionConfig(clientId, bytes, maxInFlight, connectTimeoutMs, writeBufferLowMark,
                writeBufferHighMark);
    }

    public ConnectionConfig withMaxInFlight(int requests) {
        return new ConnectionConfig(clientId, maxFrameBytes, requests, connectTimeoutMs, writeBufferLowMark,
                writeBufferHighMark);
    }

    public ConnectionConfig withConnectTimeoutMs(int ms) {
        return new ConnectionConfig(clientId, maxFrameBytes, maxInFlight, ms, writeBufferLowMark, writeBufferHighMark);
    }
}
