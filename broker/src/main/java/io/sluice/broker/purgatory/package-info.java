/**
 * Requests that wait for something to happen: long-polling fetches wait for data, {@code acks=all}
 * produces wait for the high watermark. They park in a {@link io.sluice.broker.purgatory.Purgatory}, watched
 * by the partitions they depend on, and complete when one of them moves or when their time runs out.
 */
package io.sluice.broker.purgatory;
