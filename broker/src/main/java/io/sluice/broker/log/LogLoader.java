package io.sluice.broker.log;

import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a partition directory as a {@link Log}, recovering it after an unclean stop.
 *
 * <ul>
 * <li>Leftovers of interrupted work are removed: segments renamed for deletion, a prepared next file,
 *     index files without a data file. Any other file is a mistake (someone else's data in our
 *     directory) and stops the load with its path.
 * <li>After a clean shutdown every file was trimmed and flushed: segments open as they are.
 * <li>Otherwise the segments from the one holding the recovery point on (normally just the active one)
 *     are checked batch by batch ({@link Segment#recover}); their indexes are rebuilt past that point, and
 *     a segment cut short by recovery takes every later segment with it, since the offsets would no
 *     longer be contiguous.
 * </ul>
 * Thread-safety: used once, by the thread that opens the log.
 */
final class LogLoader {
    private static final Logger log = LoggerFactory.getLogger(LogLoader.class);
    private static final Pattern SEGMENT_FILE = Pattern.compile("(\\d{20})(\\.log|\\.index|\\.timeindex)");

    private final TopicPartition tp;
    private final Path dir;
    private final LogConfig config;
    private final Clock clock;
    private final Executor background;

    LogLoader(TopicPartition tp, Path dir, LogConfig config, Clock clock, Executor background) {
        this.tp = tp;
        this.dir = dir;
        this.config = config;
        this.clock = clock;
        this.background = background;
    }

    Log load(boolean cleanShutdown, long recoveryPoint) {
        TreeSet<Long> bases = scanDirectory();
        long now = clock.milliseconds();
        ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
        try {
            if (bases.isEmpty()) {
                segments.put(0L, newActiveSegment(dir, 0, config, now, null, background,
                        PageAllocator.SEGMENT_CHUNK_BYTES, clock::nanoseconds));
                return new Log(tp, dir, config, clock, background, segments, 0);
            }
            long last = bases.last();
            Long firstToCheck = cleanShutdown ? null : bases.floor(Math.max(recoveryPoint, bases.first()));
            List<Long> ordered = new ArrayList<>(bases);
            for (int i = 0; i < ordered.size(); i++) {
                long base = ordered.get(i);
                Path file = dir.resolve(Segment.fileName(base, Segment.LOG_SUFFIX));
                boolean isLast = base == last;
                Segment segment;
                if (firstToCheck != null && base >= firstToCheck) {
                    long from = base == firstToCheck ? recoveryPoint : base;
                    segment = recoverSegment(file, base, from, now);
                } else if (isLast) {
                    segment = openCleanActive(file, base, now);
                } else {
                    segment = Segment.openSealed(file, base, config);
                }
                segments.put(base, segment);
                if (!isLast && segment.isActive()) {
                    long nextBase = ordered.get(i + 1);
                    if (segment.nextOffset() != nextBase) {
                        dropFrom(nextBase, ordered.subList(i + 1, ordered.size()), segment);
                        break;
                    }
                    segment.seal();
                }
            }
            Segment active = segments.lastEntry().getValue();
            active.setUpPrefill(background, 0, PageAllocator.SEGMENT_CHUNK_BYTES, clock::nanoseconds);
            Segment previous = null;
            for (Segment s : segments.values()) {
                if (previous != null) {
                    previous.setNextOffsetOfSealed(s.baseOffset());
                }
                previous = s;
            }
            return new Log(tp, dir, config, clock, background, segments, cleanShutdown ? Long.MAX_VALUE : recoveryPoint);
        } catch (RuntimeException e) {
            for (Segment s : segments.values()) {
                s.close();
            }
            throw e;
        }
    }

    /** Lists the directory: the base offsets of its segments, after removing leftovers of interrupted work. */
    private TreeSet<Long> scanDirectory() {
        TreeSet<Long> dataFiles = new TreeSet<>();
        Map<Long, List<Path>> indexFiles = new TreeMap<>();
        try {
            Files.createDirectories(dir);
            try (Stream<Path> entries = Files.list(dir)) {
                for (Path p : (Iterable<Path>) entries::iterator) {
                    String name = p.getFileName().toString();
                    if (name.equals(LeaderEpochCache.FILE_NAME)) {
                        continue;
                    }
                    if (name.endsWith(Segment.DELETED_SUFFIX) || name.endsWith(PreparedFile.SUFFIX)
                            || name.equals(LeaderEpochCache.FILE_NAME + LeaderEpochCache.TEMP_SUFFIX)) {
                        Files.delete(p);
                        continue;
                    }
                    Matcher m = SEGMENT_FILE.matcher(name);
                    if (!m.matches() || !Files.isRegularFile(p)) {
                        throw new LogStorageException(p, "loading log " + tp,
                                new IOException("unexpected file in a partition directory; move it elsewhere"));
                    }
                    long base = Long.parseLong(m.group(1));
                    if (m.group(2).equals(Segment.LOG_SUFFIX)) {
                        dataFiles.add(base);
                    } else {
                        indexFiles.computeIfAbsent(base, b -> new ArrayList<>()).add(p);
                    }
                }
            }
            for (Map.Entry<Long, List<Path>> e : indexFiles.entrySet()) {
                if (!dataFiles.contains(e.getKey())) {
                    for (Path orphan : e.getValue()) {
                        log.warn("{}: deleting index file without a data file", orphan);
                        Files.delete(orphan);
                    }
                }
            }
        } catch (IOException e) {
            throw new LogStorageException(dir, "listing log " + tp, e);
        }
        return dataFiles;
    }

    /** Opens a segment for recovery from the batch holding {@code fromOffset} and checks it to its end. */
    private Segment recoverSegment(Path file, long base, long fromOffset, long now) {
        Segment segment = Segment.openActive(file, base, config, now, Segment.OpenMode.RECOVER);
        try {
            OffsetPosition start = fromOffset > base ? segment.offsetIndex().lookup(fromOffset) : new OffsetPosition(base, 0);
            if (start.position() > 0 && !segment.hasValidBatchAt(start.position(), start.offset())) {
                // The index entry is itself damaged: it cannot say where checking may start.
                start = new OffsetPosition(base, 0);
            }
            long t0 = clock.nanoseconds();
            segment.recover(start.position(), start.offset());
            log.info("{}: recovered {} from position {}: {} bytes, offsets up to {}, in {} ms", tp, file.getFileName(),
                    start.position(), segment.size(), segment.nextOffset(), (clock.nanoseconds() - t0) / 1_000_000);
            return segment;
        } catch (RuntimeException e) {
            segment.close();
            throw e;
        }
    }

    /**
     * Opens the last segment after a clean shutdown. Missing or inconsistent indexes fall back to a full
     * check of the segment, which rebuilds them.
     */
    private Segment openCleanActive(Path file, long base, long now) {
        boolean indexesPresent = Files.exists(dir.resolve(Segment.fileName(base, Segment.INDEX_SUFFIX)))
                && Files.exists(dir.resolve(Segment.fileName(base, Segment.TIME_INDEX_SUFFIX)));
        if (indexesPresent) {
            try {
                return Segment.openActive(file, base, config, now, Segment.OpenMode.TRUSTED);
            } catch (LogCorruptionException e) {
                log.warn("{}: {}; checking the whole segment", tp, e.getMessage());
            }
        } else {
            log.warn("{}: index of {} is missing; rebuilding it", tp, file.getFileName());
        }
        return recoverSegment(file, base, base, now);
    }

    /** Deletes the segments from {@code from} on: recovery cut {@code cutShort} before their first offset. */
    private void dropFrom(long from, List<Long> later, Segment cutShort) {
        log.warn("{}: {} ends at offset {} after recovery but the next segment starts at {}; deleting {} later segment(s)",
                tp, cutShort.file().getFileName(), cutShort.nextOffset(), from, later.size());
        for (long base : later) {
            try {
                Files.deleteIfExists(dir.resolve(Segment.fileName(base, Segment.LOG_SUFFIX)));
                Files.deleteIfExists(dir.resolve(Segment.fileName(base, Segment.INDEX_SUFFIX)));
                Files.deleteIfExists(dir.resolve(Segment.fileName(base, Segment.TIME_INDEX_SUFFIX)));
            } catch (IOException e) {
                throw new LogStorageException(dir, "deleting segment " + base + " after recovery", e);
            }
        }
    }

    /**
     * A new, empty active segment at {@code base}, from a prepared file when one is given.
     *
     * @param aheadBytes the prefill window it starts with (see {@link Segment#setUpPrefill})
     */
    static Segment newActiveSegment(Path dir, long base, LogConfig config, long now, PreparedFile prepared,
                                    Executor background, int aheadBytes, LongSupplier nanos) {
        Path file = dir.resolve(Segment.fileName(base, Segment.LOG_SUFFIX));
        if (Files.exists(file)) {
            throw new LogStorageException(file, "creating segment", new IOException("file already exists"));
        }
        int allocated = 0;
        if (prepared != null) {
            prepared.moveTo(file);
            allocated = prepared.allocatedBytes();
        }
        Segment segment = Segment.openActive(file, base, config, now, Segment.OpenMode.EMPTY);
        segment.setUpPrefill(background, allocated, aheadBytes, nanos);
        return segment;
    }
}
