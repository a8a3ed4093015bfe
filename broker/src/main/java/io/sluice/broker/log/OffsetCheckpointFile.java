package io.sluice.broker.log;

import io.sluice.proto.TopicPartition;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A per-log-directory file of one offset per partition, in Kafka's checkpoint format (so its tools and habits
 * carry over): the recovery points ({@value #RECOVERY_POINTS}: below them a log is known to be on the device, so
 * recovery after an unclean stop checks only what follows) and the high watermarks ({@value #HIGH_WATERMARKS}: a
 * replicated partition's committed offset survives a restart, and {@code sluice-log compare} knows where replicas
 * must agree).
 *
 * <pre>
 * 0                 format version
 * 2                 number of entries
 * orders 0 1042     topic, partition and offset, one line each
 * orders 1 977
 * </pre>
 *
 * Written to a temporary file, flushed, and renamed over the old one, so a crash leaves either version. For the
 * broker ({@link #read()}) a missing or unreadable file reads as empty, never an error: for recovery points it costs a longer recovery, for high
 * watermarks a slower start of consumers (the followers' fetches raise it again), never data. Lines written by
 * older versions ({@code orders-0 1042}) are read too. Tools read strictly ({@link #readStrictly()}).
 *
 * <p>Thread-safety: none; each file has one writer (the log manager's scheduler).
 */
public final class OffsetCheckpointFile {
    public static final String RECOVERY_POINTS = "recovery-point-offset-checkpoint";
    public static final String HIGH_WATERMARKS = "replication-offset-checkpoint";
    private static final int VERSION = 0;

    private final Path file;
    /** What the offsets are, for messages: "high watermark", "recovery point" or "offset", and as a field name. */
    private final String valueName;
    private final String fieldName;

    public OffsetCheckpointFile(Path file) {
        this.file = file;
        String name = file.getFileName().toString();
        this.valueName = name.equals(HIGH_WATERMARKS) ? "high watermark"
                : name.equals(RECOVERY_POINTS) ? "recovery point" : "offset";
        this.fieldName = name.equals(HIGH_WATERMARKS) ? "highWatermark"
                : name.equals(RECOVERY_POINTS) ? "recoveryPoint" : "offset";
    }

    /** The high-watermark checkpoint of log directory {@code logDir}. */
    public static OffsetCheckpointFile highWatermarks(Path logDir) {
        return new OffsetCheckpointFile(logDir.resolve(HIGH_WATERMARKS));
    }

    /** The recovery-point checkpoint of log directory {@code logDir}. */
    public static OffsetCheckpointFile recoveryPoints(Path logDir) {
        return new OffsetCheckpointFile(logDir.resolve(RECOVERY_POINTS));
    }

    public Path file() {
        return file;
    }

    /** The offsets in the file, for the broker: empty when it is missing or unreadable (see the class comment). */
    public Map<TopicPartition, Long> read() {
        try {
            return parse(true).orElseGet(HashMap::new);
        } catch (IOException | RuntimeException e) {
            return new HashMap<>();
        }
    }

    /**
     * The offsets in the file, for tools that must not guess: empty when there is no file; a file not in the current
     * format (old two-field lines included) is an {@link IOException} naming the file and line.
     */
    public Optional<Map<TopicPartition, Long>> readStrictly() throws IOException {
        return parse(false);
    }

    private Optional<Map<TopicPartition, Long>> parse(boolean legacyLines) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (lines.size() < 2) {
            throw malformed(lines.size() + 1, "the file ends before the version and entry-count lines");
        }
        int version = number(1, lines.get(0), "format version");
        if (version != VERSION) {
            throw malformed(1, "unknown format version " + version + " (this tool reads version " + VERSION + ")");
        }
        int count = number(2, lines.get(1), "entry count");
        if (count < 0 || lines.size() < 2 + count) {
            throw malformed(2, "the entry count is " + count + " but " + (lines.size() - 2) + " entry lines follow");
        }
        Map<TopicPartition, Long> offsets = new HashMap<>();
        for (int i = 0; i < count; i++) {
            int lineNo = 3 + i;
            String line = lines.get(2 + i);
            String[] parts = line.trim().split(" ");
            TopicPartition tp;
            if (parts.length == 3 && !parts[0].isEmpty()) {
                tp = new TopicPartition(parts[0], number(lineNo, parts[1], "partition"));
            } else if (legacyLines && parts.length == 2 && TopicPartition.fromDirName(parts[0]) != null) {
                tp = TopicPartition.fromDirName(parts[0]);
            } else {
                throw malformed(lineNo, "expected 'topic partition " + fieldName + "', found '" + line + "'");
            }
            long offset;
            try {
                offset = Long.parseLong(parts[parts.length - 1]);
            } catch (NumberFormatException e) {
                throw malformed(lineNo, valueName + " '" + parts[parts.length - 1] + "' is not a number");
            }
            if (tp.partition() < 0 || offset < 0) {
                throw malformed(lineNo, "negative partition or " + valueName);
            }
            offsets.put(tp, offset);
        }
        return Optional.of(offsets);
    }

    private int number(int lineNo, String text, String what) throws IOException {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw malformed(lineNo, what + " '" + text + "' is not a number");
        }
    }

    private IOException malformed(int lineNo, String why) {
        return new IOException(file + " line " + lineNo + ": not a " + file.getFileName().toString().replace('-', ' ')
                + ": " + why);
    }

    /** Replaces the file with {@code offsets}, atomically and durably. */
    public void write(Map<TopicPartition, Long> offsets) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                w.write(VERSION + "\n" + offsets.size() + "\n");
                for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
                    w.write(e.getKey().topic() + " " + e.getKey().partition() + " " + e.getValue() + "\n");
                }
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LogStorageException(file, "writing " + file.getFileName(), e);
        }
    }
}
