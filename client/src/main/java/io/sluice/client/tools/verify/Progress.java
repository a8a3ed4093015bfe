package io.sluice.client.tools.verify;

import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Prints a progress line on stderr every {@value #INTERVAL_MS} ms from a daemon thread until closed. */
final class Progress implements AutoCloseable {
    static final long INTERVAL_MS = 5000;

    private final ScheduledExecutorService timer;

    Progress(PrintStream err, Supplier<String> line) {
        long start = System.nanoTime();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-verify-progress");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> err.println("sluice-verify: " + (System.nanoTime() - start) / 1_000_000_000L
                + " s: " + line.get()), INTERVAL_MS, INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
