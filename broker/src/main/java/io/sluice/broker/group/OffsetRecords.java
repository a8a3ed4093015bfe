package io.sluice.broker.group;

import io.sluice.proto.TopicPartition;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The key and value bytes of an offset-commit record in {@value GroupCoordinator#OFFSETS_TOPIC}, big-endian, each
 * starting with a version byte so that other record kinds (group metadata) can share the topic later:
 *
 * <pre>
 *   key   (version 0)  version int8 | group: length int16, UTF-8 | topic: length int16, UTF-8 | partition int32
 *   value (version 0)  version int8 | offset int64 | leaderEpoch int32 | metadata: length int32, UTF-8 |
 *                      commitTimestamp int64
 * </pre>
 *
 * A record with a null value is a tombstone: the offset was deleted. Stateless.
 */
final class OffsetRecords {
    static final byte KEY_VERSION = 0;
    static final byte VALUE_VERSION = 0;

    private OffsetRecords() {
    }

    static byte[] encodeKey(OffsetKey key) {
        byte[] group = key.group().getBytes(StandardCharsets.UTF_8);
        byte[] topic = key.tp().topic().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(1 + 2 + group.length + 2 + topic.length + 4);
        out.put(KEY_VERSION);
        putKeyBody(out, group, topic, key.tp().partition());
        return out.array();
    }

    /** group, topic, partition, without the version: also the tail of the view's keys. */
    static void putKeyBody(ByteBuffer out, byte[] group, byte[] topic, int partition) {
        if (group.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("group id of " + group.length + " bytes is too long");
        }
        out.putShort((short) group.length).put(group).putShort((short) topic.length).put(topic).putInt(partition);
    }

    /** The key, or null when the record is not an offset commit of a version this broker knows. */
    static OffsetKey decodeKey(ByteBuffer key) {
        if (key == null || !key.hasRemaining() || key.get(key.position()) != KEY_VERSION) {
            return null;
        }
        ByteBuffer in = key.duplicate();
        in.get();
        return readKeyBody(in);
    }

    static OffsetKey readKeyBody(ByteBuffer in) {
        String group = readString(in, in.getShort());
        String topic = readString(in, in.getShort());
        return new OffsetKey(group, new TopicPartition(topic, in.getInt()));
    }

    static byte[] encodeValue(OffsetAndMetadata value) {
        byte[] metadata = value.metadata().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + 8 + 4 + 4 + metadata.length + 8)
                .put(VALUE_VERSION)
                .putLong(value.offset())
                .putInt(value.leaderEpoch())
                .putInt(metadata.length).put(metadata)
                .putLong(value.commitTimestamp())
                .array();
    }

    static OffsetAndMetadata decodeValue(ByteBuffer value) {
        ByteBuffer in = value.duplicate();
        byte version = in.get();
        if (version != VALUE_VERSION) {
            throw new IllegalStateException("offset commit value version " + version + " is not supported");
        }
        long offset = in.getLong();
        int leaderEpoch = in.getInt();
        String metadata = readString(in, in.getInt());
        return new OffsetAndMetadata(offset, leaderEpoch, metadata, in.getLong());
    }

    private static String readString(ByteBuffer in, int length) {
        byte[] bytes = new byte[length];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
