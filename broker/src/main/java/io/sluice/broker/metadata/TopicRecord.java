package io.sluice.broker.metadata;

import java.util.Map;

/**
 * A topic as the metadata knows it.
 *
 * @param topicId           a random id given at creation, so a topic re-created under the same name is a new topic
 * @param configs           the topic-level overrides given at creation (keys as in {@code LogConfig}); immutable
 * @param internal          created by the broker itself (names starting with {@code __}); clients may not create or
 *                          delete it
 */
public record TopicRecord(String name, String topicId, int partitions, int replicationFactor,
                          Map<String, String> configs, boolean internal) {
    public TopicRecord {
        configs = Map.copyOf(configs);
    }
}
