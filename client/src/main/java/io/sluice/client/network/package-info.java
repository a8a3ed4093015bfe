/**
 * Connections to brokers: {@link io.sluice.client.network.BrokerConnection}, one multiplexed Netty channel per
 * broker, and the {@link io.sluice.client.network.Transport} (event loops, epoll or NIO) it runs on. Used by the
 * client library and by the broker's follower fetcher.
 */
package io.sluice.client.network;
