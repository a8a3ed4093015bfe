package io.sluice.broker.controller;

import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.proto.TopicPartition;
import java.util.ArrayList;
import java.util.List;

/**
 * Rack-unaware replica assignment, Kafka's round-robin: partition {@code p} gets the {@code rf} brokers that follow
 * position {@code start + p} in the list of live brokers, so leaders (the first replica) and followers spread evenly,
 * and a random {@code start} keeps small topics from all landing on the first broker. Stateless.
 */
final class ReplicaAssignment {
    private ReplicaAssignment() {
    }

    /** Every partition at leader epoch 0 and partition epoch 0, led by its first replica, with all replicas in sync. */
    static List<PartitionRecord> assign(String topic, int partitions, int replicationFactor, List<Integer> liveBrokers,
                                        int start) {
        int n = liveBrokers.size();
        if (replicationFactor > n) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " > " + n + " brokers");
        }
        int offset = Math.floorMod(start, n);
        List<PartitionRecord> out = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            List<Integer> replicas = new ArrayList<>(replicationFactor);
            for (int r = 0; r < replicationFactor; r++) {
                replicas.add(liveBrokers.get((offset + p + r) % n));
            }
            out.add(new PartitionRecord(new TopicPartition(topic, p), replicas.get(0), 0, replicas, replicas, 0));
        }
        return out;
    }
}
