package io.sluice.broker.metadata;

/** A broker of the cluster and the host and port clients reach it on. */
public record BrokerRecord(int nodeId, String host, int port) {
}
