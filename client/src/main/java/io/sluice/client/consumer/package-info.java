/**
 * The consumer: {@link io.sluice.client.consumer.Consumer} (assign, seek, poll, commit), its
 * {@link io.sluice.client.consumer.ConsumerConfig}, in-place {@link io.sluice.client.consumer.ConsumerRecords}, and
 * the verification of everything fetched: CRC32C, contiguous offsets, non-decreasing leader epochs.
 */
package io.sluice.client.consumer;
