package io.sluice.broker.partition;

/**
 * The broker's replication settings.
 *
 * @param replicaLagTimeMaxMs {@code replica.lag.time.max.ms}: a follower that has not caught up with the leader's
 *                            log end for this long leaves the ISR
 * @param minInsyncReplicas   {@code min.insync.replicas}: the broker default of the topic config; an
 *                            {@code acks=all} produce needs an ISR at least this large
 */
public record ReplicationConfig(long replicaLagTimeMaxMs, int minInsyncReplicas) {
    /** Kafka's defaults. */
    public static final ReplicationConfig DEFAULT = new ReplicationConfig(30_000, 1);

    public ReplicationConfig {
        if (replicaLagTimeMaxMs <= 0) {
            throw new IllegalArgumentException("replica.lag.time.max.ms: " + replicaLagTimeMaxMs + " must be positive");
        }
        if (minInsyncReplicas < 1) {
            throw new IllegalArgumentException("min.insync.replicas: " + minInsyncReplicas + " must be at least 1");
        }
    }
}
