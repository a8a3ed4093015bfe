package io.sluice.broker.log;

/** The log was closed (its partition deleted, or the broker stopping) while it was being read. */
public final class LogClosedException extends RuntimeException {
    public LogClosedException(String log) {
        super(log + ": the log is closed (the partition was deleted or the broker is stopping)");
    }
}
