package io.sluice.broker.tools;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * Where a dump writes its lines, and the count of problems it reported. Problems and notes go to the same
 * stream as the batches, so each one appears next to the data it is about. Not thread-safe.
 */
final class DumpReport {
    private final PrintWriter out;
    private int problems;

    DumpReport(PrintWriter out) {
        this.out = out;
    }

    void line(String text) {
        out.println(text);
    }

    /**
     * An inconsistency: {@code where} locates it in {@code file} ("position=… offset=…", "entry=…"), or is
     * empty when the whole file is meant.
     */
    void problem(Path file, String where, String message) {
        problems++;
        out.println("PROBLEM " + file + (where.isEmpty() ? "" : " " + where) + ": " + message);
    }

    /** Something worth knowing that is not an inconsistency (a file skipped, a segment that grew meanwhile). */
    void note(Path file, String message) {
        out.println("note: " + file + ": " + message);
    }

    int problems() {
        return problems;
    }

    /** False once the output can no longer be written (e.g. piped to {@code head}, which exited). */
    boolean outputOk() {
        return !out.checkError();
    }

    static String where(long position, long offset) {
        return "position=" + position + " offset=" + offset;
    }
}
