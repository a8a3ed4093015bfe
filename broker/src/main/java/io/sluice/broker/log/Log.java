package io.sluice.broker.log;

import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.CorruptRecordException;
import io.sluice.proto.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition's log: an ordered set of {@link Segment}s with contiguous offsets, of which the last is
 * active (appended to through its mapping) and the others sealed.
 *
 * <p>Thread-safety: appends, rolls, truncation and retention take {@code lock}, so there is one writer.
 * Reads ({@link LogReader}) take no lock: they see the segments through a concurrent map and the log end
 * offset through a volatile, published after the bytes it covers, and hold a reference on the segment they
 * read so that retention cannot close it under them. Slow file work that follows a roll (unmapping and trimming the old
 * segment, flushing it, preparing the next one) runs on the background executor, never under the lock.
 */
public final class Log implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Log.class);

    private final TopicPartition topicPartition;
    private final Path dir;
    private final Clock clock;
    private final Executor background;
    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentSkipListMap<Long, Segment> segments;
    private final LogReader reader;
    private volatile LogConfig config;
    private volatile Segment active;
    private volatile long logEndOffset;
    private volatile long logStartOffset;
    /** Offsets below this are on the device. */
    private volatile long recoveryPoint;
    /** Which leader epoch wrote which offsets; guarded by {@code lock}. */
    private final LeaderEpochCache epochs;

    // Guarded by lock.
    private CompletableFuture<Void> pendingSeals = CompletableFuture.completedFuture(null);
    private CompletableFuture<PreparedFile> nextFile;
    /** A preparation a roll did not wait for, being discarded; no new one starts before it is gone. */
    private CompletableFuture<Void> discarding = CompletableFuture.completedFuture(null);
    private long preparations;
    private long unflushedRecords;
    private long firstUnflushedMs = -1;
    /** Written under {@code lock}; volatile so that readers, which take no lock, see a close. */
    private volatile boolean closed;

    Log(TopicPartition topicPartition, Path dir, LogConfig config, Clock clock, Executor background,
        ConcurrentSkipListMap<Long, Segment> segments, long recoveryPoint) {
        this.topicPartition = topicPartition;
        this.dir = dir;
        this.config = config;
        this.clock = clock;
        this.background = background;
        this.segments = segments;
        this.reader = new LogReader(this, segments);
        this.active = segments.lastEntry().getValue();
        this.logStartOffset = segments.firstKey();
        this.logEndOffset = active.nextOffset();
        this.recoveryPoint = Math.min(recoveryPoint, logEndOffset);
        this.epochs = loadEpochs();
    }

    /**
     * Loads the leader-epoch checkpoint and checks it against the log: entries at or past the log end (a tail
     * lost in a crash) are dropped; epochs that start above the recovery point are read back from the batch
     * headers there (a machine crash may have lost an added entry the checkpoint had not forced yet, see
     * {@link LeaderEpochCache}); a missing or corrupt file, or one with no entry for a non-empty log, is rebuilt
     * from the batch headers (one read of a header per batch).
     */
    private LeaderEpochCache loadEpochs() {
        LeaderEpochCache cache;
        try {
            cache = LeaderEpochCache.load(dir);
        } catch (LogCorruptionException e) {
            log.warn("{}: {}; rebuilding the leader-epoch checkpoint from the batch headers", topicPartition, e.getMessage());
            cache = null;
        }
        if (cache != null) {
            cache.truncateFromEnd(logEndOffset);
            List<EpochEntry> entries = cache.entries();
            boolean covers = logEndOffset == logStartOffset
                    || (!entries.isEmpty() && entries.get(0).startOffset() <= logStartOffset);
            if (covers) {
                long from = Math.max(recoveryPoint, logStartOffset);
                List<EpochEntry> found = new ArrayList<>();
                LeaderEpochCache checked = cache;
                scanBatchHeaders(from, (epoch, baseOffset) -> {
                    if (checked.assign(epoch, baseOffset)) {
                        found.add(new EpochEntry(epoch, baseOffset));
                    }
                });
                if (!found.isEmpty()) {
                    log.info("{}: leader epochs above the recovery point {} that the checkpoint lacked: {}",
                            topicPartition, from, found);
                }
                return cache;
            }
        }
        LeaderEpochCache rebuilt = LeaderEpochCache.empty(dir);
        scanBatchHeaders(logStartOffset, (epoch, baseOffset) -> rebuilt.assign(epoch, baseOffset));
        if (rebuilt.entries().isEmpty()) {
            rebuilt.clear();
        }
        log.info("{}: leader-epoch checkpoint rebuilt from the log: {}", topicPartition, rebuilt.entries());
        return rebuilt;
    }

    /** Receives each batch's (partition leader epoch, base offset) in log order. */
    private interface BatchEpochVisitor {
        void accept(int epoch, long baseOffset);
    }

    private void scanBatchHeaders(long from, BatchEpochVisitor visitor) {
        long end = logEndOffset;
        long next = from;
        while (next < end) {
            try (LogSlice slice = reader.read(next, 64 << 20, end)) {
                if (slice.isEmpty()) {
                    break;
                }
                int position = (int) slice.position();
                int limit = (int) (slice.position() + slice.length());
                while (position < limit) {
                    BatchHeader header = BatchHeader.read(slice.channel(), dir, position, limit);
                    if (header.lastOffset() >= next) {
                        visitor.accept(header.partitionLeaderEpoch(), header.baseOffset());
                        next = header.lastOffset() + 1;
                    }
                    position = header.nextPosition();
                }
            }
        }
    }

    /**
     * Opens (or creates) the log in {@code dir}. After an unclean stop the segments at and after the
     * recovery point are checked batch by batch; see {@link LogLoader}.
     */
    public static Log open(TopicPartition tp, Path dir, LogConfig config, Clock clock, Executor background,
                           boolean cleanShutdown, long recoveryPoint) {
        return new LogLoader(tp, dir, config, clock, background).load(cleanShutdown, recoveryPoint);
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Path dir() {
        return dir;
    }

    public LogConfig config() {
        return config;
    }

    public void updateConfig(LogConfig newConfig) {
        this.config = newConfig;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long logEndOffset() {
        return logEndOffset;
    }

    public long recoveryPoint() {
        return recoveryPoint;
    }

    public int segmentCount() {
        return segments.size();
    }

    /** Bytes of data in all segments. */
    public long size() {
        long total = 0;
        for (Segment s : segments.values()) {
            total += s.size();
        }
        return total;
    }

    /** A snapshot of the segments, oldest first; for tools and tests. */
    public List<Segment> segments() {
        return new ArrayList<>(segments.values());
    }

    // ---------------------------------------------------------------- appending

    /**
     * Appends the batches in {@code records} (position to limit) as the leader: each is validated in full
     * (nothing of an invalid request reaches the file), then given the next offsets and {@code leaderEpoch}
     * in place as it is copied into the active segment.
     *
     * @throws CorruptRecordException naming the reason and the batch's position in {@code records}
     * @throws RecordBatchTooLargeException when a batch could never fit in a segment
     */
    public LogAppendInfo appendAsLeader(ByteBuffer records, int leaderEpoch) {
        List<RecordBatch> batches = validate(records, true);
        return append(records, batches, true, leaderEpoch);
    }

    /**
     * Appends a leader's batches unchanged (same offsets, same epochs), as a follower does.
     *
     * @throws UnexpectedAppendOffsetException when the first batch does not start at the log end offset
     */
    public LogAppendInfo appendAsFollower(ByteBuffer records) {
        List<RecordBatch> batches = validate(records, false);
        return append(records, batches, false, RecordBatch.NO_PARTITION_LEADER_EPOCH);
    }

    /**
     * Checks every batch in {@code records} before any of them is appended. A request carries one batch per
     * partition as a rule, so that case gets a one-element list and the general one an {@code ArrayList}.
     */
    private List<RecordBatch> validate(ByteBuffer records, boolean fromProducer) {
        int position = records.position();
        if (position >= records.limit()) {
            throw new CorruptRecordException(CorruptRecordException.Reason.TRUNCATED,
                    topicPartition + ": append of no record batches");
        }
        RecordBatch first = validBatch(records, position, fromProducer);
        position += first.sizeInBytes();
        if (position >= records.limit()) {
            return List.of(first);
        }
        List<RecordBatch> batches = new ArrayList<>(4);
        batches.add(first);
        while (position < records.limit()) {
            RecordBatch batch = validBatch(records, position, fromProducer);
            batches.add(batch);
            position += batch.sizeInBytes();
        }
        return batches;
    }

    private RecordBatch validBatch(ByteBuffer records, int position, boolean fromProducer) {
        RecordBatch batch = RecordBatch.at(records, position);
        if (fromProducer) {
            batch.validate();
        } else {
            batch.ensureValid();
        }
        if (batch.sizeInBytes() > config.segmentBytes()) {
            throw new RecordBatchTooLargeException(topicPartition.toString(), batch.sizeInBytes(), config.segmentBytes());
        }
        return batch;
    }

    private LogAppendInfo append(ByteBuffer source, List<RecordBatch> batches, boolean assignOffsets, int leaderEpoch) {
        lock.lock();
        try {
            ensureOpen();
            long now = clock.milliseconds();
            long firstOffset = assignOffsets ? logEndOffset : batches.get(0).baseOffset();
            long expected = logEndOffset;
            long maxTimestamp = RecordBatch.NO_TIMESTAMP;
            int records = 0;
            int bytes = 0;
            for (int i = 0; i < batches.size(); i++) {
                RecordBatch batch = batches.get(i);
                long base = assignOffsets ? expected : batch.baseOffset();
                if (base != expected) {
                    throw new UnexpectedAppendOffsetException(topicPartition.toString(), base, expected);
                }
                long last = base + batch.lastOffsetDelta();
                maybeRoll(batch.sizeInBytes(), last, now);
                active.append(source, batch.position(), batch.sizeInBytes(), base, last, batch.maxTimestamp(),
                        assignOffsets, leaderEpoch);
                // After the bytes are in: a failed append must not leave an epoch that starts at no batch.
                int epoch = assignOffsets ? leaderEpoch : batch.partitionLeaderEpoch();
                if (epoch > epochs.latestEpoch()) {
                    epochs.assign(epoch, base);
                }
                expected = last + 1;
                logEndOffset = expected;
                maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
                records += batch.recordCount();
                bytes += batch.sizeInBytes();
            }
            unflushedRecords += records;
            if (firstUnflushedMs < 0) {
                firstUnflushedMs = now;
            }
            maybePrepareNext();
            if (unflushedRecords >= config.flushIntervalMessages()) {
                flushLocked();
            }
            return new LogAppendInfo(firstOffset, expected - 1, maxTimestamp, records, bytes);
        } finally {
            lock.unlock();
        }
    }

    private void maybeRoll(int batchSize, long lastOffset, long now) {
        Segment current = active;
        if (current.size() == 0) {
            current.resetRollingBase(now); // an empty segment does not age
        }
        boolean aged = current.size() > 0 && now - current.rollingBaseMs() >= config.segmentMs();
        if (aged || !current.canAppend(batchSize, lastOffset)) {
            rollLocked(now);
        }
    }

    /** Starts preparing the next data file once the active segment is half full. */
    private void maybePrepareNext() {
        if (nextFile == null && discarding.isDone() && active.size() >= config.segmentBytes() / 2) {
            LogConfig cfg = config;
            long n = ++preparations;
            int aheadBytes = active.prefillAheadBytes();
            nextFile = CompletableFuture.supplyAsync(() -> PreparedFile.create(dir, n, cfg, aheadBytes), background);
        }
    }

    /** Closes the active segment and starts a new one at the log end offset, unless the active one is empty. */
    public void roll() {
        lock.lock();
        try {
            ensureOpen();
            rollLocked(clock.milliseconds());
        } finally {
            lock.unlock();
        }
    }

    private void rollLocked(long now) {
        Segment old = active;
        if (old.size() == 0) {
            return;
        }
        long base = logEndOffset;
        Segment next = LogLoader.newActiveSegment(dir, base, config, now, takePreparedFile(), background,
                old.prefillAheadBytes(), clock::nanoseconds);
        segments.put(base, next);
        active = next;
        // Until its seal has trimmed and flushed it, the old segment must be recovered after a crash: a
        // segment below the recovery point is loaded as it is, preallocated zeros and all.
        synchronized (this) {
            recoveryPoint = Math.min(recoveryPoint, old.baseOffset());
        }
        old.retain();
        pendingSeals = pendingSeals.thenRunAsync(() -> sealAndFlush(old, base), background);
    }

    /** The prepared file when it is ready; never waits for one (a roll must not stall). */
    private PreparedFile takePreparedFile() {
        CompletableFuture<PreparedFile> f = nextFile;
        nextFile = null;
        if (f == null) {
            return null;
        }
        if (f.isDone() && !f.isCompletedExceptionally()) {
            PreparedFile p = f.join();
            if (p.capacity() == config.segmentBytes()) {
                return p;
            }
            p.discard();
            return null;
        }
        discarding = f.thenAccept(PreparedFile::discard).exceptionally(e -> null);
        return null;
    }

    private void sealAndFlush(Segment old, long nextBase) {
        try {
            old.seal();
            old.flush();
            advanceRecoveryPoint(nextBase);
        } catch (RuntimeException e) {
            log.error("{}: sealing {} after a roll failed; it stays readable but unflushed until restart recovery",
                    topicPartition, old, e);
        } finally {
            old.release();
        }
    }

    private void advanceRecoveryPoint(long offset) {
        // An epoch added since the checkpoint was last forced may start below offset; recovery reads the epochs
        // back from the batches only above the recovery point (see loadEpochs).
        epochs.force();
        // Monotonic; seals complete in roll order and flushes of the active segment come after them.
        synchronized (this) {
            if (offset > recoveryPoint) {
                recoveryPoint = offset;
            }
        }
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads whole batches from the first one holding {@code startOffset}: at most {@code maxBytes} (but
     * always at least one batch), never past {@code maxOffset} (exclusive: the high watermark for consumers,
     * the log end for followers), and from one segment only. The caller must {@link LogSlice#close()} it.
     *
     * @throws OffsetOutOfRangeException when {@code startOffset} is below the log start or above its end
     */
    public LogSlice read(long startOffset, int maxBytes, long maxOffset) {
        return reader.read(startOffset, maxBytes, maxOffset);
    }

    /**
     * The first record whose timestamp is at least {@code timestamp}, as (its timestamp, its offset), or
     * null when every record is older.
     */
    public TimestampOffset offsetForTimestamp(long timestamp) {
        return reader.offsetForTimestamp(timestamp);
    }

    // ---------------------------------------------------------------- leader epochs

    /** The newest leader epoch that wrote to this log, or -1. */
    public int latestEpoch() {
        lock.lock();
        try {
            return epochs.latestEpoch();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The largest epoch at or below {@code requestedEpoch} this log holds and the offset where it ends (the
     * next epoch's start offset, or the log end for the newest); {@link EpochEndOffset#UNDEFINED} if none.
     */
    public EpochEndOffset endOffsetForEpoch(int requestedEpoch) {
        lock.lock();
        try {
            return epochs.endOffsetFor(requestedEpoch, logEndOffset);
        } finally {
            lock.unlock();
        }
    }

    /** The leader-epoch entries, oldest first; for tools and tests. */
    public List<EpochEntry> epochEntries() {
        lock.lock();
        try {
            return epochs.entries();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- truncation and retention

    /**
     * Removes every batch holding {@code offset} or a later one (a follower whose tail diverged from its
     * leader's). The log end offset afterwards is at most {@code offset}.
     *
     * @return whether anything was removed
     */
    public boolean truncateTo(long offset) {
        lock.lock();
        try {
            ensureOpen();
            if (offset >= logEndOffset) {
                return false;
            }
            if (offset <= logStartOffset) {
                truncateFullyAndStartAt(offset);
                return true;
            }
            pendingSeals.join();
            int aheadBytes = active.prefillAheadBytes();
            for (Segment s : new ArrayList<>(segments.tailMap(offset, false).values())) {
                segments.remove(s.baseOffset());
                s.markDeleted();
            }
            Segment target = segments.lastEntry().getValue();
            if (!target.isActive()) {
                Segment reopened = Segment.openActive(target.file(), target.baseOffset(), config, clock.milliseconds(), Segment.OpenMode.TRUSTED);
                segments.put(target.baseOffset(), reopened);
                target.close();
                target = reopened;
            }
            target.truncateTo(offset);
            target.setUpPrefill(background, 0, aheadBytes, clock::nanoseconds);
            active = target;
            logEndOffset = target.nextOffset();
            epochs.truncateFromEnd(logEndOffset);
            synchronized (this) {
                recoveryPoint = Math.min(recoveryPoint, logEndOffset);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Deletes every segment and starts an empty log at {@code offset}. */
    public void truncateFullyAndStartAt(long offset) {
        lock.lock();
        try {
            ensureOpen();
            pendingSeals.join();
            int aheadBytes = active.prefillAheadBytes();
            List<Segment> old = new ArrayList<>(segments.values());
            Segment fresh;
            if (segments.containsKey(offset)) {
                // Same file name: the old segment must be out of the way first.
                for (Segment s : old) {
                    segments.remove(s.baseOffset());
                    s.markDeleted();
                }
                fresh = LogLoader.newActiveSegment(dir, offset, config, clock.milliseconds(), null, background,
                        aheadBytes, clock::nanoseconds);
                segments.put(offset, fresh);
            } else {
                fresh = LogLoader.newActiveSegment(dir, offset, config, clock.milliseconds(), null, background,
                        aheadBytes, clock::nanoseconds);
                segments.put(offset, fresh);
                for (Segment s : old) {
                    segments.remove(s.baseOffset());
                    s.markDeleted();
                }
            }
            active = fresh;
            logStartOffset = offset;
            logEndOffset = offset;
            epochs.clear();
            synchronized (this) {
                recoveryPoint = offset;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Deletes the oldest segments that retention no longer allows (by {@code retention.ms} against their
     * newest timestamp, then by {@code retention.bytes}), never the active one unless it has expired too,
     * in which case it is rolled first. Readers of a deleted segment finish before its files go.
     *
     * @return the number of segments deleted
     */
    public int deleteRetainedSegments(long nowMs) {
        lock.lock();
        try {
            ensureOpen();
            LogConfig cfg = config;
            int deleted = 0;
            if (cfg.retentionMs() >= 0) {
                Segment current = active;
                if (current.size() > 0 && expired(current, nowMs, cfg)) {
                    rollLocked(nowMs);
                }
                while (segments.size() > 1 && expired(segments.firstEntry().getValue(), nowMs, cfg)) {
                    deleteOldest();
                    deleted++;
                }
            }
            if (cfg.retentionBytes() >= 0) {
                long size = size();
                while (segments.size() > 1 && size - segments.firstEntry().getValue().size() >= cfg.retentionBytes()) {
                    size -= segments.firstEntry().getValue().size();
                    deleteOldest();
                    deleted++;
                }
            }
            return deleted;
        } finally {
            lock.unlock();
        }
    }

    private static boolean expired(Segment s, long nowMs, LogConfig cfg) {
        long newest = s.maxTimestamp();
        return newest != RecordBatch.NO_TIMESTAMP && nowMs - newest > cfg.retentionMs();
    }

    private void deleteOldest() {
        Segment oldest = segments.pollFirstEntry().getValue();
        logStartOffset = segments.firstKey();
        epochs.truncateFromStart(logStartOffset);
        epochs.truncateFromEnd(logEndOffset); // retention of everything leaves no epoch: the cache covers only records held
        oldest.markDeleted();
        log.info("{}: deleted segment {} by retention; log now starts at {}", topicPartition, oldest.file().getFileName(),
                logStartOffset);
    }

    /**
     * Unmaps the indexes of sealed segments that no lookup has used since the previous call; see
     * {@link Segment#unmapIndexesIfIdle()}. The retention cleaner calls it on each pass.
     *
     * @return the number of segments whose indexes were unmapped
     */
    public int unmapIdleIndexes() {
        lock.lock();
        try {
            if (closed) {
                return 0;
            }
            int unmapped = 0;
            for (Segment s : segments.values()) {
                if (s != active && s.unmapIndexesIfIdle()) {
                    unmapped++;
                }
            }
            return unmapped;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- durability and life cycle

    /** Forces everything appended so far to the device and moves the recovery point to the log end. */
    public void flush() {
        lock.lock();
        try {
            ensureOpen();
            flushLocked();
        } finally {
            lock.unlock();
        }
    }

    private void flushLocked() {
        long end = logEndOffset;
        pendingSeals.join();
        active.flush();
        advanceRecoveryPoint(end);
        unflushedRecords = 0;
        firstUnflushedMs = -1;
    }

    /** Flushes when {@code flush.interval.ms} has passed since the oldest unflushed append. */
    public boolean maybeFlush(long nowMs) {
        lock.lock();
        try {
            if (closed || firstUnflushedMs < 0 || nowMs - firstUnflushedMs < config.flushIntervalMs()) {
                return false;
            }
            flushLocked();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Trims and flushes the active segment and closes every file; readers still holding a segment finish first. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            pendingSeals.join();
            if (nextFile != null) {
                nextFile.thenAccept(PreparedFile::discard);
                nextFile.exceptionally(e -> null).join();
                nextFile = null;
            }
            Segment current = active;
            current.seal();
            current.flush();
            advanceRecoveryPoint(logEndOffset);
            for (Segment s : segments.values()) {
                s.close();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes a log that is about to be deleted: background work finishes, but nothing is trimmed or forced
     * to the device, since the files are going away.
     */
    void closeForDeletion() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            pendingSeals.exceptionally(e -> null).join();
            if (nextFile != null) {
                nextFile.thenAccept(PreparedFile::discard).exceptionally(e -> null).join();
                nextFile = null;
            }
            for (Segment s : segments.values()) {
                s.close();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lets go of the files as a killed process would: nothing is trimmed or flushed, and background work
     * still pending is not waited for. For crash tests, and for a failed start.
     */
    void closeUncleanly() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Segment s : segments.values()) {
                s.close();
            }
        } finally {
            lock.unlock();
        }
    }

    boolean isClosed() {
        return closed;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(topicPartition + ": log is closed");
        }
    }

    @Override
    public String toString() {
        return "Log(" + topicPartition + ", [" + logStartOffset + ", " + logEndOffset + "), " + segments.size() + " segments)";
    }
}
