package io.sluice.broker.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.producer.AppendCheck.Outcome;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.state.StoreFamily;
import io.sluice.broker.testing.ManualClock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProducerStateManagerTest {
    static final TopicPartition TP = new TopicPartition("orders", 0);
    static final long TS = 1_700_000_000_000L;

    @TempDir
    Path tmp;
    BrokerStore store;
    ProducerStateStore snapshots;
    ProducerStateManager state;
    final List<Log> logs = new ArrayList<>();
    final ManualClock clock = new ManualClock(TS);
    /** Offsets for tests that do not need a real log. */
    long nextOffset;

    @BeforeEach
    void open() {
        store = BrokerStore.open(BrokerStore.dirIn(tmp));
        snapshots = new ProducerStateStore(store);
        state = new ProducerStateManager(TP, snapshots);
    }

    @AfterEach
    void close() {
        logs.forEach(Log::close);
        store.close();
    }

    static ByteBuffer batch(long pid, int epoch, int baseSeq, int count) {
        RecordBatchBuilder b = new RecordBatchBuilder(256).producerId(pid).producerEpoch((short) epoch)
                .baseSequence(baseSeq);
        for (int i = 0; i < count; i++) {
            b.append(TS + i, null, ("p" + pid + "e" + epoch + "s" + (baseSeq + i)).getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    static ByteBuffer plainBatch(int count) {
        return batch(RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE, count);
    }

    /** The append path without a log: check, and on APPEND take the next offsets and update. */
    AppendCheck produce(ByteBuffer bytes) {
        RecordBatch b = RecordBatch.at(bytes, 0);
        AppendCheck check = state.check(b);
        if (check.outcome() == Outcome.APPEND) {
            state.update(b, nextOffset, nextOffset + b.lastOffsetDelta());
            nextOffset += b.recordCount();
        }
        return check;
    }

    /** The append path against a real log, as the produce handler runs it under the partition's append lock. */
    static AppendCheck produce(ProducerStateManager psm, Log log, ByteBuffer bytes) {
        RecordBatch b = RecordBatch.at(bytes, 0);
        AppendCheck check = psm.check(b);
        if (check.outcome() == Outcome.APPEND) {
            LogAppendInfo info = log.appendAsLeader(bytes.duplicate(), 0);
            psm.update(b, info.firstOffset(), info.lastOffset());
        }
        return check;
    }

    Log openLog(boolean clean) {
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(4096).withIndexIntervalBytes(256).withPrefillBytes(0);
        Log log = Log.open(TP, tmp.resolve(TP.dirName()), config, clock, Runnable::run, clean, 0);
        logs.add(log);
        return log;
    }

    void closeLog(Log log) {
        log.close();
        logs.remove(log);
    }

    @Test
    void batchesInSequenceAreAppendedAndRemembered() {
        assertThat(produce(batch(7, 0, 0, 3)).outcome()).isEqualTo(Outcome.APPEND);
        assertThat(produce(batch(7, 0, 3, 2)).outcome()).isEqualTo(Outcome.APPEND);
        assertThat(produce(batch(8, 0, 0, 1)).outcome()).isEqualTo(Outcome.APPEND);
        ProducerStateEntry entry = state.entry(7).orElseThrow();
        assertThat(entry.epoch()).isZero();
        assertThat(entry.batches()).containsExactly(
                new BatchMetadata(0, 2, 0, 2, TS + 2), new BatchMetadata(3, 4, 3, 4, TS + 1));
        assertThat(state.entries()).extracting(ProducerStateEntry::producerId).containsExactly(7L, 8L);
        assertThat(AppendCheck.APPEND.errorCode()).isEqualTo(ErrorCode.NONE);
    }

    @Test
    void aRetryOfEachOfTheLastFiveBatchesIsADuplicateWithItsOriginalOffsets() {
        produce(plainBatch(4)); // offsets 0..3 are someone else's
        List<ByteBuffer> sent = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ByteBuffer b = batch(42, 3, i * 2, 2);
            sent.add(b.duplicate());
            assertThat(produce(b).outcome()).isEqualTo(Outcome.APPEND);
            produce(plainBatch(1)); // interleaved writes move the offsets apart
        }
        long end = nextOffset;
        for (int i = 2; i < 7; i++) {
            AppendCheck retry = produce(sent.get(i).duplicate());
            assertThat(retry.outcome()).as("batch %d", i).isEqualTo(Outcome.DUPLICATE);
            assertThat(retry.duplicateOf().firstOffset()).isEqualTo(4 + i * 3L);
            assertThat(retry.duplicateOf().lastOffset()).isEqualTo(4 + i * 3L + 1);
            assertThat(retry.duplicateOf().firstSeq()).isEqualTo(i * 2);
            assertThat(retry.errorCode()).isEqualTo(ErrorCode.DUPLICATE_SEQUENCE);
        }
        assertThat(nextOffset).as("nothing was appended twice").isEqualTo(end);
        // Too old to be remembered: Kafka answers OUT_OF_ORDER_SEQUENCE.
        for (int i = 0; i < 2; i++) {
            AppendCheck old = produce(sent.get(i).duplicate());
            assertThat(old.outcome()).isEqualTo(Outcome.OUT_OF_ORDER_SEQUENCE);
            assertThat(old.errorCode()).isEqualTo(ErrorCode.OUT_OF_ORDER_SEQUENCE);
        }
        assertThat(state.entry(42).orElseThrow().batches()).hasSize(ProducerStateEntry.RETAINED_BATCHES);
    }

    @Test
    void aBatchOverlappingARememberedOneWithOtherBoundsIsOutOfOrder() {
        produce(batch(1, 0, 0, 5));
        assertThat(produce(batch(1, 0, 0, 3)).outcome()).isEqualTo(Outcome.OUT_OF_ORDER_SEQUENCE);
        assertThat(produce(batch(1, 0, 2, 3)).outcome()).isEqualTo(Outcome.OUT_OF_ORDER_SEQUENCE);
    }

    @Test
    void aGapIsOutOfOrderAndNamesTheExpectedSequence() {
        produce(batch(1, 0, 0, 5));
        AppendCheck gap = produce(batch(1, 0, 6, 1));
        assertThat(gap.outcome()).isEqualTo(Outcome.OUT_OF_ORDER_SEQUENCE);
        assertThat(gap.message()).contains("expected 5").contains("orders-0");
        assertThat(produce(batch(1, 0, 5, 1)).outcome()).isEqualTo(Outcome.APPEND);
        assertThat(produce(batch(1, 0, -1, 1)).outcome()).isEqualTo(Outcome.OUT_OF_ORDER_SEQUENCE);
    }

    @Test
    void anOlderEpochIsFenced() {
        produce(batch(1, 0, 0, 1));
        produce(batch(1, 1, 0, 1));
        AppendCheck zombie = produce(batch(1, 0, 1, 1));
        assertThat(zombie.outcome()).isEqualTo(Outcome.INVALID_PRODUCER_EPOCH);
        assertThat(zombie.errorCode()).isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH);
        // Even a retry of a batch the old epoch wrote is fenced: the new epoch forgot those batches.
        assertThat(produce(batch(1, 0, 0, 1)).outcome()).isEqualTo(Outcome.INVALID_PRODUCER_EPOCH);
    }

    @Test
    void aNewEpochStartsAtSequenceZeroAndForgetsTheOldBatches() {
        produce(batch(1, 0, 0, 10));
        assertThat(produce(batch(1, 1, 10, 1)).outcome()).isEqualTo(Outcome.OUT_OF_ORDER_SEQUENCE);
        assertThat(produce(batch(1, 1, 0, 2)).outcome()).isEqualTo(Outcome.APPEND);
        ProducerStateEntry entry = state.entry(1).orElseThrow();
        assertThat(entry.epoch()).isEqualTo((short) 1);
        assertThat(entry.batches()).extracting(BatchMetadata::firstSeq).containsExactly(0);
        assertThat(produce(batch(1, 1, 2, 1)).outcome()).isEqualTo(Outcome.APPEND);
    }

    @Test
    void anUnknownProducerMustStartAtZero() {
        AppendCheck unknown = produce(batch(9, 0, 17, 1));
        assertThat(unknown.outcome()).isEqualTo(Outcome.UNKNOWN_PRODUCER_ID);
        assertThat(unknown.errorCode()).isEqualTo(ErrorCode.UNKNOWN_PRODUCER_ID);
        assertThat(state.entry(9)).isEmpty();
        assertThat(produce(batch(9, 0, 0, 1)).outcome()).isEqualTo(Outcome.APPEND);
    }

    @Test
    void producersWhoseBatchesFellBelowTheLogStartAreForgotten() {
        produce(batch(1, 0, 0, 3)); // 0..2
        produce(batch(2, 0, 0, 3)); // 3..5
        assertThat(state.onLogStartOffsetIncremented(3)).isEqualTo(1);
        assertThat(state.entry(1)).isEmpty();
        assertThat(produce(batch(1, 0, 3, 1)).outcome()).isEqualTo(Outcome.UNKNOWN_PRODUCER_ID);
        assertThat(produce(batch(2, 0, 3, 1)).outcome()).isEqualTo(Outcome.APPEND);
    }

    @Test
    void producersIdleLongerThanTheExpirationAreForgotten() {
        produce(batch(1, 0, 0, 1)); // timestamp TS
        state.update(RecordBatch.at(batch(2, 0, 0, 1), 0), 10, 10);
        assertThat(state.removeExpiredProducers(TS + 1000, 999)).isEqualTo(2);
        assertThat(state.entries()).isEmpty();
    }

    @Test
    void nonIdempotentBatchesBypassTheState() {
        for (int i = 0; i < 3; i++) {
            assertThat(produce(plainBatch(2)).outcome()).isEqualTo(Outcome.APPEND);
        }
        assertThat(state.entries()).isEmpty();
    }

    @Test
    void sequencesWrapAtIntegerMaxValue() {
        // Establish a producer near the top of the sequence space, as a replay would.
        state.update(RecordBatch.at(batch(5, 0, Integer.MAX_VALUE - 1, 2), 0), 0, 1);
        nextOffset = 2;
        assertThat(state.entry(5).orElseThrow().batches().get(0).lastSeq()).isEqualTo(Integer.MAX_VALUE);
        ByteBuffer wrapped = batch(5, 0, 0, 3);
        assertThat(produce(wrapped.duplicate()).outcome()).isEqualTo(Outcome.APPEND);
        assertThat(produce(batch(5, 0, 3, 1)).outcome()).isEqualTo(Outcome.APPEND);
        assertThat(produce(wrapped.duplicate()).outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(ProducerStateManager.inSequence(Integer.MAX_VALUE, 0)).isTrue();
        assertThat(ProducerStateManager.inSequence(Integer.MAX_VALUE, Integer.MIN_VALUE)).isFalse();

        // A batch that itself crosses the top: its last sequence is past 0.
        ProducerStateManager other = new ProducerStateManager(TP, snapshots);
        other.update(RecordBatch.at(batch(5, 0, Integer.MAX_VALUE - 1, 4), 0), 0, 3);
        assertThat(other.entry(5).orElseThrow().batches().get(0).lastSeq()).isEqualTo(1);
        assertThat(other.check(RecordBatch.at(batch(5, 0, 2, 1), 0)).outcome()).isEqualTo(Outcome.APPEND);
        assertThat(other.check(RecordBatch.at(batch(5, 0, Integer.MAX_VALUE - 1, 4), 0)).outcome())
                .isEqualTo(Outcome.DUPLICATE);
    }

    /** Many producers, epoch bumps and plain batches, across several segments; carries on where it left off. */
    static final class Workload {
        final Random random;
        final int[] epochs = new int[6];
        final int[] seqs = new int[6];

        Workload(long seed) {
            random = new Random(seed);
        }

        /** Produces {@code batches} batches and returns the state they built. */
        List<ProducerStateEntry> run(ProducerStateManager psm, Log log, int batches) {
            for (int i = 0; i < batches; i++) {
                int p = random.nextInt(7);
                if (p == 6) {
                    produce(psm, log, plainBatch(1 + random.nextInt(3)));
                    continue;
                }
                if (random.nextInt(40) == 0) {
                    epochs[p]++;
                    seqs[p] = 0;
                }
                int count = 1 + random.nextInt(4);
                assertThat(produce(psm, log, batch(100 + p, epochs[p], seqs[p], count)).outcome())
                        .isEqualTo(Outcome.APPEND);
                seqs[p] += count;
            }
            return psm.entries();
        }
    }

    List<ProducerStateEntry> produceMixedWorkload(ProducerStateManager psm, Log log, int batches, long seed) {
        return new Workload(seed).run(psm, log, batches);
    }

    @Test
    void rebuildFromTheLogAfterARestartEqualsTheStateBefore() {
        Log log = openLog(false);
        List<ProducerStateEntry> before = produceMixedWorkload(state, log, 300, 1);
        assertThat(log.segmentCount()).as("the workload spans segments").isGreaterThan(3);
        long end = log.logEndOffset();
        closeLog(log);

        Log reopened = openLog(true);
        assertThat(reopened.logEndOffset()).isEqualTo(end);
        ProducerStateManager rebuilt = new ProducerStateManager(TP, snapshots);
        rebuilt.load(reopened); // no snapshot stored: a full scan of the headers
        assertThat(rebuilt.entries()).isEqualTo(before);
        // And it keeps working: a retry is still recognised, the next batch still fits.
        ProducerStateEntry some = before.get(0);
        BatchMetadata last = some.batches().get(some.batches().size() - 1);
        AppendCheck retry = rebuilt.check(RecordBatch.at(
                batch(some.producerId(), some.epoch(), last.firstSeq(), last.lastSeq() - last.firstSeq() + 1), 0));
        assertThat(retry.outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(retry.duplicateOf()).isEqualTo(last);
    }

    @Test
    void snapshotPlusReplayOfTheTailEqualsTheFullState() {
        Log log = openLog(false);
        Workload workload = new Workload(2);
        workload.run(state, log, 150);
        state.takeSnapshot(log.logEndOffset());
        long snapshotOffset = log.logEndOffset();
        List<ProducerStateEntry> full = workload.run(state, log, 150);

        ProducerStateManager restored = new ProducerStateManager(TP, snapshots);
        assertThat(snapshots.load(TP)).hasValueSatisfying(s -> assertThat(s.offset()).isEqualTo(snapshotOffset));
        restored.load(log);
        assertThat(restored.entries()).isEqualTo(full);

        // The snapshot really is used: a snapshot with a marker entry that the log does not hold survives the load.
        ProducerStateEntry marker = new ProducerStateEntry(999, (short) 4, List.of(new BatchMetadata(0, 0, 0, 0, TS)));
        List<ProducerStateEntry> withMarker = new ArrayList<>(full);
        withMarker.add(marker);
        ProducerStateManager fromMarked = new ProducerStateManager(TP, snapshots);
        fromMarked.loadFrom(new ProducerStateSnapshot(log.logEndOffset(), withMarker), log);
        assertThat(fromMarked.entry(999)).contains(marker);
    }

    @Test
    void aSnapshotAboveTheLogEndIsDiscardedAndTheStateRebuiltFromTheLogStart() {
        Log log = openLog(false);
        List<ProducerStateEntry> real = produceMixedWorkload(state, log, 100, 4);
        ProducerStateEntry ghost = new ProducerStateEntry(777, (short) 0, List.of(new BatchMetadata(0, 0, 5, 5, TS)));
        snapshots.save(TP, new ProducerStateSnapshot(log.logEndOffset() + 50, List.of(ghost)));

        ProducerStateManager rebuilt = new ProducerStateManager(TP, snapshots);
        rebuilt.load(log);
        assertThat(rebuilt.entries()).isEqualTo(real);
        assertThat(snapshots.load(TP)).as("the stale snapshot is deleted").isEmpty();
    }

    @Test
    void aDamagedSnapshotIsIgnored() {
        Log log = openLog(false);
        List<ProducerStateEntry> real = produceMixedWorkload(state, log, 50, 5);
        state.takeSnapshot(log.logEndOffset());
        byte[] key = TP.dirName().getBytes(StandardCharsets.UTF_8);
        byte[] bytes = store.get(StoreFamily.PRODUCER_STATE, key);
        bytes[bytes.length / 2] ^= 0x10;
        store.put(StoreFamily.PRODUCER_STATE, key, bytes);
        assertThat(snapshots.load(TP)).isEmpty();
        ProducerStateManager rebuilt = new ProducerStateManager(TP, snapshots);
        rebuilt.load(log);
        assertThat(rebuilt.entries()).isEqualTo(real);
    }

    @Test
    void snapshotEncodingRoundTrips() {
        ProducerStateSnapshot s = new ProducerStateSnapshot(123_456_789_012L, List.of(
                new ProducerStateEntry(1, (short) 2, List.of(new BatchMetadata(0, 9, 100, 109, TS),
                        new BatchMetadata(10, 10, 1L << 40, 1L << 40, -1))),
                new ProducerStateEntry(Long.MAX_VALUE, Short.MAX_VALUE, List.of(
                        new BatchMetadata(Integer.MAX_VALUE, 3, 7, 11, TS)))));
        byte[] bytes = s.encode();
        assertThat(bytes).hasSize(17 + 2 * 11 + 3 * 28);
        assertThat(ProducerStateSnapshot.decode(bytes)).isEqualTo(s);
    }

    @Test
    void truncationRestoresTheStateOfTheLogPrefix() {
        Log log = openLog(false);
        produceMixedWorkload(state, log, 100, 6);
        long cut = log.logEndOffset();
        state.takeSnapshot(cut);
        List<ProducerStateEntry> atCut = state.entries();
        // The tail that will be cut: a batch of a known producer, a new epoch of another, and a new producer.
        ProducerStateEntry p = atCut.get(0);
        int nextSeq = p.batches().get(p.batches().size() - 1).lastSeq() + 1;
        ByteBuffer tail = batch(p.producerId(), p.epoch(), nextSeq, 2);
        assertThat(produce(state, log, tail.duplicate()).outcome()).isEqualTo(Outcome.APPEND);
        ProducerStateEntry q = atCut.get(1);
        assertThat(produce(state, log, batch(q.producerId(), q.epoch() + 1, 0, 1)).outcome()).isEqualTo(Outcome.APPEND);
        assertThat(produce(state, log, batch(555, 0, 0, 1)).outcome()).isEqualTo(Outcome.APPEND);
        state.takeSnapshot(log.logEndOffset()); // a snapshot of the tail that is about to be cut

        log.truncateTo(cut);
        state.truncateTo(log);
        assertThat(state.entries()).isEqualTo(atCut);
        assertThat(snapshots.load(TP)).as("the snapshot above the new end is gone").isEmpty();
        // The cut batch is no longer a duplicate: the producer's retry is appended again.
        assertThat(produce(state, log, tail.duplicate()).outcome()).isEqualTo(Outcome.APPEND);
        // A fresh rebuild agrees.
        ProducerStateManager rebuilt = new ProducerStateManager(TP, snapshots);
        rebuilt.load(log);
        assertThat(rebuilt.entries()).isEqualTo(state.entries());
    }

    @Test
    void truncationThatCutsNoProducerBatchKeepsTheState() {
        Log log = openLog(false);
        produceMixedWorkload(state, log, 40, 7);
        long cut = log.logEndOffset();
        List<ProducerStateEntry> atCut = state.entries();
        produce(state, log, plainBatch(3));
        log.truncateTo(cut);
        state.truncateTo(log);
        assertThat(state.entries()).isEqualTo(atCut);
    }
}
