package io.sluice.broker.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * An I/O failure of a log file or directory (disk full, permissions, a file that vanished), always
 * naming the path and what the log was doing.
 */
public final class LogStorageException extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    public LogStorageException(Path path, String action, IOException cause) {
        super(path + ": " + action + " failed: " + describe(cause), cause);
    }

    private static String describe(IOException e) {
        String msg = e.getMessage();
        String type = e.getClass().getSimpleName();
        return msg == null ? type : type + " " + msg;
    }
}
