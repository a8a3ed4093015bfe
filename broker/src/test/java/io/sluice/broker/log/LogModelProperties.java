package io.sluice.broker.log;

import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.CorruptRecordException;
import io.sluice.proto.record.Header;
import io.sluice.proto.record.Record;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatchBuilder;
import io.sluice.proto.record.RecordBatches;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;

/**
 * Holds a {@link Log} against {@link LogModel} (whose javadoc states the rules) over random sequences of up to 60
 * actions: appends (leader, follower, at the wrong offset, with a corrupt batch, too large), reads (any start, tiny
 * to unlimited maxBytes, maxOffset at the end, inside a batch, on a boundary or below the start; out of range),
 * rolls, truncations (inside, on a boundary, to or below the start, past the end), retention by bytes and by time,
 * clock steps, timestamp lookups, flushes, clean restarts (some after losing index files) and kills (some with a
 * torn write after the last batch, some with segments whose seal never ran, with recovery points from the log's
 * down to zero).
 *
 * <p>Checked after every action: log start and end, the segments (bases, sizes, next offsets, reference counts,
 * and with the same-thread executor the files in the directory) against the model; after every action that
 * reshapes the log (truncation, retention, restart, kill) and at the end of each try, every record, by reading the
 * whole log back (each batch's CRC and framing, offsets, epoch, timestamps, keys, values, headers); at the end of
 * each try, that nothing of the directory is still open or mapped.
 *
 * <p>Each try gets its own temporary directory (deleted at the end), its own {@link ManualClock}, and runs the log's
 * background work one of three ways ({@link Background}): on the calling thread (deterministic), on a real
 * two-thread pool (shut down at the end of the try), or deferred until a {@link RunBackground} action runs queued
 * tasks in an order it picks (deterministic interleavings that shrink well; a kill drops what is queued). A failure's
 * message carries the trace of the concrete calls made, in order; a shrunk counterexample is the list of actions.
 *
 * <p>Bugs this property found are pinned, one plain JUnit test each, in {@link LogModelRegressionTest}.
 */
class LogModelProperties {
    private static final long START_MS = 1_700_000_000_000L;
    private static final TopicPartition TP = new TopicPartition("model", 0);

    /** Tries: jqwik.tries.default, 500 in src/test/resources/junit-platform.properties; raise it for a deep run. */
    @Property(edgeCases = EdgeCasesMode.NONE)
    void logAgreesWithModel(@ForAll("tryConfigs") TryConfig config, @ForAll("actionLists") List<Action> actions)
            throws Exception {
        try (Run run = new Run(config)) {
            for (int i = 0; i < actions.size(); i++) {
                run.step(i, actions.get(i));
            }
            run.finish();
            run.collectStatistics(actions.size());
        }
    }

    // ================================================================ generators

    /** Where the log's background work (seals, prefill, next-file preparation) runs. */
    enum Background {
        /** On the calling thread, at once: deterministic, every check is exact. */
        SAME_THREAD,
        /** On a real two-thread pool: real races, seals and fills overlap the writer. */
        POOL,
        /**
         * Queued until a {@link RunBackground} action runs some of them, in an order it picks: deterministic and
         * shrinkable interleavings; a crash drops whatever is still queued, as a kill would.
         */
        DEFERRED
    }

    /** A try's log settings, and where background work runs. */
    record TryConfig(int segmentBytes, int segmentIndexBytes, int indexIntervalBytes, int prefillBytes,
                     long segmentMs, Background background) {
        LogConfig logConfig() {
            return LogConfig.DEFAULT.withSegmentBytes(segmentBytes).withSegmentIndexBytes(segmentIndexBytes)
                    .withIndexIntervalBytes(indexIntervalBytes).withPrefillBytes(prefillBytes).withSegmentMs(segmentMs)
                    .withRetention(-1, -1);
        }
    }

