package io.sluice.client.tools.console;

import io.sluice.client.consumer.ConsumerRecord;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * How {@code sluice-consume} prints a record: one line, the chosen fields in a fixed order, joined by the separator
 * (a tab by default):
 *
 * <pre>
 * timestamp:1732595485123 SEP partition:0 SEP offset:12 SEP key SEP value
 * </pre>
 *
 * Metadata fields are labelled; the key and the value are written as their raw bytes (UTF-8 text prints as itself),
 * a null key or value as {@code null}. So {@code --print-key --key-separator ,} prints {@code key,value}, which
 * {@code sluice-produce --key-separator ,} reads back. Immutable.
 */
record RecordFormat(boolean timestamp, boolean partition, boolean offset, boolean key, byte[] separator) {
    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

    RecordFormat(boolean timestamp, boolean partition, boolean offset, boolean key, String separator) {
        this(timestamp, partition, offset, key, separator.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code r} and a newline to {@code out}. */
    void print(ConsumerRecord r, PrintStream out) {
        print(r.timestamp(), r.partition(), r.offset(), r.key(), r.value(), out);
    }

    /** Writes a record and a newline to {@code out}; {@code key} and {@code value} may be null. */
    void print(long ts, int partitionNumber, long recordOffset, ByteBuffer keyBytes, ByteBuffer value, PrintStream out) {
        if (timestamp) {
            field(out, "timestamp:" + ts);
        }
        if (partition) {
            field(out, "partition:" + partitionNumber);
        }
        if (offset) {
            field(out, "offset:" + recordOffset);
        }
        if (key) {
            bytes(out, keyBytes);
            out.write(separator, 0, separator.length);
        }
        bytes(out, value);
        out.write('\n');
    }

    private void field(PrintStream out, String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        out.write(b, 0, b.length);
        out.write(separator, 0, separator.length);
    }

    private static void bytes(PrintStream out, ByteBuffer buffer) {
        if (buffer == null) {
            out.write(NULL, 0, NULL.length);
            return;
        }
        byte[] copy = new byte[buffer.remaining()];
        buffer.duplicate().get(copy);
        out.write(copy, 0, copy.length);
    }
}
