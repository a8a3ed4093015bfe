package io.sluice.client.producer;

import io.sluice.proto.record.Header;
import java.util.Objects;

/**
 * A record to send. The arrays are not copied until the record is appended to a batch (during
 * {@link Producer#send}); do not change them before send returns.
 *
 * @param partition the partition, or null to let the partitioner choose (key hash, or sticky for a null key)
 * @param timestamp the record's timestamp in ms, or null for the current time
 * @param headers   the headers, or null for none
 */
public record ProducerRecord(String topic, Integer partition, Long timestamp, byte[] key, byte[] value,
                             Header[] headers) {
    public ProducerRecord {
        Objects.requireNonNull(topic, "topic");
    }

    public ProducerRecord(String topic, byte[] key, byte[] value) {
        this(topic, null, null, key, value, null);
    }

    public ProducerRecord(String topic, Integer partition, byte[] key, byte[] value) {
        this(topic, partition, null, key, value, null);
    }
}
