package io.sluice.broker.group;

import io.sluice.proto.TopicPartition;

/** What a committed offset is for: a group's position in one partition. */
public record OffsetKey(String group, TopicPartition tp) {
}
