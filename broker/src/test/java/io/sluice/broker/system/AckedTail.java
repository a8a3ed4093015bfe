package io.sluice.broker.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Follows a {@code sluice-verify --acked} file as the tool appends to it: counts the acknowledged records (lines
 * {@code runId partition offset sequence}) per partition, reading only what was appended since the last look. The
 * tool appends whole lines every 200 ms, so a count is at most that much behind the acknowledgements.
 *
 * <p>Not thread-safe: confined to the test thread.
 */
final class AckedTail {
    private final Path file;
    private final Map<Integer, Long> perPartition = new HashMap<>();
    private final StringBuilder partial = new StringBuilder();
    private long position;
    private long total;

    AckedTail(Path file) {
        this.file = file;
    }

    /** Reads what was appended and returns the total of acknowledged records so far. */
    long poll() {
        if (!Files.exists(file)) {
            return total;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            while (position < size) {
                ByteBuffer buf = ByteBuffer.allocate((int) Math.min(1 << 20, size - position));
                int n = ch.read(buf, position);
                if (n <= 0) {
                    break;
                }
                position += n;
                partial.append(new String(buf.array(), 0, n, StandardCharsets.US_ASCII));
                int start = 0;
                for (int nl = partial.indexOf("\n"); nl >= 0; nl = partial.indexOf("\n", start)) {
                    line(partial.substring(start, nl));
                    start = nl + 1;
                }
                partial.delete(0, start);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return total;
    }

    private void line(String line) {
        if (line.isBlank() || line.startsWith("#")) {
            return;
        }
        String[] parts = line.split(" ");
        perPartition.merge(Integer.parseInt(parts[1]), 1L, Long::sum);
        total++;
    }

    /** Acknowledged records of {@code partition} seen so far (call {@link #poll()} first). */
    long of(int partition) {
        return perPartition.getOrDefault(partition, 0L);
    }

    long total() {
        return total;
    }
}
