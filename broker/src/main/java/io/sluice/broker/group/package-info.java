/**
 * Committed consumer offsets (ARCHITECTURE.md §8): each commit is a record in the internal topic
 * {@value io.sluice.broker.group.GroupCoordinator#OFFSETS_TOPIC}, partitioned by group, and a materialized view of
 * the latest offset per (group, topic, partition) is kept in the broker store's {@code consumer_offsets} family and
 * rebuilt from the topic when it is lost or behind.
 */
package io.sluice.broker.group;
