package io.sluice.broker.group;

import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.state.KeyValue;
import io.sluice.broker.state.StoreBatch;
import io.sluice.broker.state.StoreFamily;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The materialized view of committed offsets in the {@link BrokerStore}'s {@code consumer_offsets} family: the latest
 * commit per (group, topic, partition), and per offsets partition the last log offset applied to the view. Each
 * change writes both in one atomic batch, so the view is always exactly the log's prefix up to the applied offset.
 * Not synced: a view lost in a machine crash is rebuilt from the log. Keys, big-endian:
 *
 * <pre>
 *   'o' | offsetsPartition int32 | group: length int16, UTF-8 | topic: length int16, UTF-8 | partition int32
 *                                                                       → the commit, as {@link OffsetRecords} encodes it
 *   'a' | offsetsPartition int32                                       → applied log offset int64
 * </pre>
 *
 * Length prefixes keep a group's prefix from matching a longer group's keys. Thread-safe (the store is); the
 * coordinator thread is its only writer.
 */
final class OffsetsView {
    private static final byte OFFSET = 'o';
    private static final byte APPLIED = 'a';

    private final BrokerStore store;

    OffsetsView(BrokerStore store) {
        this.store = store;
    }

    /** The last log offset of {@code offsetsPartition} applied to the view; empty when the view has none for it. */
    OptionalLong applied(int offsetsPartition) {
        byte[] value = store.get(StoreFamily.CONSUMER_OFFSETS, appliedKey(offsetsPartition));
        return value == null ? OptionalLong.empty() : OptionalLong.of(ByteBuffer.wrap(value).getLong());
    }

    /** The group's commits, in key order. */
    Map<OffsetKey, OffsetAndMetadata> group(int offsetsPartition, String group) {
        Map<OffsetKey, OffsetAndMetadata> out = new LinkedHashMap<>();
        for (KeyValue kv : store.scan(StoreFamily.CONSUMER_OFFSETS, groupPrefix(offsetsPartition, group))) {
            ByteBuffer key = ByteBuffer.wrap(kv.key(), 5, kv.key().length - 5);
            out.put(OffsetRecords.readKeyBody(key), OffsetRecords.decodeValue(ByteBuffer.wrap(kv.value())));
        }
        return out;
    }

    void put(StoreBatch batch, int offsetsPartition, OffsetKey key, OffsetAndMetadata value) {
        batch.put(StoreFamily.CONSUMER_OFFSETS, offsetKey(offsetsPartition, key), OffsetRecords.encodeValue(value));
    }

    void remove(StoreBatch batch, int offsetsPartition, OffsetKey key) {
        batch.delete(StoreFamily.CONSUMER_OFFSETS, offsetKey(offsetsPartition, key));
    }

    void setApplied(StoreBatch batch, int offsetsPartition, long appliedOffset) {
        batch.put(StoreFamily.CONSUMER_OFFSETS, appliedKey(offsetsPartition),
                ByteBuffer.allocate(Long.BYTES).putLong(appliedOffset).array());
    }

    /** Drops everything the view holds for {@code offsetsPartition}, its applied offset included. */
    void clear(StoreBatch batch, int offsetsPartition) {
        batch.deletePrefix(StoreFamily.CONSUMER_OFFSETS, ByteBuffer.allocate(5).put(OFFSET).putInt(offsetsPartition).array());
        batch.delete(StoreFamily.CONSUMER_OFFSETS, appliedKey(offsetsPartition));
    }

    void write(StoreBatch batch) {
        store.write(batch);
    }

    private static byte[] appliedKey(int offsetsPartition) {
        return ByteBuffer.allocate(5).put(APPLIED).putInt(offsetsPartition).array();
    }

    private static byte[] groupPrefix(int offsetsPartition, String group) {
        byte[] g = group.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(5 + 2 + g.length).put(OFFSET).putInt(offsetsPartition).putShort((short) g.length)
                .put(g).array();
    }

    private static byte[] offsetKey(int offsetsPartition, OffsetKey key) {
        byte[] group = key.group().getBytes(StandardCharsets.UTF_8);
        byte[] topic = key.tp().topic().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(5 + 2 + group.length + 2 + topic.length + 4);
        out.put(OFFSET).putInt(offsetsPartition);
        OffsetRecords.putKeyBody(out, group, topic, key.tp().partition());
        return out.array();
    }
}
