/**
 * {@code sluice-produce} and {@code sluice-consume}: lines of stdin to records, records to lines of stdout, in the
 * manner of Kafka's console producer and consumer.
 */
package io.sluice.client.tools.console;
