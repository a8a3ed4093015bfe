/**
 * The producer: {@link io.sluice.client.producer.Producer}, its {@link io.sluice.client.producer.ProducerConfig}
 * (Kafka's keys and defaults), per-partition batch accumulation into pooled direct buffers, Kafka's key partitioner
 * and the sender that ships batches and retries them with idempotent sequences.
 */
package io.sluice.client.producer;
