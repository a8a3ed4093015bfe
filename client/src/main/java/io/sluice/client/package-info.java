/**
 * The Sluice client library: connections, metadata, producer, consumer, admin and the
 * command-line tools. Depends on {@code proto} only; never on the broker.
 */
package io.sluice.client;
