/**
 * Cluster metadata as the request handlers see it: topics, their partitions' leaders and replicas, brokers, the
 * cluster id and producer-id blocks, behind the narrow {@link io.sluice.broker.metadata.MetadataStore}. Today a
 * single node keeps it in the {@link io.sluice.broker.state.BrokerStore} ({@link
 * io.sluice.broker.metadata.LocalMetadataStore}); the replication work puts a Ratis state machine behind the same
 * interface.
 */
package io.sluice.broker.metadata;
