package io.sluice.broker.tools;

import io.sluice.proto.TopicPartition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a log directory's {@code replication-offset-checkpoint}: the high watermark of every partition in the
 * directory, as the broker last checkpointed it. Kafka's format, text, one entry a line, fields separated by one
 * space:
 *
 * <pre>
 * 0                 format version
 * 2                 number of entries
 * orders 0 1042     topic, partition, high watermark
 * orders 1 977
 * </pre>
 *
 * <p>A checkpoint lags the live high watermark (it is written every few seconds and at a clean stop), so it is a
 * safe lower bound of what the replica had committed. The reader is strict: a file that does not follow the format is
 * an {@link IOException} naming the file and line, never a guess. Immutable once read.
 */
record ReplicationOffsetCheckpoint(Path file, Map<TopicPartition, Long> highWatermarks) {
    static final String FILE_NAME = "replication-offset-checkpoint";
    private static final int VERSION = 0;

    /** The checkpoint of {@code logDir}, or empty when it has none (a broker that never wrote one). */
    static Optional<ReplicationOffsetCheckpoint> read(Path logDir) throws IOException {
        Path file = logDir.resolve(FILE_NAME);
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (lines.size() < 2) {
            throw malformed(file, lines.size() + 1, "the file ends before the version and entry-count lines");
        }
        int version = number(file, 1, lines.get(0), "format version");
        if (version != VERSION) {
            throw malformed(file, 1, "unknown format version " + version + " (this tool reads version " + VERSION + ")");
        }
        int count = number(file, 2, lines.get(1), "entry count");
        if (count < 0 || lines.size() < 2 + count) {
            throw malformed(file, 2, "the entry count is " + count + " but " + (lines.size() - 2) + " entry lines follow");
        }
        Map<TopicPartition, Long> hws = new HashMap<>();
        for (int i = 0; i < count; i++) {
            int lineNo = 3 + i;
            String[] parts = lines.get(2 + i).split(" ");
            if (parts.length != 3 || parts[0].isEmpty()) {
                throw malformed(file, lineNo, "expected 'topic partition highWatermark', found '" + lines.get(2 + i) + "'");
            }
            int partition = number(file, lineNo, parts[1], "partition");
            long hw;
            try {
                hw = Long.parseLong(parts[2]);
            } catch (NumberFormatException e) {
                throw malformed(file, lineNo, "high watermark '" + parts[2] + "' is not a number");
            }
            if (partition < 0 || hw < 0) {
                throw malformed(file, lineNo, "negative partition or high watermark");
            }
            hws.put(new TopicPartition(parts[0], partition), hw);
        }
        return Optional.of(new ReplicationOffsetCheckpoint(file, Map.copyOf(hws)));
    }

    Optional<Long> highWatermark(TopicPartition tp) {
        return Optional.ofNullable(highWatermarks.get(tp));
    }

    private static int number(Path file, int lineNo, String text, String what) throws IOException {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw malformed(file, lineNo, what + " '" + text + "' is not a number");
        }
    }

    private static IOException malformed(Path file, int lineNo, String why) {
        return new IOException(file + " line " + lineNo + ": not a replication offset checkpoint: " + why);
    }
}
