package io.sluice.broker.metadata;

import io.sluice.proto.TopicPartition;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keys and values of the metadata image in the store's {@code metadata} family. Values start with a version byte so
 * that a later format can still read these. Keys:
 *
 * <pre>
 *   topic/&lt;name&gt;                 TopicRecord
 *   partition/&lt;name&gt;/&lt;n&gt;         PartitionRecord  ('/' is not a legal topic character, so the prefix is exact)
 *   cluster.id                   UTF-8 string
 *   producer.id.next             int64, the first producer id never handed out
 * </pre>
 */
public final class MetadataCodec {
    static final byte VERSION = 0;
    public static final String TOPIC_PREFIX = "topic/";
    public static final String PARTITION_PREFIX = "partition/";
    public static final byte[] CLUSTER_ID_KEY = bytes("cluster.id");
    public static final byte[] NEXT_PRODUCER_ID_KEY = bytes("producer.id.next");

    private MetadataCodec() {
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] topicKey(String name) {
        return bytes(TOPIC_PREFIX + name);
    }

    public static byte[] partitionPrefix(String topic) {
        return bytes(PARTITION_PREFIX + topic + "/");
    }

    public static byte[] partitionKey(TopicPartition tp) {
        return bytes(PARTITION_PREFIX + tp.topic() + "/" + tp.partition());
    }

    public static byte[] encodeTopic(TopicRecord t) {
        return write(out -> {
            out.writeUTF(t.name());
            out.writeUTF(t.topicId());
            out.writeInt(t.partitions());
            out.writeInt(t.replicationFactor());
            out.writeBoolean(t.internal());
            Map<String, String> sorted = new TreeMap<>(t.configs());
            out.writeInt(sorted.size());
            for (Map.Entry<String, String> e : sorted.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
        });
    }

    public static TopicRecord decodeTopic(byte[] value) {
        return read(value, in -> {
            String name = in.readUTF();
            String id = in.readUTF();
            int partitions = in.readInt();
            int rf = in.readInt();
            boolean internal = in.readBoolean();
            int n = in.readInt();
            Map<String, String> configs = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                configs.put(in.readUTF(), in.readUTF());
            }
            return new TopicRecord(name, id, partitions, rf, configs, internal);
        });
    }

    public static byte[] encodePartition(PartitionRecord p) {
        return write(out -> {
            out.writeUTF(p.tp().topic());
            out.writeInt(p.tp().partition());
            out.writeInt(p.leaderId());
            out.writeInt(p.leaderEpoch());
            writeInts(out, p.replicas());
            writeInts(out, p.isr());
            out.writeInt(p.partitionEpoch());
        });
    }

    public static PartitionRecord decodePartition(byte[] value) {
        return read(value, in -> new PartitionRecord(new TopicPartition(in.readUTF(), in.readInt()), in.readInt(),
                in.readInt(), readInts(in), readInts(in), in.readInt()));
    }

    private static void writeInts(DataOutputStream out, List<Integer> ints) throws IOException {
        out.writeInt(ints.size());
        for (int i : ints) {
            out.writeInt(i);
        }
    }

    private static List<Integer> readInts(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<Integer> ints = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ints.add(in.readInt());
        }
        return ints;
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    private static byte[] write(Writer writer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            writer.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    private static <T> T read(byte[] value, Reader<T> reader) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
            byte version = in.readByte();
            if (version != VERSION) {
                throw new IllegalStateException("metadata record version " + version + " is not supported (known: "
                        + VERSION + ")");
            }
            return reader.read(in);
        } catch (IOException e) {
            throw new IllegalStateException("metadata record of " + value.length + " bytes is truncated", e);
        }
    }
}
