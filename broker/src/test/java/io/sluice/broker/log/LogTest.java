package io.sluice.broker.log;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.ManualClock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.CorruptRecordException;
import io.sluice.proto.record.Record;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatches;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogTest {
    static final TopicPartition TP = new TopicPartition("orders", 3);

    @TempDir
    Path tmp;
    final ManualClock clock = new ManualClock(1_700_000_000_000L);
    final List<Log> open = new ArrayList<>();

    LogConfig config = LogConfig.DEFAULT.withSegmentBytes(64 * 1024).withIndexIntervalBytes(1024).withPrefillBytes(0);

    @AfterEach
    void closeLogs() {
        for (Log l : open) {
            l.closeUncleanly();
        }
    }

    Log open(boolean clean, long recoveryPoint) {
        Log log = Log.open(TP, tmp.resolve(TP.dirName()), config, clock, Runnable::run, clean, recoveryPoint);
        open.add(log);
        return log;
    }

    Log openNew() {
        return open(false, 0);
    }

    /** Appends {@code batches} batches of {@code perBatch} records with ids following on from the log end. */
    static void appendRecords(Log log, int batches, int perBatch, int valueSize, long timestamp) {
        for (int i = 0; i < batches; i++) {
            log.appendAsLeader(batch(log.logEndOffset(), perBatch, valueSize, timestamp), 7);
        }
    }

    /** Reads everything from {@code from} to the log end and returns the records' values' ids in order. */
    static List<Long> readAllIds(Log log, long from) throws IOException {
        List<Long> ids = new ArrayList<>();
        long next = from;
        while (next < log.logEndOffset()) {
            try (LogSlice slice = log.read(next, 10_000, Long.MAX_VALUE)) {
                ByteBuffer bytes = slice.readAll();
                long sliceEnd = slice.firstOffset();
                for (RecordBatch b : RecordBatches.of(bytes)) {
                    b.ensureValid();
                    sliceEnd = b.nextOffset();
                    for (Record r : b) {
                        if (r.offset() >= next) {
                            assertThat(r.offset()).isEqualTo(next);
                            ids.add(idOf(r));
                            next++;
                        }
                    }
                }
                assertThat(slice.nextOffset()).as("the slice's next offset, %s", slice).isEqualTo(sliceEnd);
            }
        }
        return ids;
    }

    static long idOf(Record r) {
        ByteBuffer v = r.value();
        byte[] head = new byte[Math.min(24, v.remaining())];
        v.get(head);
        String s = new String(head, StandardCharsets.ISO_8859_1);
        return Long.parseLong(s.substring(1, s.indexOf(';')));
    }

    static List<Long> range(long from, long to) {
        List<Long> ids = new ArrayList<>();
        for (long i = from; i < to; i++) {
            ids.add(i);
        }
        return ids;
    }

    // ------------------------------------------------------------------ append and read

    @Test
    void anIdleLogWritesNoZerosAheadUntilItsFirstAppend() {
        config = config.withSegmentBytes(16 << 20).withPrefillBytes(4 << 20);
        Log log = openNew();
        assertThat(log.segments().get(0).allocatedChunks()).isZero();
        log.close();
        open.remove(log);
        Log reopened = open(true, 0);
        assertThat(reopened.segments().get(0).allocatedChunks()).as("after a clean reopen").isZero();

        appendRecords(reopened, 1, 5, 100, clock.milliseconds());
        // The background work runs inline here: the writer's own chunk and the one ahead that a segment starts with
        // until the writer's rate is known (no prepared file was handed over from an earlier segment).
        assertThat(reopened.segments().get(0).allocatedChunks()).isEqualTo(2);
    }

    @Test
    void theNextSegmentIsPreparedWithTheWindowTheWritersRateCallsFor() {
        config = config.withSegmentBytes(8 << 20).withPrefillBytes(4 << 20);
        // 256 KiB batches: a slow writer takes 4 s per 1 MiB chunk and needs one chunk ahead, a fast one (the
        // clock standing still) the whole 4 MiB.
        assertThat(chunksOfTheSecondSegmentAfterItsFirstAppend("slow", 1000)).isEqualTo(2);
        assertThat(chunksOfTheSecondSegmentAfterItsFirstAppend("fast", 0)).isEqualTo(5);
    }

    private int chunksOfTheSecondSegmentAfterItsFirstAppend(String dir, long msBetweenBatches) {
        Log log = Log.open(TP, tmp.resolve(dir), config, clock, Runnable::run, false, 0);
        open.add(log);
        while (log.segments().size() < 2) {
            clock.advance(msBetweenBatches);
            appendRecords(log, 1, 64, 4096, clock.milliseconds());
        }
        return log.segments().get(1).allocatedChunks();
    }

    @Test
    void appendAssignsOffsetsAndEpochInPlaceAndReadsBack() throws IOException {
        Log log = openNew();
        LogAppendInfo first = log.appendAsLeader(batch(0, 5, 100, clock.milliseconds()), 7);
        LogAppendInfo second = log.appendAsLeader(batch(5, 3, 100, clock.milliseconds()), 7);

        assertThat(first.firstOffset()).isZero();
        assertThat(first.lastOffset()).isEqualTo(4);
        assertThat(second.firstOffset()).isEqualTo(5);
        assertThat(log.logEndOffset()).isEqualTo(8);
        try (LogSlice slice = log.read(0, 1 << 20, Long.MAX_VALUE)) {
            List<RecordBatch> batches = new ArrayList<>();
            RecordBatches.of(slice.readAll()).forEach(batches::add);
            assertThat(batches).hasSize(2);
            assertThat(batches.get(1).baseOffset()).isEqualTo(5);
            assertThat(batches.get(1).partitionLeaderEpoch()).isEqualTo(7);
            assertThat(batches.get(1).isValid()).isTrue();
        }
        assertThat(readAllIds(log, 0)).isEqualTo(range(0, 8));
    }

    @Test
    void readStopsAtMaxOffsetAndEndsOnBatchBoundaries() throws IOException {
        Log log = openNew();
        appendRecords(log, 10, 4, 200, clock.milliseconds()); // 10 batches of 4 records
        List<Integer> sizes = new ArrayList<>();
        try (LogSlice all = log.read(0, 1 << 20, Long.MAX_VALUE)) {
            RecordBatches.of(all.readAll()).forEach(b -> sizes.add(b.sizeInBytes()));
        }
        assertThat(sizes).hasSize(10);
        try (LogSlice all = log.read(0, 1 << 20, Long.MAX_VALUE)) {
            assertThat(all.nextOffset()).isEqualTo(40);
            assertThat(all.recordCount()).isEqualTo(40);
        }
        try (LogSlice one = log.read(0, 1, Long.MAX_VALUE)) {
            assertThat(one.length()).isEqualTo(sizes.get(0)); // a read always returns at least one whole batch
            assertThat(one.nextOffset()).isEqualTo(4);
        }
        try (LogSlice hw = log.read(0, 1 << 20, 12)) {
            assertThat(hw.length()).isEqualTo(sizes.get(0) + sizes.get(1) + sizes.get(2)); // the high watermark is exclusive
            assertThat(hw.nextOffset()).isEqualTo(12);
        }
        int twoBatches = sizes.get(2) + sizes.get(3);
        try (LogSlice bounded = log.read(9, twoBatches + sizes.get(4) - 1, Long.MAX_VALUE)) {
            assertThat(bounded.firstOffset()).isEqualTo(8); // the batch holding offset 9
            assertThat(bounded.length()).isEqualTo(twoBatches);
            assertThat(bounded.nextOffset()).isEqualTo(16);
            assertThat(bounded.recordCount()).isEqualTo(8);
        }
        try (LogSlice atEnd = log.read(40, 1000, Long.MAX_VALUE)) {
            assertThat(atEnd.isEmpty()).isTrue();
            assertThat(atEnd.recordCount()).isZero();
        }
        assertThatThrownBy(() -> log.read(41, 1000, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class)
                .hasMessageContaining("orders-3").hasMessageContaining("41");
    }

    @Test
    void rollsWhenFullAndReadsAcrossSegments() throws IOException {
        Log log = openNew();
        appendRecords(log, 200, 4, 250, clock.milliseconds()); // ~220 KiB into 64 KiB segments

        assertThat(log.segmentCount()).isGreaterThan(3);
        assertThat(readAllIds(log, 0)).isEqualTo(range(0, 800));
        for (Segment s : log.segments().subList(0, log.segmentCount() - 1)) {
            assertThat(s.isActive()).isFalse();
            assertThat(Files.size(s.file())).isEqualTo(s.size()); // sealed segments are trimmed
        }
    }

    @Test
    void rollsWhenIndexIsFullAndWhenSegmentIsOld() {
        config = config.withSegmentIndexBytes(4 * OffsetIndex.ENTRY_SIZE * 3).withIndexIntervalBytes(0);
        Log log = openNew();
        appendRecords(log, 30, 1, 100, clock.milliseconds());
        assertThat(log.segmentCount()).isGreaterThan(2);

        config = config.withSegmentIndexBytes(1 << 20).withSegmentMs(60_000);
        Log aged = Log.open(new TopicPartition("aged", 0), tmp.resolve("aged-0"), config, clock, Runnable::run, false, 0);
        open.add(aged);
        appendRecords(aged, 2, 1, 100, clock.milliseconds());
        clock.advance(60_000);
        appendRecords(aged, 1, 1, 100, clock.milliseconds());
        assertThat(aged.segmentCount()).isEqualTo(2);
        assertThat(aged.segments().get(1).baseOffset()).isEqualTo(2);
    }

    @Test
    void rejectsInvalidBatchesWithoutTouchingTheFile() throws IOException {
        Log log = openNew();
        appendRecords(log, 3, 2, 100, clock.milliseconds());
        int sizeBefore = log.segments().get(0).size();

        ByteBuffer bad = batch(6, 2, 100, clock.milliseconds());
        bad.put(bad.limit() - 1, (byte) (bad.get(bad.limit() - 1) ^ 1));
        assertThatThrownBy(() -> log.appendAsLeader(bad, 7)).isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("CRC");

        ByteBuffer twoGoodOneBad = ByteBuffer.allocate(3 * 1024);
        twoGoodOneBad.put(batch(6, 1, 100, 0)).put(batch(7, 1, 100, 0)).put(bad.duplicate().position(0)).flip();
        assertThatThrownBy(() -> log.appendAsLeader(twoGoodOneBad, 7)).isInstanceOf(CorruptRecordException.class);

        ByteBuffer huge = batch(6, 1, 70 * 1024, 0);
        assertThatThrownBy(() -> log.appendAsLeader(huge, 7)).isInstanceOf(RecordBatchTooLargeException.class)
                .hasMessageContaining("segment.bytes");

        assertThat(log.logEndOffset()).isEqualTo(6);
        assertThat(log.segments().get(0).size()).isEqualTo(sizeBefore);
        assertThat(readAllIds(log, 0)).isEqualTo(range(0, 6));
    }

    @Test
    void followerAppendKeepsOffsetsAndRejectsGaps() throws IOException {
        Log leader = openNew();
        appendRecords(leader, 4, 3, 100, clock.milliseconds());
        Log follower = Log.open(new TopicPartition("orders", 4), tmp.resolve("orders-4"), config, clock, Runnable::run, false, 0);
        open.add(follower);
        try (LogSlice s = leader.read(0, 1 << 20, Long.MAX_VALUE)) {
            follower.appendAsFollower(s.readAll());
        }
        assertThat(follower.logEndOffset()).isEqualTo(12);
        assertThat(readAllIds(follower, 0)).isEqualTo(range(0, 12));

        ByteBuffer gap = batch(20, 1, 100, 0);
        RecordBatch.setBaseOffset(gap, 0, 20);
        assertThatThrownBy(() -> follower.appendAsFollower(gap)).isInstanceOf(UnexpectedAppendOffsetException.class)
                .hasMessageContaining("20").hasMessageContaining("12");
    }

    @Test
    void findsOffsetsByTimestamp() {
        Log log = openNew();
        for (int i = 0; i < 100; i++) {
            log.appendAsLeader(batch(i, 1, 500, 1000L + 10 * i), 7);
        }
        assertThat(log.offsetForTimestamp(0)).isEqualTo(new TimestampOffset(1000, 0));
        assertThat(log.offsetForTimestamp(1455)).isEqualTo(new TimestampOffset(1460, 46));
        assertThat(log.offsetForTimestamp(1990)).isEqualTo(new TimestampOffset(1990, 99));
        assertThat(log.offsetForTimestamp(1991)).isNull();
    }

    @Test
    void batchesWithoutTimestampsIndexAcrossRollsAndRestarts() throws IOException {
        config = config.withIndexIntervalBytes(0);
        Log log = openNew();
        for (int i = 0; i < 150; i++) {
            log.appendAsLeader(batch(i, 1, 600, RecordBatch.NO_TIMESTAMP), 7);
        }
        assertThat(log.segmentCount()).isGreaterThan(1);
        log.close();
        open.remove(log);
        Log reopened = open(true, Long.MAX_VALUE);
        assertThat(reopened.logEndOffset()).isEqualTo(150);
        assertThat(readAllIds(reopened, 0)).isEqualTo(range(0, 150));
        assertThat(reopened.offsetForTimestamp(0)).isNull();
    }

    @Test
    void idleIndexesOfSealedSegmentsAreUnmappedAndMappedAgainOnUse() throws IOException {
        Log log = openNew();
        appendRecords(log, 200, 4, 300, clock.milliseconds());
        List<Segment> segments = log.segments();
        Segment first = segments.get(0);
        Segment active = segments.get(segments.size() - 1);
        try (LogSlice s = log.read(10, 100, Long.MAX_VALUE)) {
            assertThat(s.firstOffset()).isLessThanOrEqualTo(10);
        }
        // Segments nobody read lose their mappings at once; the one just read survives one pass.
        assertThat(log.unmapIdleIndexes()).isEqualTo(segments.size() - 2);
        assertThat(first.indexesMapped()).isTrue();
        assertThat(log.unmapIdleIndexes()).isEqualTo(1);
        assertThat(first.indexesMapped()).isFalse();
        assertThat(active.indexesMapped()).isTrue(); // the writer's
        assertThat(readAllIds(log, 0)).isEqualTo(range(0, 800));
        assertThat(first.indexesMapped()).isTrue();
        assertThat(log.offsetForTimestamp(0)).isEqualTo(new TimestampOffset(clock.milliseconds(), 0));
    }

    @Test
    void readersRacingIdleUnmapsAlwaysGetTheirBytes() throws Exception {
        Log log = openNew();
        appendRecords(log, 300, 4, 300, clock.milliseconds());
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            long seed = t;
            Thread reader = new Thread(() -> {
                java.util.Random random = new java.util.Random(seed);
                try {
                    while (!stop.get()) {
                        long offset = random.nextInt(1200);
                        try (LogSlice slice = log.read(offset, 2000, Long.MAX_VALUE)) {
                            RecordBatch first = RecordBatch.at(slice.readAll(), 0);
                            first.ensureValid();
                            assertThat(first.baseOffset()).isLessThanOrEqualTo(offset);
                            assertThat(first.lastOffset()).isGreaterThanOrEqualTo(offset);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            reader.start();
            readers.add(reader);
        }
        int unmapped = 0;
        long until = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < until && failure.get() == null) {
            unmapped += log.unmapIdleIndexes();
        }
        stop.set(true);
        for (Thread r : readers) {
            r.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(unmapped).isPositive();
    }

    // ------------------------------------------------------------------ restart and recovery

    @Test
    void cleanReopenKeepsEverythingAndContinues() throws IOException {
        Log log = openNew();
        appendRecords(log, 100, 4, 300, clock.milliseconds());
        log.close();
        open.remove(log);

        Log reopened = open(true, Long.MAX_VALUE);
        assertThat(reopened.logEndOffset()).isEqualTo(400);
        appendRecords(reopened, 10, 4, 300, clock.milliseconds());
        assertThat(readAllIds(reopened, 0)).isEqualTo(range(0, 440));
    }

    @Test
    void anEpochAddedSinceTheLastFlushIsReadBackFromTheBatchesAfterACrash() throws IOException {
        Log log = openNew();
        appendRecords(log, 3, 4, 300, clock.milliseconds()); // epoch 7 from offset 0
        log.flush();
        long flushedAt = log.recoveryPoint();
        Path checkpoint = log.dir().resolve(LeaderEpochCache.FILE_NAME);
        assertThat(Files.readString(checkpoint)).isEqualTo("0\n1\n7 0\n");
        log.appendAsLeader(batch(log.logEndOffset(), 4, 300, clock.milliseconds()), 9);
        assertThat(Files.readString(checkpoint)).as("no checkpoint I/O in the append").isEqualTo("0\n1\n7 0\n");
        log.closeUncleanly();
        open.remove(log);

        Log reopened = open(false, flushedAt);
        assertThat(reopened.epochEntries()).containsExactly(new EpochEntry(7, 0), new EpochEntry(9, 12));
        assertThat(reopened.endOffsetForEpoch(7)).isEqualTo(new EpochEndOffset(7, 12));
    }

    @Test
    void theRecoveryPointPassesAnEpochOnlyOnceTheCheckpointHoldsIt() throws IOException {
        Log log = openNew();
        appendRecords(log, 2, 4, 300, clock.milliseconds());
        log.appendAsLeader(batch(log.logEndOffset(), 4, 300, clock.milliseconds()), 8);
        Path checkpoint = log.dir().resolve(LeaderEpochCache.FILE_NAME);
        assertThat(checkpoint).doesNotExist();
        log.flush();
        assertThat(log.recoveryPoint()).isEqualTo(12);
        assertThat(Files.readString(checkpoint)).isEqualTo("0\n2\n7 0\n8 8\n");
        log.roll();
        log.appendAsLeader(batch(log.logEndOffset(), 4, 300, clock.milliseconds()), 10);
        log.roll(); // the seal of the segment that holds epoch 10's start moves the recovery point past it
        assertThat(log.recoveryPoint()).isEqualTo(16);
        assertThat(Files.readString(checkpoint)).isEqualTo("0\n3\n7 0\n8 8\n10 12\n");
    }

    @Test
    void uncleanReopenDropsThePreallocatedZeros() throws IOException {
        Log log = openNew();
        appendRecords(log, 10, 4, 300, clock.milliseconds());
        Path active = log.segments().get(0).file();
        log.closeUncleanly();
        open.remove(log);
        assertThat(Files.size(active)).isEqualTo(config.segmentBytes()); // still preallocated

        Log reopened = openNew();
        assertThat(reopened.logEndOffset()).isEqualTo(40);
        appendRecords(reopened, 1, 4, 300, clock.milliseconds());
        assertThat(readAllIds(reopened, 0)).isEqualTo(range(0, 44));
    }

    @Test
    void tornWriteAtTheTailIsCutOff() throws IOException {
        Log log = openNew();
        appendRecords(log, 10, 4, 300, clock.milliseconds());
        int end = log.segments().get(0).size();
        Path file = log.segments().get(0).file();
        log.closeUncleanly();
        open.remove(log);
        ByteBuffer next = batch(40, 4, 300, clock.milliseconds());
        RecordBatch.setBaseOffset(next, 0, 40);
        writeAt(file, end, slice(next, 0, next.limit() / 2)); // the process died halfway through the copy

        Log reopened = openNew();
        assertThat(reopened.logEndOffset()).isEqualTo(40);
        assertThat(reopened.segments().get(0).size()).isEqualTo(end);
        appendRecords(reopened, 2, 4, 300, clock.milliseconds());
        assertThat(readAllIds(reopened, 0)).isEqualTo(range(0, 48));
    }

    @Test
    void completeBatchWithBadCrcAtTheTailIsCutOff() throws IOException {
        Log log = openNew();
        appendRecords(log, 5, 4, 300, clock.milliseconds());
        int end = log.segments().get(0).size();
        Path file = log.segments().get(0).file();
        log.closeUncleanly();
        open.remove(log);
        ByteBuffer next = batch(20, 4, 300, clock.milliseconds());
        RecordBatch.setBaseOffset(next, 0, 20);
        next.put(next.limit() - 10, (byte) 0); // its last page never reached the disk
        writeAt(file, end, next);

        Log reopened = openNew();
        assertThat(reopened.logEndOffset()).isEqualTo(20);
        assertThat(readAllIds(reopened, 0)).isEqualTo(range(0, 20));
    }

    @Test
    void randomGarbageAfterTheLastBatchIsCutOffAndStaysGone() throws IOException {
        Log log = openNew();
        appendRecords(log, 5, 4, 300, clock.milliseconds());
        int end = log.segments().get(0).size();
        Path file = log.segments().get(0).file();
        log.closeUncleanly();
        open.remove(log);
        byte[] garbage = new byte[5000];
        new java.util.Random(42).nextBytes(garbage);
        writeAt(file, end, ByteBuffer.wrap(garbage));

        Log reopened = openNew();
        assertThat(reopened.logEndOffset()).isEqualTo(20);
        appendRecords(reopened, 1, 1, 10, clock.milliseconds()); // shorter than the garbage
        reopened.closeUncleanly();
        open.remove(reopened);

        Log again = openNew();
        assertThat(again.logEndOffset()).isEqualTo(21);
        assertThat(readAllIds(again, 0)).isEqualTo(range(0, 21));
        try (var in = Channels.newInputStream(Files.newByteChannel(file))) {
            in.skipNBytes(again.segments().get(0).size());
            byte[] rest = in.readNBytes(garbage.length);
            assertThat(rest).containsOnly(0); // the cut made the old tail zeros, so it cannot come back
        }
    }

    @Test
    void corruptedBatchInTheMiddleOfAnOldSegmentIsATypedErrorNamingFileAndPosition() throws IOException {
        Log log = openNew();
        appendRecords(log, 150, 4, 300, clock.milliseconds());
        Segment old = log.segments().get(0);
        Path file = old.file();
        int middle;
        try (LogSlice s = log.read(20, 1, Long.MAX_VALUE)) {
            middle = s.position();
        }
        log.close();
        open.remove(log);
        writeAt(file, middle + RecordBatch.HEADER_SIZE + 5, ByteBuffer.wrap(new byte[] {(byte) 0xff, 0x13}));

        // Recovery that covers the segment (no recovery point) refuses to cut good batches away.
        assertThatThrownBy(() -> openNew()).isInstanceOf(LogCorruptionException.class)
                .hasMessageContaining(file.getFileName().toString())
                .hasMessageContaining("position " + middle)
                .satisfies(e -> assertThat(((LogCorruptionException) e).position()).isEqualTo(middle));
        assertThat(Files.size(file)).isGreaterThan(middle); // nothing was cut
    }

    @Test
    void corruptedHeaderIsATypedErrorOnRead() throws IOException {
        Log log = openNew();
        appendRecords(log, 150, 4, 300, clock.milliseconds());
        Path file = log.segments().get(0).file();
        int middle;
        try (LogSlice s = log.read(20, 1, Long.MAX_VALUE)) {
            middle = s.position();
        }
        log.close();
        open.remove(log);
        writeAt(file, middle + RecordBatch.BATCH_LENGTH_OFFSET, ByteBuffer.allocate(4).putInt(0, 3));

        Log reopened = open(true, Long.MAX_VALUE);
        // The broker walks headers to find offset 21 and stops at the damaged one, naming it.
        assertThatThrownBy(() -> reopened.read(21, 1, Long.MAX_VALUE)).isInstanceOf(LogCorruptionException.class)
                .hasMessageContaining(file.getFileName().toString()).hasMessageContaining("position " + middle);
        // A read that does not walk it hands the bytes to the consumer, whose CRC check rejects them.
        try (LogSlice slice = reopened.read(0, 1 << 20, Long.MAX_VALUE)) {
            assertThatThrownBy(() -> RecordBatches.of(slice.readAll()).forEach(RecordBatch::ensureValid))
                    .isInstanceOf(CorruptRecordException.class);
        }
    }

    @Test
    void missingTruncatedOrInconsistentIndexesAreRebuilt() throws IOException {
        Log log = openNew();
        appendRecords(log, 200, 4, 300, clock.milliseconds());
        List<Segment> segments = log.segments();
        Path dir = log.dir();
        long firstBase = segments.get(0).baseOffset();
        long secondBase = segments.get(1).baseOffset();
        long activeBase = segments.get(segments.size() - 1).baseOffset();
        log.close();
        open.remove(log);
        Files.delete(dir.resolve(Segment.fileName(firstBase, Segment.INDEX_SUFFIX)));
        try (var ch = java.nio.channels.FileChannel.open(dir.resolve(Segment.fileName(secondBase, Segment.INDEX_SUFFIX)),
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 3); // a torn entry
        }
        writeAt(dir.resolve(Segment.fileName(activeBase, Segment.INDEX_SUFFIX)), 8, ByteBuffer.allocate(8).putInt(0, 5_000).putInt(4, 9_999_999));

        Log reopened = open(true, Long.MAX_VALUE);
        assertThat(readAllIds(reopened, 0)).isEqualTo(range(0, 800));
        for (Segment s : reopened.segments()) {
            OffsetIndex idx = s.offsetIndex();
            assertThat(idx.entries()).isPositive();
            for (int i = 0; i < idx.entries(); i++) {
                OffsetPosition e = idx.entry(i);
                try (LogSlice slice = reopened.read(e.offset(), 1, Long.MAX_VALUE)) {
                    assertThat(slice.position()).isEqualTo(e.position());
                    assertThat(slice.firstOffset()).isEqualTo(e.offset());
                }
            }
        }
        assertThat(Files.exists(dir.resolve(Segment.fileName(firstBase, Segment.INDEX_SUFFIX)))).isTrue();
    }

    @Test
    void crashBetweenTheStepsOfARoll() throws IOException {
        // The seal of the old segment (trim, flush) runs after the roll, in the background: hold it back.
        List<Runnable> held = new ArrayList<>();
        Log log = Log.open(TP, tmp.resolve(TP.dirName()), config, clock, held::add, false, 0);
        appendRecords(log, 60, 4, 300, clock.milliseconds());
        assertThat(log.segmentCount()).isEqualTo(2);
        long recoveryPoint = log.recoveryPoint(); // not advanced: the seal never ran
        Path first = log.segments().get(0).file();
        assertThat(Files.size(first)).isEqualTo(config.segmentBytes()); // untrimmed, zeros after the data
        Path dir = log.dir();
        // A prepared next file that was never used, and the active segment's index files never written.
        Files.write(dir.resolve(PreparedFile.name(1)), new byte[4096]);
        Files.delete(dir.resolve(Segment.fileName(log.segments().get(1).baseOffset(), Segment.TIME_INDEX_SUFFIX)));
        abandon(log);

        Log reopened = open(false, recoveryPoint);
        assertThat(reopened.logEndOffset()).isEqualTo(240);
        assertThat(readAllIds(reopened, 0)).isEqualTo(range(0, 240));
        assertThat(Files.size(first)).isEqualTo(reopened.segments().get(0).size()); // trimmed by recovery
        assertThat(Files.exists(dir.resolve(PreparedFile.name(1)))).isFalse();
    }

    @Test
    void crashRightAfterTheNewSegmentFileWasCreated() throws IOException {
        Log log = openNew();
        appendRecords(log, 10, 4, 300, clock.milliseconds());
        Path dir = log.dir();
        log.closeUncleanly();
        open.remove(log);
        // The roll created the next data file (empty, no indexes yet) and the process died.
        Files.write(dir.resolve(Segment.fileName(40, Segment.LOG_SUFFIX)), new byte[0]);

        Log reopened = openNew();
        assertThat(reopened.logEndOffset()).isEqualTo(40);
        appendRecords(reopened, 1, 4, 300, clock.milliseconds());
        assertThat(readAllIds(reopened, 0)).isEqualTo(range(0, 44));
    }

    @Test
    void foreignFileInThePartitionDirectoryIsAnErrorNamingIt() throws IOException {
        Path dir = tmp.resolve(TP.dirName());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("notes.txt"), "hello");
        assertThatThrownBy(this::openNew).isInstanceOf(LogStorageException.class).hasMessageContaining("notes.txt");
    }

    // ------------------------------------------------------------------ truncation and retention

    @Test
    void truncateToWithinTheActiveSegmentAndAcrossSegments() throws IOException {
        Log log = openNew();
        appendRecords(log, 200, 4, 300, clock.milliseconds());
        assertThat(log.truncateTo(799)).isTrue(); // removes the whole batch holding 799
        assertThat(log.logEndOffset()).isEqualTo(796);

        long secondBase = log.segments().get(1).baseOffset();
        assertThat(log.truncateTo(secondBase + 5)).isTrue();
        assertThat(log.logEndOffset()).isEqualTo(secondBase + 4);
        assertThat(log.segmentCount()).isEqualTo(2);
        appendRecords(log, 30, 4, 300, clock.milliseconds());
        assertThat(readAllIds(log, 0)).isEqualTo(range(0, secondBase + 4 + 120));

        log.closeUncleanly();
        open.remove(log);
        Log reopened = openNew();
        assertThat(readAllIds(reopened, 0)).isEqualTo(range(0, secondBase + 4 + 120));
    }

    @Test
    void truncatedRecordsDoNotComeBackAfterACrash() throws IOException {
        Log log = openNew();
        appendRecords(log, 10, 4, 300, clock.milliseconds());
        log.truncateTo(20);
        log.closeUncleanly();
        open.remove(log);
        Log reopened = openNew();
        assertThat(reopened.logEndOffset()).isEqualTo(20);
    }

    @Test
    void truncateFullyStartsAnEmptyLogAtTheGivenOffset() throws IOException {
        Log log = openNew();
        appendRecords(log, 50, 4, 300, clock.milliseconds());
        log.truncateFullyAndStartAt(1000);
        assertThat(log.logStartOffset()).isEqualTo(1000);
        assertThat(log.logEndOffset()).isEqualTo(1000);
        log.appendAsFollower(withBase(batch(1000, 2, 10, 0), 1000));
        assertThat(readAllIds(log, 1000)).isEqualTo(range(1000, 1002));
    }

    @Test
    void retentionDeletesOldSegmentsBySizeAndTimeButLetsReadersFinish() throws IOException {
        config = config.withRetention(100 * 1024, 3_600_000);
        Log log = openNew();
        long t0 = clock.milliseconds();
        appendRecords(log, 200, 4, 300, t0);
        int before = log.segmentCount();
        LogSlice inFlight = log.read(0, 1 << 20, Long.MAX_VALUE);
        Path firstFile = inFlight.segment().file();

        assertThat(log.deleteRetainedSegments(clock.milliseconds())).isPositive();
        // Kafka's rule: delete the oldest segment while the rest would still hold retention.bytes.
        assertThat(log.size()).isGreaterThanOrEqualTo(100 * 1024);
        assertThat(log.size() - log.segments().get(0).size()).isLessThan(100 * 1024);
        assertThat(log.segmentCount()).isLessThan(before);
        assertThat(log.logStartOffset()).isEqualTo(log.segments().get(0).baseOffset());
        assertThatThrownBy(() -> log.read(0, 100, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class);

        // The reader that held the first segment still gets its bytes; the file goes when it is done.
        ByteArrayChannel sink = new ByteArrayChannel();
        assertThat(inFlight.transferTo(sink)).isEqualTo(inFlight.length());
        assertThat(Files.exists(inFlight.segment().file())).isTrue();
        inFlight.close();
        assertThat(Files.exists(inFlight.segment().file())).isFalse();
        assertThat(Files.exists(firstFile)).isFalse();

        clock.advance(3_600_001);
        assertThat(log.deleteRetainedSegments(clock.milliseconds())).isPositive();
        assertThat(log.segmentCount()).isEqualTo(1);
        assertThat(log.logStartOffset()).isEqualTo(800);
        assertThat(log.logEndOffset()).isEqualTo(800);
        try (Stream<Path> files = Files.list(log.dir())) {
            assertThat(files.filter(p -> p.toString().endsWith(Segment.LOG_SUFFIX))).hasSize(1);
        }
    }

    @Test
    void flushAdvancesTheRecoveryPoint() {
        config = config.withFlushInterval(8, Long.MAX_VALUE);
        Log log = openNew();
        appendRecords(log, 1, 4, 100, clock.milliseconds());
        assertThat(log.recoveryPoint()).isZero();
        appendRecords(log, 1, 4, 100, clock.milliseconds());
        assertThat(log.recoveryPoint()).isEqualTo(8);
        config = config.withFlushInterval(Long.MAX_VALUE, 1000);
        log.updateConfig(config);
        appendRecords(log, 1, 4, 100, clock.milliseconds());
        assertThat(log.maybeFlush(clock.milliseconds() + 999)).isFalse();
        assertThat(log.maybeFlush(clock.milliseconds() + 1000)).isTrue();
        assertThat(log.recoveryPoint()).isEqualTo(12);
    }

    // ------------------------------------------------------------------ helpers

    void abandon(Log log) {
        open.remove(log);
        // Leaves files as a killed process would: the held seal never runs, nothing is trimmed.
        log.closeUncleanly();
    }

    static ByteBuffer withBase(ByteBuffer batch, long base) {
        RecordBatch.setBaseOffset(batch, 0, base);
        return batch;
    }

    static ByteBuffer slice(ByteBuffer b, int from, int length) {
        return b.duplicate().position(from).limit(from + length).slice();
    }

    static void writeAt(Path file, long position, ByteBuffer bytes) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ByteBuffer b = bytes.duplicate();
            while (b.hasRemaining()) {
                ch.write(b, position + b.position());
            }
        }
    }

    /** A channel that keeps what it is sent, to check transfers. */
    static final class ByteArrayChannel implements java.nio.channels.WritableByteChannel {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            byte[] b = new byte[n];
            src.get(b);
            out.write(b, 0, n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
