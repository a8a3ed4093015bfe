package io.sluice.broker.replication;

/**
 * How a follower fetches (the broker's {@code replica.fetch.*} keys).
 *
 * @param maxWaitMs         a follower fetch's {@code max_wait_ms}: how long the leader holds it while there is no
 *                          data ({@code replica.fetch.wait.max.ms})
 * @param minBytes          a follower fetch's {@code min_bytes} ({@code replica.fetch.min.bytes})
 * @param partitionMaxBytes each partition's {@code max_bytes} in a follower fetch ({@code replica.fetch.max.bytes})
 * @param responseMaxBytes  a follower fetch's {@code max_bytes} ({@code replica.fetch.response.max.bytes})
 * @param requestTimeoutMs  how long a request may take beyond {@code maxWaitMs} before the connection is dropped
 *                          ({@code replica.socket.timeout.ms})
 * @param backoffMs         the pause after an error before a partition (or the connection) is tried again
 *                          ({@code replica.fetch.backoff.ms})
 */
public record FetcherSettings(int maxWaitMs, int minBytes, int partitionMaxBytes, int responseMaxBytes,
                              int requestTimeoutMs, long backoffMs) {
    /**
     * Kafka's defaults, except the per-partition bytes: 10 MiB (Kafka 1 MiB) lets one busy partition's follower
     * take a whole response, which keeps the replication round trips of acks=all few.
     */
    public static final FetcherSettings DEFAULT = new FetcherSettings(500, 1, 10 << 20, 10 << 20, 30_000, 1000);
}
