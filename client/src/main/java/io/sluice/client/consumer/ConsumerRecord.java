package io.sluice.client.consumer;

import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.Header;
import io.sluice.proto.record.Record;
import java.nio.ByteBuffer;

/**
 * One fetched record, read in place: {@link #key()} and {@link #value()} are read-only views of the fetched buffer,
 * valid only until the next {@link Consumer#poll} or {@link Consumer#close} (copy what must outlive that).
 */
public final class ConsumerRecord {
    private final TopicPartition partition;
    private final Record record;
    private final int leaderEpoch;

    ConsumerRecord(TopicPartition partition, Record record, int leaderEpoch) {
        this.partition = partition;
        this.record = record;
        this.leaderEpoch = leaderEpoch;
    }

    public String topic() {
        return partition.topic();
    }

    public int partition() {
        return partition.partition();
    }

    public TopicPartition topicPartition() {
        return partition;
    }

    public long offset() {
        return record.offset();
    }

    public long timestamp() {
        return record.timestamp();
    }

    /** The partition leader epoch of the batch holding the record. */
    public int leaderEpoch() {
        return leaderEpoch;
    }

    /** A view of the key, or null. */
    public ByteBuffer key() {
        ByteBuffer key = record.key();
        return key == null ? null : key.asReadOnlyBuffer();
    }

    /** A view of the value, or null. */
    public ByteBuffer value() {
        ByteBuffer value = record.value();
        return value == null ? null : value.asReadOnlyBuffer();
    }

    /** The key's length, -1 for null. */
    public int keySize() {
        return record.keySize();
    }

    /** The value's length, -1 for null. */
    public int valueSize() {
        return record.valueSize();
    }

    /** The headers, decoded (copied) on each call. */
    public Header[] headers() {
        return record.headers();
    }

    @Override
    public String toString() {
        return "ConsumerRecord(" + partition + "@" + offset() + ", timestamp " + timestamp() + ", key " + keySize()
                + " bytes, value " + valueSize() + " bytes)";
    }
}
