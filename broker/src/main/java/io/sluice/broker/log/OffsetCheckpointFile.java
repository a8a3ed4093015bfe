package io.sluice.broker.log;

import io.sluice.proto.TopicPartition;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
 * Written to a temporary file, flushed, and renamed over the old one, so a crash leaves either version. A missing
 * or unreadable file reads as empty, never an error: for recovery points it costs a longer recovery, for high
 * watermarks a slower start of consumers (the followers' fetches raise it again), never data. Lines written by
 * older versions ({@code orders-0 1042}) are read too.
 *
 * <p>Thread-safety: none; each file has one writer (the log manager's scheduler).
 */
public final class OffsetCheckpointFile {
    public static final String RECOVERY_POINTS = "recovery-point-offset-checkpoint";
    public static final String HIGH_WATERMARKS = "replication-offset-checkpoint";
    private static final int VERSION = 0;

    private final Path file;

    public OffsetCheckpointFile(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** The offsets in the file; empty when it is missing or unreadable. */
    public Map<TopicPartition, Long> read() {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        if (!Files.exists(file)) {
            return offsets;
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                return Map.of();
            }
            int count = Integer.parseInt(lines.get(1).trim());
            for (int i = 0; i < count; i++) {
                String[] parts = lines.get(2 + i).trim().split(" ");
                TopicPartition tp = parts.length == 3
                        ? new TopicPartition(parts[0], Integer.parseInt(parts[1]))
                        : TopicPartition.fromDirName(parts[0]);
                if (tp != null) {
                    offsets.put(tp, Long.parseLong(parts[parts.length - 1]));
                }
            }
            return offsets;
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
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
