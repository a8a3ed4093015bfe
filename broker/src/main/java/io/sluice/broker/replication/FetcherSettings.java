package io.sluice.broker.replication;

/**
 * How a follower fetches.
 *
 * @param maxWaitMs        a follower fetch's {@code max_wait_ms}: how long the leader holds it while there is no data
 * @param maxBytes         a follower fetch's {@code max_bytes} (and each partition's)
 * @param requestTimeoutMs how long a request may take beyond {@code maxWaitMs} before the connection is dropped
 * @param backoffMs        the pause after an error before a partition (or the connection) is tried again
 */
public record FetcherSettings(int maxWaitMs, int maxBytes, int requestTimeoutMs, long backoffMs) {
    /** Kafka's replica.fetch.* defaults, roughly. */
    public static final FetcherSettings DEFAULT = new FetcherSettings(500, 10 << 20, 30_000, 1000);
}
