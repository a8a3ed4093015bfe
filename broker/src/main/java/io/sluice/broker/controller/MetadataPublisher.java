package io.sluice.broker.controller;

import io.sluice.broker.metadata.MetadataListener;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata thread: takes the changes the state machine applied, in log order, publishes each to the
 * {@link PublishedImage}, tells the {@link MetadataListener}s, and then runs what waited for that log index (the
 * futures of the changes this node proposed), so a proposer's future completes after its change is visible and
 * every listener here has seen it.
 *
 * <p>Thread-safety: {@link #publish}, {@link #whenPublished} and {@link #addListener} may be called from any thread;
 * they hand work to the one metadata thread, which owns {@code publishedIndex} and {@code waiters}.
 */
final class MetadataPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetadataPublisher.class);

    private final PublishedImage view;
    private final ExecutorService thread;
    private final CopyOnWriteArrayList<MetadataListener> listeners = new CopyOnWriteArrayList<>();
    /** Metadata thread only. */
    private long publishedIndex = -1;
    /** Metadata thread only: what runs once publishedIndex reaches the key. */
    private final TreeMap<Long, List<Waiter>> waiters = new TreeMap<>();

    private record Waiter(Runnable onPublished, Runnable onClosed) {
    }

    MetadataPublisher(PublishedImage view, String threadName) {
        this.view = view;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    PublishedImage view() {
        return view;
    }

    /** Publishes what the command at {@code logIndex} changed (maybe nothing: a refusal still advances the index). */
    void publish(long logIndex, List<MetadataDelta> deltas) {
        execute(() -> {
            for (MetadataDelta d : deltas) {
                view.apply(d);
                for (MetadataListener l : listeners) {
                    tell(l, d);
                }
            }
            publishedIndex = Math.max(publishedIndex, logIndex);
            Iterator<Map.Entry<Long, List<Waiter>>> it = waiters.headMap(publishedIndex, true).entrySet().iterator();
            while (it.hasNext()) {
                List<Waiter> ready = it.next().getValue();
                it.remove();
                ready.forEach(w -> runSafely(w.onPublished()));
            }
        }, () -> log.warn("metadata thread is stopped; the change at log index {} is not published", logIndex));
    }

    /** Runs {@code action} on the metadata thread once the change at {@code logIndex} is published here. */
    void whenPublished(long logIndex, Runnable action, Runnable ifClosed) {
        execute(() -> {
            if (publishedIndex >= logIndex) {
                runSafely(action);
            } else {
                waiters.computeIfAbsent(logIndex, k -> new ArrayList<>()).add(new Waiter(action, ifClosed));
            }
        }, ifClosed);
    }

    /** Replays every existing topic to {@code listener}, then tells it every later change. */
    CompletableFuture<Void> addListener(MetadataListener listener) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        execute(() -> {
            for (TopicRecord t : view.topics()) {
                List<PartitionRecord> ps = view.partitions(t.name());
                tell(listener, new MetadataDelta.TopicCreated(t, ps));
            }
            listeners.add(listener);
            done.complete(null);
        }, () -> done.completeExceptionally(new IllegalStateException("metadata store is closed")));
        return done;
    }

    void removeListener(MetadataListener listener) {
        listeners.remove(listener);
    }

    private static void tell(MetadataListener l, MetadataDelta d) {
        try {
            if (d instanceof MetadataDelta.TopicCreated t) {
                l.onTopicCreated(t.topic(), t.partitions());
            } else if (d instanceof MetadataDelta.TopicDeleted t) {
                l.onTopicDeleted(t.topic());
            } else if (d instanceof MetadataDelta.PartitionChanged p) {
                l.onPartitionChanged(p.partition());
            }
        } catch (RuntimeException e) {
            log.error("metadata listener {} failed on {}; the change stands and the other listeners are told", l, d, e);
        }
    }

    private static void runSafely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.error("a task waiting for a metadata change failed", e);
        }
    }

    private void execute(Runnable task, Runnable ifClosed) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            ifClosed.run();
        }
    }

    /** Lets queued work finish (bounded), then fails what still waits for an index that will not come here. */
    @Override
    public void close() {
        execute(() -> {
            waiters.values().forEach(ws -> ws.forEach(w -> runSafely(w.onClosed())));
            waiters.clear();
        }, () -> { });
        thread.shutdown();
        try {
            if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("metadata thread did not finish its queued changes in 30 s; stopping it");
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
