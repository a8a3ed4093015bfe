package io.sluice.client.admin;

import java.util.Map;
import java.util.Objects;

/**
 * A topic to create.
 *
 * @param partitions        0 for the broker's default
 * @param replicationFactor 0 for the broker's default
 * @param configs           topic-level overrides (segment.bytes, retention.ms, ...)
 */
public record NewTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
    public NewTopic {
        Objects.requireNonNull(name, "name");
        configs = Map.copyOf(configs);
    }

    public NewTopic(String name, int partitions, int replicationFactor) {
        this(name, partitions, replicationFactor, Map.of());
    }
}
