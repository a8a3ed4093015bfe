package io.sluice.broker.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.log.LogModelProperties.DeferredExecutor;
import io.sluice.broker.log.LogModelProperties.ManualClock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatchBuilder;
import io.sluice.proto.record.RecordBatches;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bugs {@link LogModelProperties} found, each as the smallest deterministic scenario (background work runs on a
 * {@link DeferredExecutor} where it matters, so the test decides when and in which order). Each test states what the
 * log must do; each failed before its fix.
 */
class LogModelRegressionTest {
    private static final TopicPartition TP = new TopicPartition("regression", 0);
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path tmp;

    private final ManualClock clock = new ManualClock(T0);

    /** One batch of {@code records} records with {@code valueSize}-byte values. */
    private static ByteBuffer batch(int records, int valueSize) {
        RecordBatchBuilder b = new RecordBatchBuilder(64);
        for (int i = 0; i < records; i++) {
            b.append(T0 + i, new byte[] {(byte) i}, new byte[valueSize]);
        }
        return b.build();
    }

    /** Every batch of the log, read from the start, with CRC and framing checked. */
    private static List<RecordBatch> readAll(Log log) throws IOException {
        List<RecordBatch> out = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            try (LogSlice slice = log.read(offset, Integer.MAX_VALUE, log.logEndOffset())) {
                ByteBuffer bytes = slice.readAll();
                for (RecordBatch b : RecordBatches.of(bytes)) {
                    b.ensureValid();
                    out.add(b);
                    offset = b.nextOffset();
                }
            }
        }
        return out;
    }

    /**
     * Bug 1. A sealed segment opened from disk reports {@code nextOffset() == baseOffset()}: {@code Segment.openSealed}
     * never sets {@code nextOffset} (the constructor initialises it to the base). The log itself only asks the active
     * segment, but the method is public ("the offset after the last batch") and tools use segments.
     */
    @Test
    void bug1_sealedSegmentLoadedFromDiskKnowsItsNextOffset() {
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(4096).withPrefillBytes(0);
        Log log = Log.open(TP, tmp.resolve("regression-0"), config, clock, Runnable::run, false, 0);
        log.appendAsLeader(batch(3, 10), 1);
        log.roll();
        log.appendAsLeader(batch(2, 10), 1);
        log.close();

        Log reopened = Log.open(TP, tmp.resolve("regression-0"), config, clock, Runnable::run, true, log.recoveryPoint());
        try {
            Segment first = reopened.segments().get(0);
            assertThat(first.isActive()).isFalse();
            assertThat(first.nextOffset()).as("nextOffset of %s", first).isEqualTo(3);
        } finally {
            reopened.close();
        }
    }

    /**
     * Bug 2. A flush sets the recovery point to the log end X; the next append does not fit and rolls at X, queueing
     * the seal (trim) of the old segment. The process dies before the seal runs. On restart with recovery point X, the
     * loader opens the old segment with {@code openSealed}, which takes the file length (preallocated to
     * segment.bytes) as its size: the zeros after the last batch become "records", the log end is wrong and reads
     * fail with "not a batch header".
     */
    @Test
    void bug2_recoveryPointAtARollMustNotTrustTheUnsealedSegmentBeforeIt() throws IOException {
        DeferredExecutor background = new DeferredExecutor();
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(4096).withPrefillBytes(0);
        Path dir = tmp.resolve("regression-0");
        Log log = Log.open(TP, dir, config, clock, background, false, 0);
        log.appendAsLeader(batch(1, 1300), 1); // offset 0, ~1.4 KB
        log.flush(); // recovery point 1
        log.appendAsLeader(batch(1, 2700), 1); // does not fit: rolls at 1, the seal of segment 0 is queued
        assertThat(log.segmentCount()).isEqualTo(2);
        long recoveryPoint = log.recoveryPoint();
        assertThat(recoveryPoint).as("held at the unsealed segment's base until its seal runs").isZero();
        log.closeUncleanly(); // killed: the queued seal never runs

        Log reopened = Log.open(TP, dir, config, clock, new DeferredExecutor(), false, recoveryPoint);
        try {
            assertThat(reopened.logEndOffset()).isEqualTo(2);
            assertThat(reopened.segments().get(0).size()).as("segment 0 holds one batch, not its preallocated zeros")
                    .isLessThan(1500);
            assertThat(readAll(reopened)).extracting(RecordBatch::baseOffset).containsExactly(0L, 1L);
        } finally {
            reopened.closeUncleanly();
        }
    }

    /**
     * Bug 3. Every preparation of the next data file uses the same path, {@code next.prepared}. At a roll, a
     * preparation that has not finished is not waited for: {@code takePreparedFile} attaches a {@code discard} that
     * deletes {@code next.prepared} when it completes. Once the new segment is half full a second preparation starts
     * on the same path. If the second one finishes first, the first one then truncates and rewrites the second's file
     * and deletes it; the next roll takes the second's PreparedFile, its rename fails, and the append throws
     * {@link LogStorageException} — after storing the request's batches that came before the roll. With real threads
     * the first preparation can also still be writing zeros through its own channel when the second's file has already
     * been renamed into the new active segment: zeros over acknowledged records.
     */
    @Test
    void bug3_aLatePreparationMustNotDeleteOrOverwriteTheNextOne() throws IOException {
        DeferredExecutor background = new DeferredExecutor();
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(4096).withPrefillBytes(0);
        Log log = Log.open(TP, tmp.resolve("regression-0"), config, clock, background, false, 0);
        log.appendAsLeader(batch(1, 2100), 1); // segment 0 half full: preparation P1 queued
        log.appendAsLeader(batch(1, 2100), 1); // rolls at 1 with P1 unfinished: P1 is discarded when it completes
        assertThat(background.size()).as("P1 and the seal of segment 0; no P2 while P1 is outstanding").isEqualTo(2);
        background.runAll(0);

        log.appendAsLeader(batch(1, 2100), 1); // rolls at 2: must not fail
        assertThat(log.logEndOffset()).isEqualTo(3);
        assertThat(readAll(log)).extracting(RecordBatch::baseOffset).containsExactly(0L, 1L, 2L);
        background.runAll(0);
        log.close();
        background.runAll(0);
        try (var files = Files.list(tmp.resolve("regression-0"))) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(PreparedFile.SUFFIX));
        }
    }

    /**
     * Bug 4. The offset index of the active segment loses the end of its last entry (a torn write: 5 of its 8 bytes
     * left). A clean open takes the segment as it is; the writable index re-extends the file with zeros, so the
     * leftover bytes now read as an entry (offset 1, position 0) — beyond the in-memory entry count, harmless so far.
     * After a crash, recovery from recovery point 2 looks the index up, gets that entry, and calls
     * {@code recover(position 0, expected offset 1)}: the batch at position 0 has offset 0, which recovery takes for a
     * torn tail, so it cuts the segment at 0. Both acknowledged records are gone and the log reports [0, 1) with no
     * bytes.
     */
    @Test
    void bug4_recoveryMustNotTrustAnIndexEntryItHasNotChecked() throws IOException {
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(4096).withIndexIntervalBytes(0).withPrefillBytes(0);
        Path dir = tmp.resolve("regression-0");
        Log log = Log.open(TP, dir, config, clock, Runnable::run, false, 0);
        log.appendAsLeader(batch(1, 0), 1); // offset 0 at position 0
        log.appendAsLeader(batch(1, 0), 1); // offset 1 at position 75; index entry (1, 75)
        log.close();
        Path index = dir.resolve(Segment.fileName(0, Segment.INDEX_SUFFIX));
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(index,
                java.nio.file.StandardOpenOption.WRITE)) {
            assertThat(ch.size()).isEqualTo(OffsetIndex.ENTRY_SIZE);
            ch.truncate(ch.size() - 3); // the last entry is torn
        }

        Log reopened = Log.open(TP, dir, config, clock, Runnable::run, true, log.recoveryPoint());
        assertThat(readAll(reopened)).extracting(RecordBatch::baseOffset).containsExactly(0L, 1L);
        long recoveryPoint = reopened.recoveryPoint();
        reopened.closeUncleanly();

        Log recovered = Log.open(TP, dir, config, clock, Runnable::run, false, recoveryPoint);
        try {
            assertThat(recovered.logEndOffset()).isEqualTo(2);
            assertThat(readAll(recovered)).extracting(RecordBatch::baseOffset).containsExactly(0L, 1L);
        } finally {
            recovered.close();
        }
    }

    /** One one-record batch with timestamp {@code ts}. */
    private static ByteBuffer batchAt(long ts) {
        return new RecordBatchBuilder(64).append(ts, new byte[] {1}, new byte[8]).build();
    }

    /**
     * Bug 5. A sealed segment's newest timestamp is its time index's last entry, and a full time index silently drops
     * new entries. Normal appends keep that consistent (a full index rolls the segment right after the entry that
     * filled it). Recovery does not: recovering from an index entry in the middle of a segment drops that entry, so the
     * segment takes more batches before its indexes fill; a later recovery of the whole segment rebuilds one entry per
     * interval, the time index fills before the last batch, and that batch's timestamp — the segment's newest — is
     * lost (and the loader's seal() cannot add it either). offsetForTimestamp then skips the segment and answers a
     * later record; retention.ms would delete the segment while it still holds records younger than retention.
     */
    @Test
    void bug5_recoveryMustKeepTheNewestTimestampOfASegmentWhoseTimeIndexFills() {
        // 36 bytes: 4 offset-index entries, 3 time-index entries; an entry for every batch after the first.
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(4096).withSegmentIndexBytes(36).withIndexIntervalBytes(0)
                .withPrefillBytes(0);
        Path dir = tmp.resolve("regression-0");
        Log log = Log.open(TP, dir, config, clock, Runnable::run, false, 0);
        for (int i = 0; i < 4; i++) {
            log.appendAsLeader(batchAt(T0 + i), 1); // offsets 0..3; the time index is full after offset 3
        }
        log.closeUncleanly();
        log = Log.open(TP, dir, config, clock, Runnable::run, false, 3); // recovers from the entry of offset 3
        log.appendAsLeader(batchAt(T0 + 4), 1); // offset 4 still fits in segment 0, and fills its time index
        log.appendAsLeader(batchAt(T0 + 5), 1); // rolls: offset 5 starts segment 5
        assertThat(log.segmentCount()).isEqualTo(2);
        assertThat(log.offsetForTimestamp(T0 + 4)).isEqualTo(new TimestampOffset(T0 + 4, 4));
        log.closeUncleanly();

        Log recovered = Log.open(TP, dir, config, clock, Runnable::run, false, 0); // no checkpoint: recover it all
        try {
            assertThat(recovered.segments().get(0).maxTimestamp()).isEqualTo(T0 + 4);
            assertThat(recovered.offsetForTimestamp(T0 + 4)).isEqualTo(new TimestampOffset(T0 + 4, 4));
        } finally {
            recovered.close();
        }
    }

    /**
     * Bug 6. The offset-index twin of bug 5: {@code Segment.indexBatch} appends to the offset index without checking
     * {@code isFull()} (rebuildIndexes does check). A segment that took one more batch after a recovery from one of its
     * index entries needs one more entry than the index holds when it is later recovered from position 0, and
     * {@code OffsetIndex.append} throws IllegalStateException "index is full": the log cannot be opened at all. A
     * recovery point of 0 is what LogManager uses for a partition with no checkpoint.
     */
    @Test
    void bug6_recoveryMustNotOverflowTheOffsetIndex() {
        // 24 bytes: 3 offset-index entries, 2 time-index entries; equal timestamps keep the time index at one entry.
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(4096).withSegmentIndexBytes(24).withIndexIntervalBytes(0)
                .withPrefillBytes(0);
        Path dir = tmp.resolve("regression-0");
        Log log = Log.open(TP, dir, config, clock, Runnable::run, false, 0);
        for (int i = 0; i < 4; i++) {
            log.appendAsLeader(batchAt(T0), 1); // offsets 0..3; entries for 1, 2, 3: the offset index is full
        }
        log.closeUncleanly();
        log = Log.open(TP, dir, config, clock, Runnable::run, false, 3); // recovers from the entry of offset 3, dropping it
        log.appendAsLeader(batchAt(T0), 1); // offset 4 still fits in segment 0 and fills its index again
        log.appendAsLeader(batchAt(T0), 1); // rolls at 5
        assertThat(log.segmentCount()).isEqualTo(2);
        log.closeUncleanly();

        Log recovered = Log.open(TP, dir, config, clock, Runnable::run, false, 0);
        try {
            assertThat(recovered.logEndOffset()).isEqualTo(6);
        } finally {
            recovered.close();
        }
    }
}
