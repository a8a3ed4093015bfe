package io.sluice.broker.log;

import java.nio.file.Path;

/**
 * Bytes on disk that are not what the log wrote: a batch that fails its CRC or framing, or offsets that
 * go backwards, found where the log has no right to repair them (below the recovery point, or while
 * serving a read). Never served and never skipped: the caller decides whether to fail the partition.
 */
public final class LogCorruptionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long position;

    public LogCorruptionException(Path file, long position, String problem, Throwable cause) {
        super(file + " at position " + position + ": " + problem, cause);
        this.file = file;
        this.position = position;
    }

    public LogCorruptionException(Path file, long position, String problem) {
        this(file, position, problem, null);
    }

    public Path file() {
        return file;
    }

    public long position() {
        return position;
    }
}
