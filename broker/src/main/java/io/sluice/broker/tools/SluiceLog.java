package io.sluice.broker.tools;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import picocli.CommandLine;

/** Entry point of {@code bin/sluice-log}; see {@link LogDumpCommand}. */
public final class SluiceLog {
    private SluiceLog() {
    }

    public static void main(String[] args) {
        CommandLine cmd = LogDumpCommand.newCommandLine();
        // A dump can be millions of lines: buffer stdout rather than flush on every line (picocli's default).
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out), 1 << 16), false);
        cmd.setOut(out);
        int code = cmd.execute(args);
        out.flush();
        System.exit(code);
    }
}
