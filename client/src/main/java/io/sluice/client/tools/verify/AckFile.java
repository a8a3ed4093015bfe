package io.sluice.client.tools.verify;

import io.sluice.client.tools.ToolException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
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
 * newline is true; the reader ignores a last line without one (the unflushed tail). A writer keeps lines in memory
 * and appends them every {@value #FLUSH_INTERVAL_MS} ms and at {@link Writer#close()}; a crash loses at most that
 * tail of the file, never writes a wrong line. Acknowledged records missing from the file are merely not checked.
 */
final class AckFile {
    static final long FLUSH_INTERVAL_MS = 200;
    private static final String FORMAT_LINE = "# sluice-verify acked records: runId(hex) partition offset sequence\n";

    private AckFile() {
    }

    /** Appends one run's acknowledged records. Thread-safe: {@link #ack} from any thread, guarded by the monitor. */
    static final class Writer implements AutoCloseable {
        private final Path path;
        private final FileChannel channel;
        private final String runHex;
        private final ScheduledExecutorService flusher;
        private StringBuilder pending = new StringBuilder();
        private IOException failure;
        private boolean closed;

        Writer(Path path, long runId, String topic) {
            this.path = path;
            this.runHex = hex(runId);
            try {
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
            flusher.scheduleWithFixedDelay(this::flushQuietly, FLUSH_INTERVAL_MS, FLUSH_INTERVAL_MS,
                    TimeUnit.MILLISECONDS);
        }

        /** Notes one acknowledged record (appended at the next flush). */
        synchronized void ack(int partition, long offset, long sequence) {
            pending.append(runHex).append(' ').append(partition).append(' ').append(offset).append(' ')
                    .append(sequence).append('\n');
        }

        /** Appends the lines noted so far. */
        void flush() throws IOException {
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
            synchronized (channel) {
                write(lines.toString());
            }
        }

        private void flushQuietly() {
            try {
                flush();
            } catch (IOException e) {
                synchronized (this) {
                    failure = e;
                }
            }
        }

        private void write(String text) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        /** Appends the rest, syncs the file and closes it. */
        @Override
        public void close() throws IOException {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            flusher.shutdownNow();
            try {
                flusher.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try (channel) {
                flush();
                channel.force(true);
            } catch (IOException e) {
                throw new IOException("cannot write the acked file " + path + ": " + e.getMessage(), e);
            }
        }
    }

    static String hex(long runId) {
        return String.format("%016x", runId);
    }

    /**
     * Reads the records of {@code topic} from {@code path}: lines of runs whose header names another topic are
     * skipped (said on {@code err}), a last line without a newline is ignored (said on {@code err}), any other line
     * that does not parse fails with the file and line number.
     */
    static AckedRecords read(Path path, String topic, PrintStream err) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new IOException("the acked file " + path + " does not exist");
        }
        String text = new String(bytes, StandardCharsets.US_ASCII);
        AckedRecords acked = new AckedRecords();
        Map<Long, String> topics = new HashMap<>();
        Map<Long, Long> skipped = new HashMap<>();
        int lineNo = 0;
        int at = 0;
        while (at < text.length()) {
            int nl = text.indexOf('\n', at);
            lineNo++;
            if (nl < 0) {
                err.println("sluice-verify: the last line of " + path + " (line " + lineNo
                        + ") has no newline: ignored (an unflushed tail)");
                break;
            }
            String line = text.substring(at, nl).strip();
            at = nl + 1;
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (line.startsWith("#")) {
                if (f.length >= 5 && f[1].equals("run") && f[3].equals("topic")) {
                    long run = parseRun(f[2], path, lineNo);
                    topics.put(run, f[4]);
                    if (f[4].equals(topic)) {
                        acked.addRun(run);
                    }
                }
                continue;
            }
            if (f.length != 4) {
                throw new ToolException(path + ":" + lineNo + ": expected 'runId partition offset sequence', not '"
                        + line + "'");
            }
            long run = parseRun(f[0], path, lineNo);
            String runTopic = topics.get(run);
            if (runTopic != null && !runTopic.equals(topic)) {
                skipped.merge(run, 1L, Long::sum);
                continue;
            }
            try {
                int partition = Integer.parseInt(f[1]);
                long offset = Long.parseLong(f[2]);
                long sequence = Long.parseLong(f[3]);
                if (partition < 0 || offset < 0 || sequence < 0) {
                    throw new NumberFormatException("negative");
                }
                acked.add(partition, offset, run, sequence);
            } catch (NumberFormatException e) {
                throw new ToolException(path + ":" + lineNo + ": bad number in '" + line + "'");
            }
        }
        skipped.forEach((run, n) -> err.println("sluice-verify: " + n + " acked records of run " + hex(run)
                + " are for topic " + topics.get(run) + ", not " + topic + ": not checked"));
        return acked;
    }

    private static long parseRun(String s, Path path, int lineNo) {
        try {
            return Long.parseUnsignedLong(s, 16);
        } catch (NumberFormatException e) {
            throw new ToolException(path + ":" + lineNo + ": bad run id '" + s + "'");
        }
    }
}
