/**
 * The broker's sockets: the Netty server, one {@link io.sluice.broker.network.RequestChannel} per
 * connection that hands decoded requests to the handler threads in arrival order, and the
 * {@link io.sluice.broker.network.RequestContext} through which a handler answers. Event loops only decode,
 * encode and move bytes; they never touch a log.
 */
package io.sluice.broker.network;
