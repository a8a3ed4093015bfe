/**
 * The broker process: its {@link io.sluice.broker.server.BrokerConfig}, the
 * {@link io.sluice.broker.server.SluiceBroker} that wires storage, metadata, request handling and the
 * network together and takes them down in order, and the {@code sluice-broker} command.
 */
package io.sluice.broker.server;
