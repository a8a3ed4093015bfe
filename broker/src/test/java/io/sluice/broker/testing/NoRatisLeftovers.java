package io.sluice.broker.testing;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class after which a controller quorum member is still running: a Ratis server that outlives its
 * broker keeps talking to its old peers' ports, and a later cluster that reuses one of them under the same group
 * can be held off from electing a leader. Registered for every test through {@code META-INF/services}; Ratis names
 * a server's threads {@code <peer>@group-<id>-…}.
 */
public final class NoRatisLeftovers implements AfterAllCallback {
    private static final long GRACE_MS = 10_000;
    /** Leftovers already blamed on an earlier class: a later class is failed only for threads of its own. */
    private static final java.util.Set<String> REPORTED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
        List<String> left = fresh(ratisThreads());
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            left = fresh(ratisThreads());
        }
        if (!left.isEmpty()) {
            REPORTED.addAll(left);
            throw new AssertionError(context.getDisplayName() + " left controller quorum (Ratis) threads running "
                    + GRACE_MS + " ms after it ended: " + left);
        }
    }

    private static List<String> fresh(List<String> threads) {
        return threads.stream().filter(n -> !REPORTED.contains(n)).toList();
    }

    private static List<String> ratisThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(t -> t.getName() + "#" + t.getId())
                .filter(n -> n.contains("@group-"))
                .sorted()
                .toList();
    }
}
