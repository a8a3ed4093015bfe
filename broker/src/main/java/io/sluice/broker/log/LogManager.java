package io.sluice.broker.log;

import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns every partition log of a broker across its {@code log.dirs}: loads them at start (recovering
 * those an unclean stop left behind), creates and deletes them, and runs the background work — page
 * prefill, sealing after rolls, the {@link LogFlusher} and the {@link RetentionCleaner}.
 *
 * <p>Each log directory holds one directory per partition, a {@value #LOCK_FILE} that keeps a second
 * broker out, the recovery points and the high watermarks ({@link OffsetCheckpointFile}), and, between a clean
 * shutdown and the next start, the {@value #CLEAN_SHUTDOWN_FILE} marker that lets the start skip recovery.
 *
 * <p>Thread-safety: the map of logs is concurrent; creation and deletion of logs are serialized on this
 * object; each {@link Log} guards itself.
 */
public final class LogManager implements AutoCloseable {
    public static final String CLEAN_SHUTDOWN_FILE = ".sluice-clean-shutdown";
    public static final String LOCK_FILE = ".lock";
    /** Reserved for the broker's RocksDB (ARCHITECTURE.md §8). */
    public static final String META_DIR = "meta";
    /** The controller quorum's Raft log in the first log dir (not a partition). */
    public static final String RAFT_DIR = "raft";
    private static final String DELETE_SUFFIX = "-delete";
    private static final Logger log = LoggerFactory.getLogger(LogManager.class);

    private final List<Path> logDirs;
    private final LogConfig defaultConfig;
    private final Clock clock;
    private final ConcurrentHashMap<TopicPartition, Log> logs = new ConcurrentHashMap<>();
    /** The high watermarks checkpointed before this start, read once at load; never changed after. */
    private final Map<TopicPartition, Long> loadedHighWatermarks = new ConcurrentHashMap<>();
    /** Where the high watermarks to checkpoint come from (the replica manager); null until attached. */
    private volatile Supplier<Map<TopicPartition, Long>> highWatermarks;
    private final List<FileLock> locks = new ArrayList<>();
    private final ExecutorService io;
    private final ScheduledExecutorService scheduler;
    private final LogFlusher flusher;
    private final RetentionCleaner cleaner;
    private volatile boolean closed;

    /**
     * Locks and loads every log directory.
     *
     * @param flushCheckIntervalMs      {@code log.flush.scheduler.interval.ms}: how often the flusher looks
     * @param checkpointIntervalMs      {@code log.flush.offset.checkpoint.interval.ms}
     * @param retentionCheckIntervalMs  {@code log.retention.check.interval.ms}
     */
    public LogManager(List<Path> logDirs, LogConfig defaultConfig, Clock clock, long flushCheckIntervalMs,
                      long checkpointIntervalMs, long retentionCheckIntervalMs) {
        if (logDirs.isEmpty()) {
            throw new IllegalArgumentException("log.dirs: at least one directory is required");
        }
        this.logDirs = List.copyOf(logDirs);
        this.defaultConfig = defaultConfig;
        this.clock = clock;
        this.io = Executors.newFixedThreadPool(2, daemonThreads("sluice-log-io"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemonThreads("sluice-log-scheduler"));
        this.flusher = new LogFlusher(this::allLogsIterable, this::checkpointRecoveryPoints, checkpointIntervalMs,
                clock.milliseconds());
        this.cleaner = new RetentionCleaner(this::allLogsIterable);
        try {
            for (Path dir : this.logDirs) {
                lockDir(dir);
            }
            for (Path dir : this.logDirs) {
                loadDir(dir);
            }
        } catch (RuntimeException e) {
            closeAfterFailedStart();
            throw e;
        }
        scheduler.scheduleWithFixedDelay(() -> flusher.doWork(clock.milliseconds()), flushCheckIntervalMs,
                flushCheckIntervalMs, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(() -> cleaner.doWork(clock.milliseconds()), retentionCheckIntervalMs,
                retentionCheckIntervalMs, TimeUnit.MILLISECONDS);
    }

    private void lockDir(Path dir) {
        try {
            Files.createDirectories(dir);
            FileChannel channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new LogStorageException(dir, "locking log.dirs entry",
                        new IOException("another broker process is using this directory"));
            }
            locks.add(lock);
        } catch (IOException e) {
            throw new LogStorageException(dir, "opening log.dirs entry", e);
        }
    }

    private void loadDir(Path dir) {
        Path marker = dir.resolve(CLEAN_SHUTDOWN_FILE);
        boolean clean = Files.exists(marker);
        Map<TopicPartition, Long> recoveryPoints =
                OffsetCheckpointFile.recoveryPoints(dir).read();
        loadedHighWatermarks.putAll(OffsetCheckpointFile.highWatermarks(dir).read());
        long t0 = clock.nanoseconds();
        List<Path> partitionDirs = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (name.equals(LOCK_FILE) || name.equals(CLEAN_SHUTDOWN_FILE) || name.equals(META_DIR)
                        || name.equals(RAFT_DIR)
                        || name.startsWith(OffsetCheckpointFile.RECOVERY_POINTS)
                        || name.startsWith(OffsetCheckpointFile.HIGH_WATERMARKS)) {
                    continue;
                }
                if (Files.isDirectory(p) && name.endsWith(DELETE_SUFFIX)) {
                    deleteRecursively(p);
                    continue;
                }
                if (!Files.isDirectory(p) || TopicPartition.fromDirName(name) == null) {
                    throw new LogStorageException(p, "loading log.dirs entry " + dir,
                            new IOException("not a partition directory (<topic>-<partition>); move it elsewhere"));
                }
                partitionDirs.add(p);
            }
        } catch (IOException e) {
            throw new LogStorageException(dir, "listing log.dirs entry", e);
        }
        for (Path p : partitionDirs) {
            TopicPartition tp = TopicPartition.fromDirName(p.getFileName().toString());
            if (logs.containsKey(tp)) {
                throw new LogStorageException(p, "loading log", new IOException(
                        "partition " + tp + " is also in " + logs.get(tp).dir().getParent()));
            }
            long recoveryPoint = recoveryPoints.getOrDefault(tp, 0L);
            logs.put(tp, Log.open(tp, p, defaultConfig, clock, io, clean, recoveryPoint));
        }
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            throw new LogStorageException(marker, "removing the clean-shutdown marker", e);
        }
        if (partitionDirs.isEmpty() && !clean) {
            log.info("no logs in {}", dir);
        } else {
            log.info("loaded {} logs from {} after {} shutdown in {} ms", partitionDirs.size(), dir,
                    clean ? "a clean" : "an unclean", (clock.nanoseconds() - t0) / 1_000_000);
        }
    }

    /** The log of {@code tp}, created in the log directory with the fewest partitions if it does not exist. */
    public synchronized Log getOrCreateLog(TopicPartition tp, LogConfig config) {
        ensureOpen();
        Log existing = logs.get(tp);
        if (existing != null) {
            return existing;
        }
        Path dir = leastLoadedDir().resolve(tp.dirName());
        Log created = Log.open(tp, dir, config, clock, io, false, 0);
        logs.put(tp, created);
        return created;
    }

    public Optional<Log> getLog(TopicPartition tp) {
        return Optional.ofNullable(logs.get(tp));
    }

    public Collection<Log> allLogs() {
        return logs.values();
    }

    private Iterable<Log> allLogsIterable() {
        return new ArrayList<>(logs.values());
    }

    /**
     * Removes a partition's log: closes it, renames its directory out of the way at once, and deletes
     * the files in the background (readers still holding a segment finish first).
     */
    public synchronized void deleteLog(TopicPartition tp) {
        ensureOpen();
        Log removed = logs.remove(tp);
        if (removed == null) {
            return;
        }
        removed.closeForDeletion();
        Path dir = removed.dir();
        Path target = dir.resolveSibling(tp.dirName() + "." + UUID.randomUUID().toString().replace("-", "") + DELETE_SUFFIX);
        try {
            Files.move(dir, target);
        } catch (IOException e) {
            throw new LogStorageException(dir, "renaming log for deletion", e);
        }
        scheduler.execute(() -> deleteRecursively(target));
    }

    private Path leastLoadedDir() {
        Map<Path, Integer> counts = new HashMap<>();
        for (Path d : logDirs) {
            counts.put(d, 0);
        }
        for (Log l : logs.values()) {
            counts.merge(l.dir().getParent(), 1, Integer::sum);
        }
        Path best = logDirs.get(0);
        for (Path d : logDirs) {
            if (counts.get(d) < counts.get(best)) {
                best = d;
            }
        }
        return best;
    }

    public LogFlusher flusher() {
        return flusher;
    }

    public RetentionCleaner cleaner() {
        return cleaner;
    }

    /** Writes each log directory's recovery points. */
    public void checkpointRecoveryPoints() {
        for (Path dir : logDirs) {
            Map<TopicPartition, Long> points = new HashMap<>();
            for (Log l : logs.values()) {
                if (l.dir().getParent().equals(dir)) {
                    points.put(l.topicPartition(), l.recoveryPoint());
                }
            }
            OffsetCheckpointFile.recoveryPoints(dir).write(points);
        }
    }

    /**
     * The high watermark of {@code tp} checkpointed before this start (-1 if none). A replicated partition starts
     * from it, bounded by its log end, rather than from its log start.
     */
    public long checkpointedHighWatermark(TopicPartition tp) {
        return loadedHighWatermarks.getOrDefault(tp, -1L);
    }

    /**
     * Checkpoints the high watermarks {@code source} gives every {@code intervalMs} on the log scheduler (each a
     * file rewrite with fsync, so never on a request thread), and a last time at {@link #close()}.
     */
    public void startHighWatermarkCheckpoints(Supplier<Map<TopicPartition, Long>> source, long intervalMs) {
        ensureOpen();
        this.highWatermarks = source;
        scheduler.scheduleWithFixedDelay(this::checkpointHighWatermarksQuietly, intervalMs, intervalMs,
                TimeUnit.MILLISECONDS);
    }

    /** Writes each log directory's high watermarks, for the partitions whose logs it holds. */
    public void checkpointHighWatermarks() {
        Supplier<Map<TopicPartition, Long>> source = highWatermarks;
        if (source == null) {
            return;
        }
        Map<TopicPartition, Long> current = source.get();
        for (Path dir : logDirs) {
            Map<TopicPartition, Long> inDir = new HashMap<>();
            current.forEach((tp, hw) -> {
                Log l = logs.get(tp);
                if (l != null && l.dir().getParent().equals(dir)) {
                    inDir.put(tp, hw);
                }
            });
            OffsetCheckpointFile.highWatermarks(dir).write(inDir);
        }
    }

    private void checkpointHighWatermarksQuietly() {
        try {
            checkpointHighWatermarks();
        } catch (RuntimeException e) {
            log.warn("checkpointing high watermarks failed; retrying at the next interval", e);
        }
    }

    /**
     * Clean shutdown: stops the background work, trims and flushes every log, writes the recovery points
     * and then the clean-shutdown marker, and releases the directory locks.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        shutdownExecutors();
        RuntimeException failure = null;
        for (Log l : logs.values()) {
            try {
                l.close();
            } catch (RuntimeException e) {
                log.error("{}: closing failed; the next start will recover it", l.topicPartition(), e);
                failure = e;
            }
        }
        if (failure == null) {
            checkpointRecoveryPoints();
            checkpointHighWatermarksQuietly();
            for (Path dir : logDirs) {
                try {
                    Files.createFile(dir.resolve(CLEAN_SHUTDOWN_FILE));
                } catch (IOException e) {
                    log.error("{}: writing the clean-shutdown marker failed; the next start will recover", dir, e);
                }
            }
        }
        releaseLocks();
        if (failure != null) {
            throw failure;
        }
    }

    /** Stops as a killed process would: no trim, no flush, no checkpoint, no marker. For crash tests. */
    void abandonForTest() {
        closed = true;
        closeAfterFailedStart();
    }

    private void closeAfterFailedStart() {
        closed = true;
        shutdownExecutors();
        for (Log l : logs.values()) {
            l.closeUncleanly();
        }
        releaseLocks();
    }

    private void shutdownExecutors() {
        scheduler.shutdown();
        try {
            if (!scheduler.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("log scheduler did not stop within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // The io pool stays up: Log.close waits for seals that run on it. releaseLocks stops it.
    }

    private void releaseLocks() {
        io.shutdown();
        for (FileLock lock : locks) {
            try {
                lock.release();
                lock.channel().close();
            } catch (IOException e) {
                log.warn("releasing a log directory lock failed: {}", e.toString());
            }
        }
        locks.clear();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("log manager is closed");
        }
    }

    private static void deleteRecursively(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.warn("{}: deleting failed: {}", root, e.toString());
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
