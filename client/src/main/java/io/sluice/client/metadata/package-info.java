/**
 * Cluster metadata as the client sees it: immutable {@link io.sluice.client.metadata.Cluster} snapshots (brokers,
 * topics, partitions, leaders, epochs) built from Metadata answers.
 */
package io.sluice.client.metadata;
