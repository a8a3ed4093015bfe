package io.sluice.broker.system;

import io.sluice.broker.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code bin/} script run as a real process, its stdout and stderr in files under the test's directory. System
 * tests use it to start brokers and tools exactly as a user would, and to kill them with SIGKILL.
 *
 * <p>Thread-safety: confined to the test thread.
 */
final class BinProcess implements AutoCloseable {
    /** The repository root: tests run in the broker module's directory. */
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    private final String name;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private BinProcess(String name, Process process, Path stdout, Path stderr) {
        this.name = name;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code bin/<script> args…}; output goes to {@code <dir>/<name>.out|.err} (appended, across restarts). */
    static BinProcess start(Path dir, String name, String script, List<String> args) {
        return start(dir, name, script, args, Map.of());
    }

    /** The same with {@code env} added to the environment (e.g. {@code SLUICE_HEAP_OPTS}). */
    static BinProcess start(Path dir, String name, String script, List<String> args, Map<String, String> env) {
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("bin").resolve(script).toString());
        command.addAll(args);
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(ROOT.toFile())
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
            builder.environment().putAll(env);
            Process p = builder.start();
            return new BinProcess(name, p, out, err);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed or closed. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " survived SIGKILL");
        }
    }

    /** SIGSTOP: the process stops running (no thread runs, sockets stay open) until {@link #resume()}. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        if (!process.isAlive()) {
            throw new AssertionError(this.name + " is not running: cannot send SIG" + name);
        }
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /**
     * SIGTERM and wait for a clean exit; fails (after SIGKILL) when the process is still running after
     * {@code timeout}. Returns the exit code.
     */
    int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError(name + " did not stop within " + timeout + " of SIGTERM\n" + describe());
        }
        return process.exitValue();
    }

    /** Waits for the process to exit and returns its exit code. */
    int await(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " still running after " + timeout + "\n" + describe());
        }
        return process.exitValue();
    }

    String stdout() {
        return read(stdout);
    }

    String stderr() {
        return read(stderr);
    }

    /** The process's output, for assertion messages. */
    String describe() {
        return "--- " + name + " stdout:\n" + tail(stdout()) + "\n--- " + name + " stderr:\n" + tail(stderr());
    }

    /** SIGTERM and wait, so a test leaves nothing running. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            try {
                signal("CONT"); // a paused process would not act on SIGTERM
            } catch (IOException | AssertionError notRunning) {
                // it exited meanwhile, or kill is missing: SIGTERM and SIGKILL below still end it
            }
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Waits until something accepts TCP connections on {@code port}, or fails naming the process's output. */
    void awaitListening(int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + "\n" + describe());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError(name + " not listening on " + port + " after " + timeout + "\n" + describe());
    }

    /** A port free now, below the ephemeral range (see {@link FreePorts}). */
    static int freePort() {
        return FreePorts.next();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String tail(String s) {
        return s.length() <= 4000 ? s : "…" + s.substring(s.length() - 4000);
    }
}
