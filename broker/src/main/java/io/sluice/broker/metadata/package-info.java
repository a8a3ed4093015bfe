/**
 * Cluster metadata as the request handlers see it: topics, their partitions' leaders and replicas, brokers, the
 * cluster id and producer-id blocks, behind the narrow {@link io.sluice.broker.metadata.MetadataStore}, plus the
 * rules a topic must follow ({@link io.sluice.broker.metadata.Topics}) and the store's record layout
 * ({@link io.sluice.broker.metadata.MetadataCodec}). The store is the controller quorum's
 * ({@link io.sluice.broker.controller.QuorumMetadataStore}), on every node, a single one included.
 */
package io.sluice.broker.metadata;
