/**
 * Committed consumer offsets (ARCHITECTURE.md §8): each commit is a record in the internal, replicated topic
 * {@value io.sluice.broker.group.GroupCoordinator#OFFSETS_TOPIC}, partitioned by group. The leader of a group's
 * partition is the group's coordinator (Kafka's model); it keeps a materialized view of the latest committed offset
 * per (group, topic, partition) in the broker store's {@code consumer_offsets} family, equal to the partition's log
 * replayed up to its high watermark, loaded when it becomes the leader.
 */
package io.sluice.broker.group;
