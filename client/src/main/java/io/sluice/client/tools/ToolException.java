package io.sluice.client.tools;

/**
 * A failure a tool expected and explains in its message (a file that does not parse, records that did not verify):
 * {@link ToolRunner} prints the message on one line and exits 1, without a stack trace.
 */
public final class ToolException extends RuntimeException {
    public ToolException(String message) {
        super(message);
    }

    public ToolException(String message, Throwable cause) {
        super(message, cause);
    }
}
