package io.sluice.client.tools.verify;

import io.sluice.client.tools.ToolException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The file of acknowledged records, text, appended to by every produce or run (so one file can hold several runs):
 *
 * <pre>
 * # sluice-verify acked records: runId(hex) partition offset sequence
 * # run 5c1e0f9a33d2b871 topic orders started 2026-11-26T04:31:25Z
 * 5c1e0f9a33d2b871 0 0 0
 * 5c1e0f9a33d2b871 1 0 1
 * </pre>
 *
 * <p>Crash contract: lines are only ever appended whole and in order, so after a crash every line that ends with a
 * newline is true; the reader ignores a last line without one (the unflushed tail), and the next writer cuts it off
 * before appending its run's header (see {@link Writer}). A writer keeps lines in memory
 * and appends them every {@value #FLUSH_INTERVAL_MS} ms and at {@link Writer#close()}; a crash loses at most that
 * tail of the file, never writes a wrong line. Acknowledged records missing from the file are merely not checked. A
 * failed append stops the writer keeping lines and is reported by {@link Writer#checkHealthy()} and at close.
 */
final class AckFile {
    static final long FLUSH_INTERVAL_MS = 200;
    private static final String FORMAT_LINE = "# sluice-verify acked records: runId(hex) partition offset sequence\n";

    private AckFile() {
    }

    /**
     * Appends one run's acknowledged records. Thread-safe: {@link #ack} from any thread, guarded by the monitor;
     * appending to the file is guarded by the channel (taken before the monitor), so lines reach the file in the
     * order they were noted.
     */
    static final class Writer implements AutoCloseable {
        private final Path path;
        final FileChannel channel; // package-private: tests make it fail
        private final String runHex;
        private final ScheduledExecutorService flusher;
        private StringBuilder pending = new StringBuilder();
        private volatile IOException failure;
        private boolean closed;

        Writer(Path path, long runId, String topic) {
            this(path, runId, topic, null, FLUSH_INTERVAL_MS);
        }

        /** {@code err} (or null) is told when a torn last line is cut off. */
        Writer(Path path, long runId, String topic, PrintStream err) {
            this(path, runId, topic, err, FLUSH_INTERVAL_MS);
        }

        Writer(Path path, long runId, String topic, PrintStream err, long flushIntervalMs) {
            this.path = path;
            this.runHex = hex(runId);
            try {
                cutTornTail(path, err);
                boolean fresh = !Files.exists(path) || Files.size(path) == 0;
                channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
                String header = (fresh ? FORMAT_LINE : "") + "# run " + runHex + " topic " + topic + " started "
                        + Instant.now() + "\n";
                write(header);
            } catch (IOException e) {
                throw new UncheckedIOException(new IOException("cannot write the acked file " + path + ": " + e, e));
            }
            flusher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "sluice-verify-acked-file");
                t.setDaemon(true);
                return t;
            });
            flusher.scheduleWithFixedDelay(this::flushQuietly, flushIntervalMs, flushIntervalMs,
                    TimeUnit.MILLISECONDS);
        }

        /**
         * A writer killed mid-append leaves a last line without a newline, never a complete ack: cut the file back
         * to its last newline, so this run's header starts a line of its own (appended after the fragment, it would
         * glue the two into one line that is no longer the last one, and every later read would reject it).
         */
        private static void cutTornTail(Path path, PrintStream err) throws IOException {
            if (!Files.exists(path)) {
                return;
            }
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long size = ch.size();
                if (size == 0) {
                    return;
                }
                ByteBuffer b = ByteBuffer.allocate(4096);
                long end = size;
                long keep = 0;
                search:
                while (end > 0) {
                    long from = Math.max(0, end - b.capacity());
                    b.clear().limit((int) (end - from));
                    while (b.hasRemaining()) {
                        if (ch.read(b, from + b.position()) < 0) {
                            throw new IOException("the acked file " + path + " shrank while being read");
                        }
                    }
                    for (int i = (int) (end - from) - 1; i >= 0; i--) {
                        if (b.get(i) == '\n') {
                            keep = from + i + 1;
                            break search;
                        }
                    }
                    end = from;
                }
                if (keep == size) {
                    return;
                }
                ch.truncate(keep);
                ch.force(true);
                if (err != null) {
                    err.println("sluice-verify: the last line of " + path + " had no newline (a writer stopped "
                            + "mid-line): cut off its " + (size - keep) + " bytes");
                }
            }
        }

        /** Notes one acknowledged record (appended at the next flush); dropped once appending has failed. */
        synchronized void ack(int partition, long offset, long sequence) {
            if (failure != null) {
                return; // the file is broken: keeping lines that will never be written would only fill memory
            }
            pending.append(runHex).append(' ').append(partition).append(' ').append(offset).append(' ')
                    .append(sequence).append('\n');
        }

        /** Throws the error that stopped appending, if any (the background flush fails quietly until asked). */
        void checkHealthy() throws IOException {
            IOException e = failure;
            if (e != null) {
                throw new IOException("cannot write the acked file " + path + ": " + e.getMessage(), e);
            }
        }

        /** Appends the lines noted so far. */
        void flush() throws IOException {
            synchronized (channel) {
                StringBuilder lines;
                synchronized (this) {
                    if (failure != null) {
                        throw failure;
                    }
                    if (pending.length() == 0) {
                        return;
                    }
                    lines = pending;
                    pending = new StringBuilder(Math.max(16, lines.length()));
                }
                try {
                    write(lines.toString());
                } catch (IOException e) {
                    synchronized (this) {
                        failure = e;
                        pending = new StringBuilder();
                    }
                    throw e;
                }
            }
        }

        private void flushQuietly() {
            try {
                flush();
            } catch (IOException e) {
                // kept in failure: checkHealthy and close report it
            }
        }

        private void write(String text) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        /**
         * Appends the rest, syncs the file and closes it. The background flush is let finish, not interrupted: an
         * interrupt inside {@link FileChannel#write} closes the channel (ClosedByInterruptException) and loses lines.
         */
        @Override
        public void close() throws IOException {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            flusher.shutdown();
            boolean interrupted = false;
            while (true) {
                try {
                    if (flusher.awaitTermination(1, TimeUnit.MINUTES)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true; // finish closing first: the lines noted so far are the run's result
                    continue;
                }
                break; // a write stuck for a minute: flush below waits for it on the channel's lock
            }
            try (channel) {
                flush();
                channel.force(true);
            } catch (IOException e) {
                throw new IOException("cannot write the acked file " + path + ": " + e.getMessage(), e);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    static String hex(long runId) {
        return String.format("%016x", runId);
    }

    /** The longest line read; longer is a damaged file (a record line is under 70 bytes). */
    static final int MAX_LINE = 64 * 1024;

    /**
     * Reads the records of {@code topic} from {@code path}: lines of runs whose header names another topic are
     * skipped (said on {@code err}), a last line without a newline is ignored (said on {@code err}), any other line
     * that does not parse fails with the file and line number. Streams the file: memory is the records kept (see
     * {@link AckedRecords}), not the file's size.
     */
    static AckedRecords read(Path path, String topic, PrintStream err) throws IOException {
        InputStream in;
        try {
            in = Files.newInputStream(path);
        } catch (NoSuchFileException e) {
            throw new IOException("the acked file " + path + " does not exist");
        }
        LineParser parser = new LineParser(path, topic);
        try (in) {
            byte[] buf = new byte[1 << 16];
            byte[] line = new byte[256];
            int len = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b == '\n') {
                        parser.line(line, len);
                        len = 0;
                    } else {
                        if (len == line.length) {
                            if (len >= MAX_LINE) {
                                throw new ToolException(path + ":" + (parser.lineNo + 1) + ": a line longer than "
                                        + MAX_LINE + " bytes");
                            }
                            line = Arrays.copyOf(line, len * 2);
                        }
                        line[len++] = b;
                    }
                }
            }
            if (len > 0) {
                err.println("sluice-verify: the last line of " + path + " (line " + (parser.lineNo + 1)
                        + ") has no newline: ignored (an unflushed tail)");
            }
        }
        parser.skipped.forEach((run, n) -> err.println("sluice-verify: " + n[0] + " acked records of run " + hex(run)
                + " are for topic " + parser.topics.get(run) + ", not " + topic + ": not checked"));
        return parser.acked;
    }

    /** Parses lines in place, without a String per record line: fields split by hand on blanks. */
    private static final class LineParser {
        private final Path path;
        private final String topic;
        final AckedRecords acked = new AckedRecords();
        final Map<Long, String> topics = new HashMap<>();
        final Map<Long, long[]> skipped = new LinkedHashMap<>();
        int lineNo;
        private char[] chars = new char[256];
        private final int[] starts = new int[5];
        private final int[] ends = new int[5];
        // The last record line's run, whether it is checked, and its skip counter: saves a map look-up per line.
        private long lastRun;
        private boolean lastKnown;
        private long[] lastSkipped;

        LineParser(Path path, String topic) {
            this.path = path;
            this.topic = topic;
        }

        void line(byte[] bytes, int len) {
            lineNo++;
            if (chars.length < len) {
                chars = new char[Math.max(len, chars.length * 2)];
            }
            for (int i = 0; i < len; i++) {
                chars[i] = (char) (bytes[i] & 0xff);
            }
            int fields = 0;
            int i = 0;
            while (i < len && fields < starts.length) {
                while (i < len && chars[i] <= ' ') {
                    i++;
                }
                if (i == len) {
                    break;
                }
                starts[fields] = i;
                while (i < len && chars[i] > ' ') {
                    i++;
                }
                ends[fields++] = i;
            }
            if (fields == 0) {
                return;
            }
            if (chars[starts[0]] == '#') {
                header(new String(chars, 0, len).strip());
                return;
            }
            if (fields != 4) {
                throw new ToolException(path + ":" + lineNo + ": expected 'runId partition offset sequence', not '"
                        + text(len) + "'");
            }
            CharSequence cs = CharBuffer.wrap(chars, 0, len);
            long run;
            try {
                if (ends[0] - starts[0] > 16) {
                    throw new NumberFormatException("too long");
                }
                run = Long.parseUnsignedLong(cs, starts[0], ends[0], 16);
            } catch (NumberFormatException e) {
                throw new ToolException(path + ":" + lineNo + ": bad run id '" + cs.subSequence(starts[0], ends[0])
                        + "'");
            }
            if (!lastKnown || run != lastRun) {
                String runTopic = topics.get(run);
                lastRun = run;
                lastKnown = true;
                lastSkipped = runTopic != null && !runTopic.equals(topic)
                        ? skipped.computeIfAbsent(run, r -> new long[1]) : null;
            }
            if (lastSkipped != null) {
                lastSkipped[0]++;
                return;
            }
            try {
                int partition = Integer.parseInt(cs, starts[1], ends[1], 10);
                long offset = Long.parseLong(cs, starts[2], ends[2], 10);
                long sequence = Long.parseLong(cs, starts[3], ends[3], 10);
                if (partition < 0 || offset < 0 || sequence < 0) {
                    throw new NumberFormatException("negative");
                }
                acked.add(partition, offset, run, sequence);
            } catch (NumberFormatException e) {
                throw new ToolException(path + ":" + lineNo + ": bad number in '" + text(len) + "'");
            }
        }

        private String text(int len) {
            return new String(chars, 0, len).strip();
        }

        private void header(String line) {
            String[] f = line.split("\\s+");
            if (f.length >= 5 && f[1].equals("run") && f[3].equals("topic")) {
                long run = parseRun(f[2], path, lineNo);
                topics.put(run, f[4]);
                lastKnown = false;
                if (f[4].equals(topic)) {
                    acked.addRun(run);
                }
            }
        }
    }

    private static long parseRun(String s, Path path, int lineNo) {
        try {
            return Long.parseUnsignedLong(s, 16);
        } catch (NumberFormatException e) {
            throw new ToolException(path + ":" + lineNo + ": bad run id '" + s + "'");
        }
    }
}
