package io.sluice.client.producer;

/**
 * Where an acknowledged record was written.
 *
 * @param offset    its offset; -1 with acks=0 (no answer) and for a duplicate whose original offset the broker no
 *                  longer knows (DUPLICATE_SEQUENCE)
 * @param timestamp the record's timestamp (the broker's, under log-append time)
 */
public record RecordMetadata(String topic, int partition, long offset, long timestamp) {
}