    @Provide
    Arbitrary<TryConfig> tryConfigs() {
        Arbitrary<Integer> segmentBytes = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(4096)),
                Tuple.of(4, Arbitraries.integers().between(4096, 8192)),
                Tuple.of(3, Arbitraries.integers().between(8193, 16384)),
                Tuple.of(2, Arbitraries.integers().between(16385, 65536)),
                Tuple.of(1, Arbitraries.integers().between(65537, 262144)));
        Arbitrary<Integer> indexBytes = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(64)),
                Tuple.of(5, Arbitraries.integers().between(64, 256)),
                Tuple.of(2, Arbitraries.integers().between(257, 4096)));
        Arbitrary<Integer> interval = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(0)),
                Tuple.of(5, Arbitraries.integers().between(1, 512)),
                Tuple.of(3, Arbitraries.integers().between(513, 2048)));
        Arbitrary<Integer> prefill = Arbitraries.of(0, 1 << 20);
        Arbitrary<Long> segmentMs = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(7L * 24 * 3600 * 1000)),
                Tuple.of(1, Arbitraries.longs().between(1_000, 30_000)));
        Arbitrary<Background> background = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(Background.SAME_THREAD)),
                Tuple.of(3, Arbitraries.just(Background.POOL)),
                Tuple.of(3, Arbitraries.just(Background.DEFERRED)));
        return Combinators.combine(segmentBytes, indexBytes, interval, prefill, segmentMs, background).as(TryConfig::new);
    }

    @Provide
    Arbitrary<List<Action>> actionLists() {
        // Uniform lengths: jqwik's default favours short lists, and most bugs need a few segments first.
        return action().list().ofMinSize(1).ofMaxSize(60).withSizeDistribution(RandomDistribution.uniform());
    }

    sealed interface Action permits Append, FollowerAppend, InvalidAppend, Read, ReadOutOfRange, HoldRead,
            ReleaseHeld, Roll, Truncate, Retention, AdvanceClock, OffsetForTimestamp, Flush, CloseReopen, Crash,
            RunBackground {
    }

    /** One batch to build: its record count, the largest value, and the seed of its contents. */
    record BatchSpec(int records, int maxValueSize, long seed) {
        @Override
        public String toString() {
            return records + "x" + maxValueSize + "#" + seed;
        }
    }

    record Append(List<BatchSpec> batches, boolean newEpoch) implements Action {
    }

    /** Batches with offsets already set, as a follower appends them; {@code skew} != 0 puts them at the wrong offset. */
    record FollowerAppend(List<BatchSpec> batches, int skew) implements Action {
    }

    /** A request in which batch {@code corrupt} has a flipped byte under its CRC. */
    record InvalidAppend(List<BatchSpec> batches, int corrupt, int flipAt) implements Action {
    }

    /**
     * A read; offsets are chosen when it runs, from the log's range. startMode 0: anywhere, 1: a batch boundary,
     * 2: the log end. maxBytesMode 0: tiny, 1: a few KiB, 2: unlimited. maxOffsetMode 0: the log end, 1: anywhere
     * from the start on, 2: a batch boundary, 3: below the start.
     */
    record Read(int startMode, int startPermille, int maxBytesMode, int maxBytes, int maxOffsetMode,
                int maxOffsetPermille) implements Action {
    }

    record ReadOutOfRange(boolean below, int distance) implements Action {
    }

    /**
     * A read whose slice stays open (a fetch still sending it) until {@link ReleaseHeld}, or until an action that cuts
     * a segment in place or closes the log.
     */
    record HoldRead(int startPermille, int maxBytes) implements Action {
    }

    record ReleaseHeld() implements Action {
    }

    record Roll() implements Action {
    }

    /** mode 0: inside the log, 1: a batch boundary, 2: at or below the log start, 3: at or past the log end. */
    record Truncate(int mode, int permille) implements Action {
    }

    /** bytesMode 0: off, 1: a size, 2: half the log; msMode 0: off, 1: a duration. */
    record Retention(int bytesMode, int bytes, int msMode, int ms) implements Action {
    }

    record AdvanceClock(long ms) implements Action {
    }

    /** mode 0: a record's timestamp, 1: one more, 2: one less, 3: below all, 4: above all. */
    record OffsetForTimestamp(int mode, int permille) implements Action {
    }

    record Flush() implements Action {
    }

    /**
     * Lets background work run: with {@link Background#DEFERRED}, up to {@code tasks} queued tasks, each picked at
     * queue index {@code pick % size} (so not necessarily in submission order); with a pool, until it is idle.
     */
    record RunBackground(int tasks, int pick) implements Action {
    }

    /** damage 0: none, 1: one segment's index files deleted, 2: all deleted, 3: one offset index cut mid-entry. */
    record CloseReopen(int damage, int permille) implements Action {
    }

    /**
     * A kill: {@link Log#closeUncleanly()}, then optionally a torn write after the last batch (torn 0: none,
     * 1: random bytes, 2: a prefix of the next batch, 3: the next batch with a byte flipped, 4: a copy of an old
     * batch), optionally the segments from one on left as if their seal never ran (unsealed), then an unclean open
     * with a recovery point (rpMode 0: the log's before the kill, 1: lower, 2: zero, 3: the log's once the
     * background work is done). A recovery point is never above what the log reported: a broker restarts from a
     * checkpoint of it.
     */
    record Crash(int rpMode, int rpPermille, int torn, int tornLength, long tornSeed, boolean unsealed,
                 int unsealPermille) implements Action {
    }

    private Arbitrary<BatchSpec> batchSpec() {
        Arbitrary<Integer> records = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(1, 3)),
                Tuple.of(3, Arbitraries.integers().between(4, 20)),
                Tuple.of(1, Arbitraries.integers().between(21, 100)));
        Arbitrary<Integer> maxValue = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(0, 64)),
                Tuple.of(3, Arbitraries.integers().between(65, 1024)),
                Tuple.of(1, Arbitraries.integers().between(1025, 6000)));
        return Combinators.combine(records, maxValue, Arbitraries.longs())
                .as((r, v, seed) -> new BatchSpec(r, Math.min(v, 12_000 / r), seed));
    }

    private Arbitrary<List<BatchSpec>> batchSpecs() {
        return batchSpec().list().ofMinSize(1).ofMaxSize(4);
    }

    private Arbitrary<Action> action() {
        Arbitrary<Integer> permille = Arbitraries.integers().between(0, 1000);
        Arbitrary<Action> append = Combinators.combine(batchSpecs(), Arbitraries.integers().between(0, 9))
                .as((b, e) -> new Append(b, e == 0));
        Arbitrary<Action> follower = Combinators.combine(batchSpecs(), Arbitraries.frequencyOf(
                        Tuple.of(8, Arbitraries.just(0)), Tuple.of(2, Arbitraries.integers().between(-3, 3))))
                .as(FollowerAppend::new);
        Arbitrary<Action> invalid = Combinators.combine(batchSpecs(), Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 100_000)).as(InvalidAppend::new);
        Arbitrary<Action> read = Combinators.combine(Arbitraries.integers().between(0, 2), permille,
                Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 20_000),
                Arbitraries.integers().between(0, 3), permille).as(Read::new);
        Arbitrary<Action> outOfRange = Combinators.combine(Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 5)).as(ReadOutOfRange::new);
        Arbitrary<Action> truncate = Combinators.combine(Arbitraries.integers().between(0, 3), permille)
                .as(Truncate::new);
        Arbitrary<Action> retention = Combinators.combine(Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 300_000), Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, 30_000)).as(Retention::new);
        Arbitrary<Action> clock = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.longs().between(0, 5_000)),
                Tuple.of(2, Arbitraries.longs().between(5_001, 60_000))).map(AdvanceClock::new);
        Arbitrary<Action> lookup = Combinators.combine(Arbitraries.integers().between(0, 4), permille)
                .as(OffsetForTimestamp::new);
        Arbitrary<Action> reopen = Combinators.combine(Arbitraries.frequencyOf(
                        Tuple.of(6, Arbitraries.just(0)), Tuple.of(4, Arbitraries.integers().between(1, 3))), permille)
                .as(CloseReopen::new);
        Arbitrary<Action> crash = Combinators.combine(Arbitraries.integers().between(0, 3), permille,
                Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(0)), Tuple.of(7, Arbitraries.integers().between(1, 4))),
                Arbitraries.integers().between(0, 100_000), Arbitraries.longs(),
                Arbitraries.frequencyOf(Tuple.of(7, Arbitraries.just(false)), Tuple.of(3, Arbitraries.just(true))), permille)
                .as(Crash::new);
        return Arbitraries.frequencyOf(
                Tuple.of(30, append),
                Tuple.of(5, follower),
                Tuple.of(3, invalid),
                Tuple.of(18, read),
                Tuple.of(2, outOfRange),
                Tuple.of(4, Combinators.combine(permille, Arbitraries.integers().between(0, 20_000)).as(HoldRead::new)),
                Tuple.of(2, Arbitraries.just(new ReleaseHeld())),
                Tuple.of(5, Arbitraries.just(new Roll())),
                Tuple.of(6, truncate),
                Tuple.of(6, retention),
                Tuple.of(5, clock),
                Tuple.of(6, lookup),
                Tuple.of(2, Arbitraries.just(new Flush())),
                Tuple.of(4, reopen),
                Tuple.of(7, crash),
                Tuple.of(6, Combinators.combine(Arbitraries.integers().between(1, 4), Arbitraries.integers().between(0, 7))
                        .as(RunBackground::new)));
    }

    // ================================================================ the run of one try

    /** A clock that moves only when the test says so. */
    static final class ManualClock implements Clock {
        private volatile long nowMs;

        ManualClock(long startMs) {
            this.nowMs = startMs;
        }

        @Override
        public long milliseconds() {
            return nowMs;
        }

        @Override
        public long nanoseconds() {
            return nowMs * 1_000_000;
        }

        void advance(long ms) {
            nowMs += ms;
        }
    }

    /**
     * Directories of tries still running. A try that jqwik abandons (its shrinking has a time bound) is never closed;
     * this removes its directory when the JVM exits.
     */
    private static final java.util.Set<Path> LIVE_ROOTS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path root : LIVE_ROOTS) {
                try {
                    Run.deleteRecursively(root);
                } catch (IOException | RuntimeException e) {
                    // best effort at exit
                }
            }
        }, "logmodel-cleanup"));
    }

    /** One try: a log in a fresh directory, its model, and the trace of what was done to both. */
    static final class Run implements AutoCloseable {
        final TryConfig tryConfig;
        final Path root;
        /** The real path of {@code root}, as /proc names the files under it. */
        final String rootPath;
        final Path dir;
        /** The background threads of the current "process"; a crash ends them, and the reopened log gets new ones. */
        ExecutorService pool;
        /** With {@link Background#DEFERRED}: the current process's queue of background tasks. */
        DeferredExecutor deferred;
        /**
         * Tasks crashes dropped. They never run (a killed process runs nothing more); the segments they hold stay open
         * until the GC collects them, so a try with dropped tasks skips the final open-files check.
         */
        int droppedTasks;
        Executor executor;
        final ManualClock clock = new ManualClock(START_MS);
        final LogModel model = new LogModel();
        final List<String> trace = new ArrayList<>();
        LogConfig config;
        Log log;
        long lastTimestamp = START_MS;
        int epoch = 1;

        Run(TryConfig tryConfig) throws IOException {
            this.tryConfig = tryConfig;
            this.config = tryConfig.logConfig();
            this.root = Files.createTempDirectory("logmodel");
            LIVE_ROOTS.add(root);
            this.rootPath = root.toRealPath().toString();
            this.dir = root.resolve(TP.topic() + "-" + TP.partition());
            switch (tryConfig.background()) {
                case POOL -> {
                    pool = newPool();
                    executor = new TrackingExecutor(pool);
                }
                case DEFERRED -> {
                    deferred = new DeferredExecutor();
                    executor = deferred;
                }
                default -> executor = Runnable::run;
            }
            trace.add("config " + tryConfig);
            try {
                this.log = Log.open(TP, dir, config, clock, executor, false, 0);
            } catch (RuntimeException e) {
                if (pool != null) {
                    pool.shutdownNow();
                }
                deleteRecursively(root);
                LIVE_ROOTS.remove(root);
                throw e;
            }
            trace.add("Log.open(clean=false, recoveryPoint=0) -> " + log);
        }

        private static ExecutorService newPool() {
            return Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "logmodel-background");
                t.setDaemon(true);
                return t;
            });
        }

        /**
         * A killed process runs no more background work, and {@link Log#closeUncleanly()} does not stop it. With
         * {@link Background#DEFERRED} the queued tasks are dropped, exactly as a kill would. A real pool cannot be
         * stopped between two instructions, so it first finishes what was queued (the state a kill leaves before a seal
         * ran is then simulated on disk instead, see {@link Crash#unsealed()}). Either way the reopened log gets a new
         * executor.
         */
        private void endProcessThreads() throws InterruptedException {
            if (deferred != null) {
                // A kill: queued work never runs in this process.
                trace.add("   the kill drops " + deferred.size() + " queued background tasks");
                droppedTasks += deferred.size();
                deferred = new DeferredExecutor();
                executor = deferred;
            }
            if (pool != null) {
                awaitIdle();
                checkQuiet();
                pool.shutdown();
                if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("background tasks did not finish within 30 s");
                }
                pool = newPool();
                executor = new TrackingExecutor(pool);
            }
        }

        /**
         * Waits until no background task is queued or running. Seals are chained (each is submitted when the one
         * before it completes, from inside that task), so shutting the pool down first would reject the rest.
         */
        private void awaitIdle() throws InterruptedException {
            if (executor instanceof TrackingExecutor tracking && !tracking.awaitIdle(30_000)) {
                throw new IllegalStateException("background tasks did not finish within 30 s");
            }
        }

        /** With no background work left, every segment has only the log's reference, and only the last is active. */
        private void checkQuiet() {
            List<Segment> segments = log.segments();
            for (int i = 0; i < segments.size(); i++) {
                Segment s = segments.get(i);
                boolean last = i == segments.size() - 1;
                check(s.refCount() == 1, () -> "with no background work left, segment " + s + " has " + s.refCount()
                        + " references");
                check(last || !s.isActive(), () -> "with no background work left, segment " + s + " is not sealed");
            }
        }

        boolean deterministic() {
            return tryConfig.background() == Background.SAME_THREAD;
        }

        /**
         * Runs every queued background task (and those they queue), in an order that depends on {@code pick}. Needed
         * before a call that waits for background work ({@code truncateTo}, {@code flush}, {@code close}).
         */
        private void drainDeferred(int pick) {
            if (deferred != null && deferred.size() > 0) {
                int ran = deferred.runAll(pick);
                trace.add("   ran the " + ran + " queued background tasks first");
            }
        }

        private void runBackground(RunBackground r) throws InterruptedException {
            if (deferred != null) {
                int ran = 0;
                while (ran < r.tasks() && deferred.runOne(r.pick() + ran)) {
                    ran++;
                }
                trace.add("   ran " + ran + " background tasks; " + deferred.size() + " still queued");
            } else {
                awaitIdle();
            }
        }

        void step(int index, Action action) {
            int mark = trace.size();
            trace.add("#" + index + " " + action);
            try {
                if (action instanceof Append a) {
                    append(a);
                } else if (action instanceof FollowerAppend f) {
                    followerAppend(f);
                } else if (action instanceof InvalidAppend i) {
                    invalidAppend(i);
                } else if (action instanceof Read r) {
                    read(r);
                } else if (action instanceof ReadOutOfRange r) {
                    readOutOfRange(r);
                } else if (action instanceof HoldRead h) {
                    holdRead(h);
                } else if (action instanceof ReleaseHeld) {
                    releaseHeld();
                } else if (action instanceof Roll) {
                    roll();
                } else if (action instanceof Truncate t) {
                    truncate(t);
                } else if (action instanceof Retention r) {
                    retention(r);
                } else if (action instanceof AdvanceClock c) {
                    clock.advance(c.ms());
                    trace.add("   clock -> " + clock.milliseconds());
                } else if (action instanceof OffsetForTimestamp o) {
                    offsetForTimestamp(o);
                } else if (action instanceof Flush) {
                    flush();
                } else if (action instanceof CloseReopen c) {
                    closeReopen(c);
                } else if (action instanceof Crash c) {
                    crash(c);
                } else if (action instanceof RunBackground r) {
                    runBackground(r);
                } else {
                    throw new IllegalArgumentException("unknown action " + action);
                }
                checkShape();
            } catch (LogModelFailure e) {
                throw e;
            } catch (Throwable t) {
                throw new LogModelFailure("action #" + index + " " + action + " threw " + t + traceText(), t);
            }
            if (trace.size() > mark + 40) {
                trace.subList(mark + 40, trace.size()).clear();
            }
        }

        /** What the try exercised; jqwik prints the distribution after the run. */
        final java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
        int maxSegments = 1;

        void count(String what) {
            counts.merge(what, 1, Integer::sum);
        }

        void collectStatistics(int actions) {
            net.jqwik.api.statistics.Statistics.label("actions").collect(actions / 10 * 10);
            net.jqwik.api.statistics.Statistics.label("max segments").collect(Math.min(maxSegments, 10));
            net.jqwik.api.statistics.Statistics.label("executor").collect(tryConfig.background());
            for (String what : List.of("rolled on append", "retention deleted", "truncated across segments",
                    "truncated to start", "crash", "torn write", "unsealed", "reopen", "index damage", "read non-empty",
                    "read partial (maxBytes)", "read cut by maxOffset", "lookup hit", "too large", "follower",
                    "held slice", "deleted while held")) {
                net.jqwik.api.statistics.Statistics.label(what).collect(Math.min(counts.getOrDefault(what, 0), 3));
            }
        }

        void finish() {
            trace.add("end of try");
            try {
                releaseHeld();
                drainDeferred(0);
                awaitIdle();
                checkQuiet();
                checkAllRecords("end of try");
                for (long ts : interestingTimestamps()) {
                    checkOffsetForTimestamp(ts);
                }
            } catch (LogModelFailure e) {
                throw e;
            } catch (Throwable t) {
                throw new LogModelFailure("the final check threw " + t + traceText(), t);
            }
        }

        // ------------------------------------------------------------ appends

        private long nextTimestamp(Random rnd) {
            long t = Math.max(lastTimestamp, clock.milliseconds()) + rnd.nextInt(10);
            if (rnd.nextInt(8) == 0) {
                t -= 1 + rnd.nextInt(3000);
            }
            lastTimestamp = Math.max(lastTimestamp, t);
            return t;
        }

        /** Builds a batch from its spec; when {@code baseOffset} is not null its offsets and epoch are set (follower). */
        private Built build(BatchSpec spec, long modelBase, Long baseOffset, int batchEpoch) {
            Random rnd = new Random(spec.seed());
            RecordBatchBuilder b = new RecordBatchBuilder(64);
            if (baseOffset != null) {
                b.baseOffset(baseOffset).partitionLeaderEpoch(batchEpoch);
            }
            List<LogModel.Rec> recs = new ArrayList<>();
            for (int i = 0; i < spec.records(); i++) {
                long ts = nextTimestamp(rnd);
                byte[] key = rnd.nextInt(5) == 0 ? null : bytes(rnd, rnd.nextInt(17));
                byte[] value = rnd.nextInt(10) == 0 ? null : bytes(rnd, rnd.nextInt(spec.maxValueSize() + 1));
                Header[] headers = rnd.nextInt(4) == 0
                        ? new Header[] {new Header("h" + rnd.nextInt(100), rnd.nextBoolean() ? null : bytes(rnd, rnd.nextInt(8)))}
                        : new Header[0];
                b.append(ts, key, value, headers);
                recs.add(new LogModel.Rec(modelBase + i, ts, key, value, headers));
            }
            ByteBuffer bytes = b.build();
            return new Built(bytes, new LogModel.Batch(modelBase, batchEpoch, bytes.remaining(), recs));
        }

        record Built(ByteBuffer bytes, LogModel.Batch batch) {
        }

        private static byte[] bytes(Random rnd, int n) {
            byte[] b = new byte[n];
            rnd.nextBytes(b);
            return b;
        }

        private static ByteBuffer concat(List<Built> built) {
            int total = built.stream().mapToInt(b -> b.bytes().remaining()).sum();
            ByteBuffer all = ByteBuffer.allocate(total);
            for (Built b : built) {
                all.put(b.bytes().duplicate());
            }
            return all.flip();
        }

        private void append(Append a) {
            if (a.newEpoch()) {
                epoch++;
            }
            List<Built> built = new ArrayList<>();
            long next = model.logEnd();
            for (BatchSpec spec : a.batches()) {
                Built b = build(spec, next, null, epoch);
                built.add(b);
                next = b.batch().nextOffset();
            }
            doAppend(built, true, false);
        }

        private void followerAppend(FollowerAppend f) {
            List<Built> built = new ArrayList<>();
            long next = model.logEnd();
            long shift = Math.max(0, model.logEnd() + f.skew()) - model.logEnd();
            for (BatchSpec spec : f.batches()) {
                Built b = build(spec, next, next + shift, epoch);
                built.add(b);
                next = b.batch().nextOffset();
            }
            boolean misplaced = shift != 0;
            doAppend(built, false, misplaced);
        }

        private void doAppend(List<Built> built, boolean leader, boolean misplaced) {
            long oldEnd = model.logEnd();
            boolean tooLarge = built.stream().anyMatch(b -> b.bytes().remaining() > config.segmentBytes());
            ByteBuffer request = concat(built);
            String what = (leader ? "appendAsLeader" : "appendAsFollower") + "("
                    + built.stream().map(b -> b.batch().records().size() + "rec/" + b.bytes().remaining() + "B")
                    .collect(Collectors.joining(", ", "[", "]")) + (leader ? ", epoch " + epoch : "")
                    + (misplaced ? ", at the wrong offset" : "") + ")";
            LogAppendInfo info;
            try {
                info = leader ? log.appendAsLeader(request, epoch) : log.appendAsFollower(request);
            } catch (RecordBatchTooLargeException e) {
                trace.add("   " + what + " -> RecordBatchTooLargeException");
                count("too large");
                check(tooLarge, () -> "a batch within segment.bytes " + config.segmentBytes() + " was refused: " + e);
                checkNothingAppended(oldEnd);
                return;
            } catch (UnexpectedAppendOffsetException e) {
                trace.add("   " + what + " -> UnexpectedAppendOffsetException");
                check(misplaced && !tooLarge, () -> "a follower append at the right offset was refused: " + e);
                checkNothingAppended(oldEnd);
                return;
            }
            check(!tooLarge, () -> what + " accepted a batch larger than segment.bytes " + config.segmentBytes());
            check(!misplaced, () -> what + " accepted batches at the wrong offset");
            List<LogModel.Batch> batches = built.stream().map(Built::batch).toList();
            model.append(batches);
            trace.add("   " + what + " -> " + info + "; segments " + segmentSummary());
            long maxTs = batches.stream().mapToLong(LogModel.Batch::maxTimestamp).max().orElseThrow();
            int records = batches.stream().mapToInt(b -> b.records().size()).sum();
            int bytes = batches.stream().mapToInt(LogModel.Batch::sizeInBytes).sum();
            LogAppendInfo expected = new LogAppendInfo(oldEnd, model.logEnd() - 1, maxTs, records, bytes);
            check(info.equals(expected), () -> "append returned " + info + ", expected " + expected);
            int segmentsBefore = model.segmentBases().size();
            String complaint = model.adoptRolls(observedBases(), oldEnd);
            check(complaint == null, () -> complaint);
            if (model.segmentBases().size() > segmentsBefore) {
                count("rolled on append");
            }
            if (!leader) {
                count("follower");
            }
        }

        private void invalidAppend(InvalidAppend i) {
            long oldEnd = model.logEnd();
            List<Built> built = new ArrayList<>();
            long next = oldEnd;
            for (BatchSpec spec : i.batches()) {
                Built b = build(spec, next, null, epoch);
                built.add(b);
                next = b.batch().nextOffset();
            }
            int corrupt = Math.min(i.corrupt(), built.size() - 1);
            ByteBuffer bad = built.get(corrupt).bytes();
            int at = RecordBatch.ATTRIBUTES_OFFSET + i.flipAt() % (bad.remaining() - RecordBatch.ATTRIBUTES_OFFSET);
            bad.put(at, (byte) (bad.get(at) ^ 0x40));
            ByteBuffer request = concat(built);
            trace.add("   appendAsLeader of " + built.size() + " batches, batch " + corrupt + " with byte " + at + " flipped");
            try {
                log.appendAsLeader(request, epoch);
                throw new LogModelFailure("an append with a corrupt batch was accepted" + traceText(), null);
            } catch (CorruptRecordException | RecordBatchTooLargeException e) {
                trace.add("   -> " + e.getClass().getSimpleName());
            }
            checkNothingAppended(oldEnd);
        }

        private void checkNothingAppended(long oldEnd) {
            check(log.logEndOffset() == oldEnd, () -> "a refused append moved the log end to " + log.logEndOffset());
            check(log.size() == model.sizeInBytes(), () -> "a refused append left bytes in the log: size "
                    + log.size() + ", expected " + model.sizeInBytes());
        }

        // ------------------------------------------------------------ reads

        private void read(Read r) {
            long start = switch (r.startMode()) {
                case 0 -> between(model.logStart(), model.logEnd(), r.startPermille());
                case 1 -> boundary(r.startPermille());
                default -> model.logEnd();
            };
            int maxBytes = switch (r.maxBytesMode()) {
                case 0 -> r.maxBytes() % 65;
                case 1 -> r.maxBytes();
                default -> Integer.MAX_VALUE;
            };
            long maxOffset = switch (r.maxOffsetMode()) {
                case 0 -> model.logEnd();
                case 1 -> between(start, model.logEnd(), r.maxOffsetPermille());
                case 2 -> Math.max(start, boundary(r.maxOffsetPermille()));
                default -> Math.max(0, start - 1 - r.maxOffsetPermille() % 3);
            };
            int got = model.expectedRead(start, maxBytes, maxOffset).size();
            if (got > 0) {
                count("read non-empty");
            }
            if (got < model.expectedRead(start, Integer.MAX_VALUE, maxOffset).size()) {
                count("read partial (maxBytes)");
            }
            if (got < model.expectedRead(start, maxBytes, model.logEnd()).size()) {
                count("read cut by maxOffset");
            }
            checkRead(start, maxBytes, maxOffset);
        }

        private void readOutOfRange(ReadOutOfRange r) {
            long offset = r.below() ? model.logStart() - 1 - r.distance() : model.logEnd() + 1 + r.distance();
            trace.add("   read(" + offset + ", 1000, " + model.logEnd() + ") expecting OffsetOutOfRangeException");
            try (LogSlice slice = log.read(offset, 1000, model.logEnd())) {
                throw new LogModelFailure("read at " + offset + " outside [" + model.logStart() + ", " + model.logEnd()
                        + "] returned " + slice + traceText(), null);
            } catch (OffsetOutOfRangeException expected) {
                check(expected.logStartOffset() == model.logStart() && expected.logEndOffset() == model.logEnd(),
                        () -> "OffsetOutOfRangeException names the range [" + expected.logStartOffset() + ", "
                                + expected.logEndOffset() + "]");
            }
        }

        /** Reads and checks the answer against the model; returns the offset after the last batch read. */
        private long checkRead(long start, int maxBytes, long maxOffset) {
            List<LogModel.Batch> expected = model.expectedRead(start, maxBytes, maxOffset);
            String call = "read(" + start + ", " + maxBytes + ", " + maxOffset + ")";
            try (LogSlice slice = log.read(start, maxBytes, maxOffset)) {
                checkSlice(call, slice, readAll(slice), expected);
            }
            return expected.isEmpty() ? start : expected.get(expected.size() - 1).nextOffset();
        }

        /** The bytes of {@code slice}, {@code buf}, must be exactly the batches {@code expected}. */
        private void checkSlice(String call, LogSlice slice, ByteBuffer buf, List<LogModel.Batch> expected) {
            List<RecordBatch> got = new ArrayList<>();
            {
                check(buf.remaining() == slice.length(), () -> call + ": the slice gave " + buf.remaining()
                        + " bytes of its " + slice.length());
                int position = 0;
                for (RecordBatch b : RecordBatches.of(buf)) {
                    try {
                        b.ensureValid();
                        b.validate();
                    } catch (CorruptRecordException e) {
                        throw new LogModelFailure(call + " returned an invalid batch at slice position " + b.position()
                                + " (" + slice + "): " + e + "; expected " + expected + traceText(), e);
                    }
                    got.add(b);
                    position += b.sizeInBytes();
                }
                int parsed = position;
                check(parsed == buf.limit(), () -> call + " returned " + buf.limit() + " bytes (" + slice
                        + ") but only " + parsed + " of them are whole batches; expected " + expected);
                String actual = got.stream().map(b -> "[" + b.baseOffset() + ".." + b.lastOffset() + ", "
                        + b.sizeInBytes() + "B]").collect(Collectors.joining(", "));
                check(got.size() == expected.size(), () -> call + " returned " + got.size() + " batches " + actual
                        + " (" + slice + "), expected " + expected + "; segments " + segmentSummary());
                for (int i = 0; i < got.size(); i++) {
                    checkBatch(call, got.get(i), expected.get(i));
                }
                if (!expected.isEmpty()) {
                    check(slice.firstOffset() == expected.get(0).baseOffset(), () -> call + ": slice.firstOffset() "
                            + slice.firstOffset() + ", expected " + expected.get(0).baseOffset());
                }
            }
        }

        /** A slice kept open across later actions, as a slow fetch holds one, and the batches it must keep showing. */
        record Held(String call, LogSlice slice, List<LogModel.Batch> expected) {
        }

        final List<Held> held = new ArrayList<>();

        private void holdRead(HoldRead h) {
            long start = between(model.logStart(), model.logEnd(), h.startPermille());
            String call = "read(" + start + ", " + h.maxBytes() + ", " + model.logEnd() + ") held";
            List<LogModel.Batch> expected = model.expectedRead(start, h.maxBytes(), model.logEnd());
            LogSlice slice = log.read(start, h.maxBytes(), model.logEnd());
            held.add(new Held(call, slice, expected));
            trace.add("   " + call + " -> " + slice + "; " + held.size() + " slices held");
            checkSlice(call, slice, readAll(slice), expected);
            if (!expected.isEmpty()) {
                count("held slice");
            }
        }

        /**
         * Checks every held slice once more, through transferTo (the zero-copy path a fetch takes), and closes it.
         * Whatever happened meanwhile — appends, rolls, retention deleting the slice's segment, background seals —
         * the slice's bytes must not change. Called before anything that cuts a segment in place or closes the log.
         */
        private void releaseHeld() throws IOException {
            for (Held h : held) {
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                long sent = h.slice().transferTo(java.nio.channels.Channels.newChannel(out));
                check(sent == h.slice().length(), () -> h.call() + ": transferTo sent " + sent + " of "
                        + h.slice().length() + " bytes");
                checkSlice(h.call() + " (released)", h.slice(), ByteBuffer.wrap(out.toByteArray()), h.expected());
                h.slice().close();
                h.slice().close(); // closing twice must be harmless
            }
            if (!held.isEmpty()) {
                trace.add("   released " + held.size() + " held slices");
                held.clear();
            }
        }

        private void checkBatch(String call, RecordBatch got, LogModel.Batch want) {
            String where = call + ": batch " + want;
            check(got.baseOffset() == want.baseOffset() && got.lastOffset() == want.lastOffset(),
                    () -> where + " read back as offsets " + got.baseOffset() + ".." + got.lastOffset());
            check(got.sizeInBytes() == want.sizeInBytes(), () -> where + " read back with " + got.sizeInBytes() + " bytes");
            check(got.partitionLeaderEpoch() == want.epoch(), () -> where + " read back with epoch " + got.partitionLeaderEpoch());
            check(got.maxTimestamp() == want.maxTimestamp(), () -> where + " read back with maxTimestamp " + got.maxTimestamp());
            int i = 0;
            for (Record r : got) {
                LogModel.Rec w = want.records().get(i++);
                LogModel.Rec actual = new LogModel.Rec(r.offset(), r.timestamp(), array(r.key()), array(r.value()), r.headers());
                check(actual.sameContent(w), () -> where + ": record " + actual + " differs from the appended " + w);
            }
            int count = i;
            check(count == want.records().size(), () -> where + " read back with " + count + " records");
        }

        private static ByteBuffer readAll(LogSlice slice) {
            try {
                return slice.readAll();
            } catch (IOException e) {
                throw new IllegalStateException("reading " + slice, e);
            }
        }

        private static byte[] array(ByteBuffer b) {
            if (b == null) {
                return null;
            }
            byte[] out = new byte[b.remaining()];
            b.duplicate().get(out);
            return out;
        }

        /** Reads the whole log back, segment by segment, and compares every batch. */
        private void checkAllRecords(String when) {
            trace.add("   checking every record (" + when + ")");
            long offset = model.logStart();
            while (offset < model.logEnd()) {
                long next = checkRead(offset, Integer.MAX_VALUE, model.logEnd());
                long at = offset;
                check(next > offset, () -> "reading the whole log made no progress at offset " + at);
                offset = next;
            }
        }

        // ------------------------------------------------------------ roll, truncation, retention

        private void roll() {
            log.roll();
            model.roll();
            trace.add("   roll() -> segments " + segmentSummary());
        }

        private void truncate(Truncate t) throws IOException {
            long offset = switch (t.mode()) {
                case 0 -> between(model.logStart() + 1, Math.max(model.logStart() + 1, model.logEnd() - 1), t.permille());
                case 1 -> boundary(t.permille());
                case 2 -> Math.max(0, model.logStart() - t.permille() % 4);
                default -> model.logEnd() + t.permille() % 3;
            };
            boolean expected = offset < model.logEnd();
            int segmentsBefore = model.segmentBases().size();
            releaseHeld(); // truncation cuts a segment in place: bytes a fetch still sends may change, as in Kafka
            drainDeferred(t.permille());
            if (offset < model.logEnd() && offset <= model.logStart()) {
                count("truncated to start");
            }
            boolean removed = log.truncateTo(offset);
            model.truncateTo(offset);
            if (model.segmentBases().size() < segmentsBefore) {
                count("truncated across segments");
            }
            trace.add("   truncateTo(" + offset + ") -> " + removed + "; " + log + ", segments " + segmentSummary());
            check(removed == expected, () -> "truncateTo(" + offset + ") returned " + removed);
            checkBounds();
            checkAllRecords("after truncation");
        }

        private void retention(Retention r) {
            long bytes = switch (r.bytesMode()) {
                case 0 -> -1;
                case 1 -> r.bytes() % (3L * config.segmentBytes() + 1);
                default -> model.sizeInBytes() / 2;
            };
            long ms = r.msMode() == 0 ? -1 : r.ms();
            checkSegmentTimestamps();
            config = config.withRetention(bytes, ms);
            log.updateConfig(config);
            long now = clock.milliseconds();
            List<Long> before = model.segmentBases();
            int deleted = log.deleteRetainedSegments(now);
            int expected = model.applyRetention(now, bytes, ms);
            trace.add("   deleteRetainedSegments(" + now + ") with retention.bytes " + bytes + ", retention.ms " + ms
                    + " -> " + deleted + "; " + log + ", segments " + segmentSummary() + " (were " + before + ")");
            if (deleted > 0) {
                count("retention deleted");
                List<Segment> live = log.segments();
                if (held.stream().anyMatch(h -> h.slice().segment() != null && !live.contains(h.slice().segment()))) {
                    count("deleted while held");
                }
            }
            check(deleted == expected, () -> "retention deleted " + deleted + " segments, the model " + expected
                    + "; the model now has " + model.segmentBases());
            checkBounds();
            checkAllRecords("after retention");
        }

        // ------------------------------------------------------------ lookups and flush

        private void offsetForTimestamp(OffsetForTimestamp o) {
            List<Long> all = model.timestamps();
            long ts;
            if (all.isEmpty() || o.mode() >= 3) {
                long min = all.stream().mapToLong(Long::longValue).min().orElse(clock.milliseconds());
                long max = all.stream().mapToLong(Long::longValue).max().orElse(clock.milliseconds());
                ts = o.mode() == 3 ? min - 1 - o.permille() : max + (o.mode() == 4 ? 1 + o.permille() : -o.permille());
            } else {
                long picked = all.get((int) ((long) o.permille() * (all.size() - 1) / 1000));
                ts = picked + (o.mode() == 1 ? 1 : o.mode() == 2 ? -1 : 0);
            }
            checkOffsetForTimestamp(ts);
        }

        /** Every segment's newest timestamp (retention.ms and time lookups depend on it) matches its records'. */
        private void checkSegmentTimestamps() {
            for (Segment s : log.segments()) {
                long want = model.segmentMaxTimestamp(s.baseOffset());
                long got = s.maxTimestamp();
                check(got == want, () -> "segment " + s + " reports newest timestamp " + got + ", its records' newest is "
                        + want + " (time index: " + s.timeIndex().entries() + " entries)");
            }
        }

        private void checkOffsetForTimestamp(long ts) {
            TimestampOffset expected = model.offsetForTimestamp(ts);
            checkSegmentTimestamps();
            TimestampOffset got = log.offsetForTimestamp(ts);
            if (expected != null) {
                count("lookup hit");
            }
            trace.add("   offsetForTimestamp(" + ts + ") -> " + got);
            check(java.util.Objects.equals(got, expected), () -> "offsetForTimestamp(" + ts + ") returned " + got
                    + ", expected " + expected + "; segments " + segmentSummary());
        }

        private List<Long> interestingTimestamps() {
            List<Long> all = model.timestamps();
            TreeSet<Long> out = new TreeSet<>();
            out.add(Long.MIN_VALUE);
            out.add(clock.milliseconds() + 1_000_000);
            Random rnd = new Random(all.size());
            for (int i = 0; i < Math.min(8, all.size()); i++) {
                long t = all.get(rnd.nextInt(all.size()));
                out.add(t);
                out.add(t + 1);
            }
            return new ArrayList<>(out);
        }

        private void flush() {
            drainDeferred(0);
            log.flush();
            trace.add("   flush() -> recoveryPoint " + log.recoveryPoint());
            check(log.recoveryPoint() == model.logEnd(), () -> "after flush() the recovery point is "
                    + log.recoveryPoint() + ", not the log end " + model.logEnd());
        }

        // ------------------------------------------------------------ restarts and crashes

        private void closeReopen(CloseReopen c) throws IOException {
            releaseHeld();
            drainDeferred(c.permille());
            log.close();
            count("reopen");
            if (c.damage() != 0) {
                count("index damage");
            }
            List<Long> bases = model.segmentBases();
            long base = bases.get((int) ((long) c.permille() * (bases.size() - 1) / 1000));
            switch (c.damage()) {
                case 1 -> deleteIndexes(base);
                case 2 -> bases.forEach(this::deleteIndexes);
                case 3 -> chopOffsetIndex(base);
                default -> { }
            }
            long rp = log.recoveryPoint();
            log = Log.open(TP, dir, config, clock, executor, true, rp);
            trace.add("   close(); " + (c.damage() == 0 ? "" : "damage " + c.damage() + " at segment " + base + "; ")
                    + "Log.open(clean=true, recoveryPoint=" + rp + ") -> " + log + ", segments " + segmentSummary());
            checkBounds();
            checkAllRecords("after a clean restart");
        }

        private void deleteIndexes(long base) {
            try {
                Files.deleteIfExists(dir.resolve(Segment.fileName(base, Segment.INDEX_SUFFIX)));
                Files.deleteIfExists(dir.resolve(Segment.fileName(base, Segment.TIME_INDEX_SUFFIX)));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private void chopOffsetIndex(long base) throws IOException {
            Path index = dir.resolve(Segment.fileName(base, Segment.INDEX_SUFFIX));
            if (Files.exists(index) && Files.size(index) >= OffsetIndex.ENTRY_SIZE) {
                try (FileChannel ch = FileChannel.open(index, StandardOpenOption.WRITE)) {
                    ch.truncate(ch.size() - 3);
                }
            }
        }

        private void crash(Crash c) throws IOException, InterruptedException {
            releaseHeld(); // a killed process has no fetch in flight
            long rpBefore = log.recoveryPoint();
            endProcessThreads();
            long rpQuiet = log.recoveryPoint();
            count("crash");
            if (c.torn() != 0) {
                count("torn write");
            }
            List<Long> bases = model.segmentBases();
            long activeBase = bases.get(bases.size() - 1);
            ByteBuffer oldBatch = c.torn() == 4 && !model.isEmpty() ? firstBatchBytes() : null;
            log.closeUncleanly();
            List<String> did = new ArrayList<>();
            long rp = switch (c.rpMode()) {
                case 0 -> rpBefore;
                case 1 -> between(0, rpBefore, c.rpPermille());
                case 2 -> 0;
                default -> rpQuiet;
            };
            if (c.unsealed() && bases.size() > 1) {
                int from = (int) ((long) c.unsealPermille() * (bases.size() - 2) / 1000);
                for (int i = from; i < bases.size() - 1; i++) {
                    unseal(bases.get(i));
                }
                rp = Math.min(rp, bases.get(from));
                did.add("segments from " + bases.get(from) + " left unsealed");
                count("unsealed");
            }
            if (c.torn() != 0) {
                did.add(tornWrite(c, activeBase, oldBatch));
            }
            log = Log.open(TP, dir, config, clock, executor, false, rp);
            trace.add("   closeUncleanly(); " + String.join("; ", did) + (did.isEmpty() ? "" : "; ")
                    + "Log.open(clean=false, recoveryPoint=" + rp + ") -> " + log + ", segments " + segmentSummary());
            checkBounds();
            long rpAfter = log.recoveryPoint();
            check(rpAfter <= model.logEnd(), () -> "after recovery the recovery point " + rpAfter + " is past the log end");
            checkAllRecords("after a crash");
        }

        private ByteBuffer firstBatchBytes() {
            try (LogSlice slice = log.read(model.logStart(), 0, model.logEnd())) {
                return readAll(slice);
            }
        }

        /** Makes a sealed segment's files look as they did before its seal: preallocated, zeros after the data. */
        private void unseal(long base) {
            try {
                extendWithZeros(dir.resolve(Segment.fileName(base, Segment.LOG_SUFFIX)), config.segmentBytes());
                int indexBytes = config.segmentIndexBytes();
                extendWithZeros(dir.resolve(Segment.fileName(base, Segment.INDEX_SUFFIX)),
                        indexBytes - indexBytes % OffsetIndex.ENTRY_SIZE);
                extendWithZeros(dir.resolve(Segment.fileName(base, Segment.TIME_INDEX_SUFFIX)),
                        indexBytes - indexBytes % TimeIndex.ENTRY_SIZE);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private static void extendWithZeros(Path file, long length) throws IOException {
            if (!Files.exists(file)) {
                return;
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                if (ch.size() < length) {
                    ch.write(ByteBuffer.wrap(new byte[1]), length - 1);
                }
            }
        }

        /**
         * Writes bytes that a killed process may have left after the last batch of the active segment. They are never
         * a whole valid batch at the next offset, so recovery must cut them off.
         */
        private String tornWrite(Crash c, long activeBase, ByteBuffer oldBatch) throws IOException {
            Path file = dir.resolve(Segment.fileName(activeBase, Segment.LOG_SUFFIX));
            long position = model.bytesIn(activeBase, model.logEnd());
            long room = Files.size(file) - position;
            if (room <= 0) {
                return "no room for a torn write";
            }
            Random rnd = new Random(c.tornSeed());
            byte[] torn;
            String kind;
            switch (c.torn()) {
                case 1 -> {
                    torn = bytes(rnd, 1 + c.tornLength() % 512);
                    kind = "random bytes";
                }
                case 2, 3 -> {
                    Built next = build(new BatchSpec(1 + rnd.nextInt(5), rnd.nextInt(300), rnd.nextLong()),
                            model.logEnd(), model.logEnd(), epoch);
                    byte[] whole = array(next.bytes());
                    if (c.torn() == 2) {
                        int cut = 1 + c.tornLength() % (whole.length - 1);
                        // The bytes left out must not all be zeros, or the "prefix" plus the file's zeros is the batch.
                        int lastNonZero = whole.length - 1;
                        while (whole[lastNonZero] == 0) {
                            lastNonZero--;
                        }
                        cut = Math.min(cut, lastNonZero);
                        torn = java.util.Arrays.copyOf(whole, cut);
                        kind = "the first " + cut + " of " + whole.length + " bytes of the next batch";
                    } else {
                        int at = RecordBatch.ATTRIBUTES_OFFSET + c.tornLength() % (whole.length - RecordBatch.ATTRIBUTES_OFFSET);
                        whole[at] ^= 0x10;
                        torn = whole;
                        kind = "the next batch (" + whole.length + " bytes) with byte " + at + " flipped";
                    }
                }
                default -> {
                    if (oldBatch == null) {
                        torn = bytes(rnd, 1 + c.tornLength() % 512);
                        kind = "random bytes";
                    } else {
                        torn = array(oldBatch);
                        kind = "a copy of the first batch (" + torn.length + " bytes, offset "
                                + model.logStart() + ")";
                    }
                }
            }
            int length = (int) Math.min(torn.length, room);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(torn, 0, length), position);
            }
            return "torn write at position " + position + " of " + file.getFileName() + ": " + kind
                    + (length < torn.length ? " (cut to " + length + ")" : "");
        }

        // ------------------------------------------------------------ invariants

        private void checkBounds() {
            check(log.logStartOffset() == model.logStart() && log.logEndOffset() == model.logEnd(),
                    () -> "log is [" + log.logStartOffset() + ", " + log.logEndOffset() + "), the model [" + model.logStart()
                            + ", " + model.logEnd() + ")");
        }

        private List<Long> observedBases() {
            return log.segments().stream().map(Segment::baseOffset).toList();
        }

        private String segmentSummary() {
            return log.segments().stream().map(s -> s.baseOffset() + ":" + s.size() + "B")
                    .collect(Collectors.joining(" ", "[", "]"));
        }

        /** Log bounds, segments and files against the model; cheap enough for every action. */
        private void checkShape() {
            checkBounds();
            List<Segment> segments = log.segments();
            List<Long> bases = segments.stream().map(Segment::baseOffset).toList();
            maxSegments = Math.max(maxSegments, bases.size());
            check(bases.equals(model.segmentBases()), () -> "segments start at " + bases + ", the model's at "
                    + model.segmentBases());
            long total = 0;
            for (int i = 0; i < segments.size(); i++) {
                Segment s = segments.get(i);
                long base = s.baseOffset();
                long end = model.segmentEnd(base);
                long bytes = model.bytesIn(base, end);
                boolean last = i == segments.size() - 1;
                check(s.nextOffset() == end && s.size() == bytes, () -> "segment " + s
                        + " should end at offset " + end + " after " + bytes + " bytes");
                check(last || s.size() > 0, () -> "segment " + s + " is empty but not the last");
                check(s.size() <= config.segmentBytes(), () -> "segment " + s + " is larger than segment.bytes");
                int refs = s.refCount();
                int expectedRefs = 1 + (int) held.stream().filter(h -> h.slice().segment() == s).count();
                check(deterministic() ? refs == expectedRefs : refs >= expectedRefs, () -> "segment " + s + " has "
                        + refs + " references, expected " + expectedRefs + (deterministic() ? "" : " or more"));
                total += s.size();
            }
            long sum = total;
            check(log.size() == sum && sum == model.sizeInBytes(), () -> "log.size() " + log.size() + ", segments "
                    + sum + ", the model " + model.sizeInBytes());
            check(log.segmentCount() == segments.size(), () -> "segmentCount() " + log.segmentCount());
            check(log.recoveryPoint() <= model.logEnd(), () -> "recovery point " + log.recoveryPoint() + " past the log end");
            // The leader-epoch cache holds the first offset of each epoch still in the log (epochs only grow here).
            List<EpochEntry> epochs = new ArrayList<>();
            for (LogModel.Batch b : model.batches().values()) {
                if (epochs.isEmpty() || b.epoch() > epochs.get(epochs.size() - 1).epoch()) {
                    epochs.add(new EpochEntry(b.epoch(), b.baseOffset()));
                }
            }
            check(log.epochEntries().equals(epochs), () -> "leader epochs " + log.epochEntries() + ", the model's " + epochs);
            if (deterministic()) {
                checkFiles(bases);
            }
        }

        /** With the same-thread executor every deletion is done at once: the directory holds exactly the segments. */
        private void checkFiles(List<Long> bases) {
            TreeSet<String> allowed = new TreeSet<>();
            allowed.add(LeaderEpochCache.FILE_NAME);
            for (long base : bases) {
                allowed.add(Segment.fileName(base, Segment.LOG_SUFFIX));
                allowed.add(Segment.fileName(base, Segment.INDEX_SUFFIX));
                allowed.add(Segment.fileName(base, Segment.TIME_INDEX_SUFFIX));
            }
            for (Held h : held) {
                // A segment deleted while a fetch holds it keeps its files, renamed, until the fetch lets go.
                Segment s = h.slice().segment();
                if (s != null && !bases.contains(s.baseOffset()) || s != null && !log.segments().contains(s)) {
                    for (String suffix : List.of(Segment.LOG_SUFFIX, Segment.INDEX_SUFFIX, Segment.TIME_INDEX_SUFFIX)) {
                        allowed.add(Segment.fileName(s.baseOffset(), suffix) + Segment.DELETED_SUFFIX);
                    }
                }
            }
            List<String> names = list(dir).stream().map(p -> p.getFileName().toString()).sorted().toList();
            for (String name : names) {
                check(allowed.contains(name) || name.endsWith(PreparedFile.SUFFIX),
                        () -> "unexpected file " + name + " in the log directory " + names);
            }
            for (long base : bases) {
                String name = Segment.fileName(base, Segment.LOG_SUFFIX);
                check(names.contains(name), () -> "segment file " + name + " is missing: " + names);
            }
        }

        // ------------------------------------------------------------ helpers

        private static long between(long lo, long hi, int permille) {
            return hi <= lo ? lo : lo + (hi - lo) * permille / 1000;
        }

        /** A batch boundary of the log (the log end included), chosen by {@code permille}. */
        private long boundary(int permille) {
            List<Long> all = new ArrayList<>(model.batches().keySet());
            all.add(model.logEnd());
            return all.get((int) ((long) permille * (all.size() - 1) / 1000));
        }

        private void check(boolean ok, Supplier<String> message) {
            if (!ok) {
                throw new LogModelFailure(message.get() + traceText(), null);
            }
        }

        private String traceText() {
            List<String> shown = trace.size() > 400 ? trace.subList(trace.size() - 400, trace.size()) : trace;
            return "\n--- trace (" + model + ") ---\n" + String.join("\n", shown);
        }

        private static List<Path> list(Path dir) {
            try (Stream<Path> s = Files.list(dir)) {
                return s.toList();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Closes the log and the pool, checks that nothing of the directory is still open or mapped, and deletes it. */
        @Override
        public void close() throws IOException {
            Throwable failure = null;
            for (Held h : held) {
                h.slice().close();
            }
            try {
                if (deferred != null) {
                    deferred.runAll(0); // close() waits for queued seals and preparations
                }
                log.close();
            } catch (Throwable t) {
                failure = t;
            }
            if (pool != null) {
                pool.shutdown();
                try {
                    if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                        failure = new AssertionError("background tasks did not finish within 30 s");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = new AssertionError("interrupted while waiting for background tasks", e);
                }
            }
            try {
                if (failure == null && droppedTasks == 0) {
                    List<String> open = openFilesUnder(rootPath);
                    if (!open.isEmpty()) {
                        failure = new LogModelFailure("after close, files of the log are still open or mapped: " + open
                                + traceText(), null);
                    }
                }
            } finally {
                deleteRecursively(root);
                LIVE_ROOTS.remove(root);
            }
            if (failure instanceof RuntimeException e) {
                throw e;
            } else if (failure instanceof Error e) {
                throw e;
            } else if (failure != null) {
                throw new IllegalStateException(failure);
            }
        }

        private static List<String> openFilesUnder(String prefix) throws IOException {
            List<String> out = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                if (line.contains(prefix)) {
                    out.add("mapped " + line.substring(line.indexOf(prefix)));
                }
            }
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                for (Path fd : (Iterable<Path>) fds::iterator) {
                    try {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (target.startsWith(prefix)) {
                            out.add("open " + target);
                        }
                    } catch (IOException gone) {
                        // closed meanwhile
                    }
                }
            }
            return out;
        }

        private static void deleteRecursively(Path root) throws IOException {
            if (!Files.exists(root)) {
                return;
            }
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Holds background tasks until the test runs them, one at a time, in an order it picks. Test-thread only. */
    static final class DeferredExecutor implements Executor {
        private final List<Runnable> queue = new ArrayList<>();

        @Override
        public synchronized void execute(Runnable task) {
            queue.add(task);
        }

        synchronized int size() {
            return queue.size();
        }

        /** Runs the task at {@code pick % size}; false when none is queued. */
        boolean runOne(int pick) {
            Runnable task;
            synchronized (this) {
                if (queue.isEmpty()) {
                    return false;
                }
                task = queue.remove(Math.floorMod(pick, queue.size()));
            }
            task.run();
            return true;
        }

        /** Runs tasks until none is left (tasks may queue more); returns how many ran. */
        int runAll(int pick) {
            int ran = 0;
            while (runOne(pick + ran)) {
                ran++;
            }
            return ran;
        }
    }

    /** Counts the tasks queued or running on a pool, exactly, so that a test can wait until none is left. */
    static final class TrackingExecutor implements Executor {
        private final ExecutorService pool;
        private int inFlight;

        TrackingExecutor(ExecutorService pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable task) {
            synchronized (this) {
                inFlight++;
            }
            try {
                pool.execute(() -> {
                    try {
                        task.run();
                    } finally {
                        done();
                    }
                });
            } catch (RuntimeException e) {
                done();
                throw e;
            }
        }

        private synchronized void done() {
            if (--inFlight == 0) {
                notifyAll();
            }
        }

        synchronized boolean awaitIdle(long timeoutMs) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (inFlight > 0) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                wait(left);
            }
            return true;
        }
    }

    /** A disagreement between the log and the model; the message carries the trace. */
    static final class LogModelFailure extends AssertionError {
        private static final long serialVersionUID = 1L;

        LogModelFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
