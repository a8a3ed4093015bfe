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
 * The file in each log directory that records, per partition, the offset below which the log is known to
 * be on the device, so that recovery after an unclean stop checks only what comes after it.
 *
 * <pre>
 * 0                 format version
 * 2                 number of entries
 * orders-0 1042     topic-partition and recovery point, one line each
 * orders-1 977
 * </pre>
 *
 * Written to a temporary file, flushed, and renamed over the old one, so a crash leaves either version.
 * A missing or unreadable file means "check everything", never an error: it costs time, not data.
 * Thread-safety: callers serialize writes (the log manager's flusher).
 */
final class RecoveryPointCheckpoint {
    static final String FILE_NAME = "recovery-point-offset-checkpoint";
    private static final int VERSION = 0;

    private final Path file;

    RecoveryPointCheckpoint(Path logDir) {
        this.file = logDir.resolve(FILE_NAME);
    }

    Map<TopicPartition, Long> read() {
        Map<TopicPartition, Long> points = new HashMap<>();
        if (!Files.exists(file)) {
            return points;
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                return Map.of();
            }
            int count = Integer.parseInt(lines.get(1).trim());
            for (int i = 0; i < count; i++) {
                String[] parts = lines.get(2 + i).trim().split(" ");
                TopicPartition tp = TopicPartition.fromDirName(parts[0]);
                if (tp != null) {
                    points.put(tp, Long.parseLong(parts[1]));
                }
            }
            return points;
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    void write(Map<TopicPartition, Long> points) {
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                w.write(VERSION + "\n" + points.size() + "\n");
                for (Map.Entry<TopicPartition, Long> e : points.entrySet()) {
                    w.write(e.getKey().dirName() + " " + e.getValue() + "\n");
                }
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LogStorageException(file, "writing recovery points", e);
        }
    }
}
