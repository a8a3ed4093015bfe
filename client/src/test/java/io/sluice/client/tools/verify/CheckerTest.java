package io.sluice.client.tools.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CheckerTest {
    private static final long RUN = 0x5c1e0f9a33d2b871L;
    private static final long OTHER_RUN = 42;

    private final List<String> reports = new ArrayList<>();
    private final Checker checker = new Checker(Set.of(RUN), reports::add);
    private final AckedRecords acked = new AckedRecords();

    private static ByteBuffer value(long run, long seq) {
        return ByteBuffer.wrap(VerifyValue.encode(run, seq, 64));
    }

    /** Partition p holds sequences seqs at offsets 0.., all acknowledged and all read. */
    private void cleanPartition(int p, long... seqs) {
        for (int i = 0; i < seqs.length; i++) {
            acked.add(p, i, RUN, seqs[i]);
            checker.record(p, i, value(RUN, seqs[i]));
        }
    }

    @Test
    void aCleanRunCountsNoAnomaly() {
        cleanPartition(0, 0, 2, 4);
        cleanPartition(1, 1, 3, 5);
        VerifyResult r = checker.finish(acked);
        assertThat(r.line()).isEqualTo("acked=6 consumed=6 lost=0 duplicated=0 reordered=0 corrupt=0");
        assertThat(r.anomalies()).isFalse();
        assertThat(reports).isEmpty();
    }

    @Test
    void anAcknowledgedRecordNotReadIsLost() {
        cleanPartition(0, 0, 1, 2);
        acked.add(0, 3, RUN, 3); // acknowledged past what was read
        acked.add(1, 0, RUN, 4); // in a partition never read
        VerifyResult r = checker.finish(acked);
        assertThat(r.lost()).isEqualTo(2);
        assertThat(r.acked()).isEqualTo(5);
        assertThat(r.anomalies()).isTrue();
        assertThat(reports).anyMatch(s -> s.startsWith("lost: partition 0 offset 3"));
    }

    @Test
    void aRecordAtAnotherOffsetThanAcknowledgedIsLost() {
        acked.add(0, 0, RUN, 0);
        acked.add(0, 1, RUN, 1);
        checker.record(0, 0, value(RUN, 0));
        checker.record(0, 2, value(RUN, 1)); // sequence 1 is there, but not at offset 1
        VerifyResult r = checker.finish(acked);
        assertThat(r.lost()).isEqualTo(1);
        assertThat(r.duplicated()).isZero();
    }

    @Test
    void aRecordReadTwiceIsDuplicatedOnceAndNotReordered() {
        cleanPartition(0, 0, 1, 2);
        checker.record(0, 3, value(RUN, 1));
        VerifyResult r = checker.finish(acked);
        assertThat(r.duplicated()).isEqualTo(1);
        assertThat(r.reordered()).isZero();
        assertThat(r.lost()).isZero();
        assertThat(r.consumed()).isEqualTo(4);
        assertThat(reports).containsExactly("duplicated: partition 0 offset 3: run 5c1e0f9a33d2b871 sequence 1 read before");
    }

    @Test
    void aDuplicateInAnotherPartitionCountsToo() {
        cleanPartition(0, 0);
        checker.record(1, 0, value(RUN, 0));
        assertThat(checker.finish(acked).duplicated()).isEqualTo(1);
    }

    @Test
    void aLowerSequenceAfterAHigherOneInAPartitionIsReordered() {
        acked.add(0, 0, RUN, 2);
        acked.add(0, 1, RUN, 1);
        checker.record(0, 0, value(RUN, 2));
        checker.record(0, 1, value(RUN, 1));
        VerifyResult r = checker.finish(acked);
        assertThat(r.reordered()).isEqualTo(1);
        assertThat(r.lost()).isZero();
        assertThat(r.duplicated()).isZero();
    }

    @Test
    void sequencesInterleavedAcrossPartitionsAreInOrder() {
        checker.record(0, 0, value(RUN, 5));
        checker.record(1, 0, value(RUN, 1));
        checker.record(1, 1, value(RUN, 6));
        checker.record(0, 1, value(RUN, 7));
        assertThat(checker.finish(acked).reordered()).isZero();
    }

    @Test
    void aFlippedByteIsCorruptAndTheAcknowledgedRecordLost() {
        acked.add(0, 0, RUN, 0);
        byte[] bytes = VerifyValue.encode(RUN, 0, 64);
        bytes[30] ^= 1;
        checker.record(0, 0, ByteBuffer.wrap(bytes));
        VerifyResult r = checker.finish(acked);
        assertThat(r.corrupt()).isEqualTo(1);
        assertThat(r.lost()).isEqualTo(1);
        assertThat(r.anomalies()).isTrue();
    }

    @Test
    void aTruncatedValueWithTheMagicIsCorrupt() {
        byte[] bytes = VerifyValue.encode(RUN, 0, 64);
        checker.record(0, 0, ByteBuffer.wrap(bytes, 0, 16));
        assertThat(checker.finish(acked).corrupt()).isEqualTo(1);
    }

    @Test
    void otherRunsAndOtherWritersAreIgnored() {
        cleanPartition(0, 0);
        checker.record(0, 1, value(OTHER_RUN, 0));
        checker.record(0, 2, ByteBuffer.wrap("hello".getBytes()));
        checker.record(0, 3, null);
        checker.record(0, 4, value(OTHER_RUN, 0)); // a duplicate, but not of a checked run
        acked.add(0, 1, OTHER_RUN, 0); // a line of a run not checked here
        VerifyResult r = checker.finish(acked);
        assertThat(r.anomalies()).isFalse();
        assertThat(r.foreign()).isEqualTo(4);
        assertThat(r.acked()).isEqualTo(1);
        assertThat(r.consumed()).isEqualTo(1);
    }

    @Test
    void aRefusedBatchIsCorruptOnceAndItsOffsetsUnchecked() {
        acked.add(0, 0, RUN, 0);
        acked.add(0, 1, RUN, 1);
        acked.add(0, 5, RUN, 2);
        acked.add(0, 6, RUN, 3);
        checker.record(0, 0, value(RUN, 0));
        // The answer from offset 1 was refused at offset 5 (a bad batch starting there): 1..4 were in it, not read.
        checker.refused(0, 1, 5, 5, "batch at offset 5 is corrupt");
        // Skipping one offset at a time meets the same batch again.
        checker.refused(0, 5, 6, 5, "batch at offset 5 is corrupt");
        checker.record(0, 7, value(RUN, 4));
        VerifyResult r = checker.finish(acked);
        assertThat(r.corrupt()).isEqualTo(1);
        assertThat(r.unchecked()).isEqualTo(2); // offsets 1 and 5
        assertThat(r.lost()).isEqualTo(1); // offset 6, inside the corrupt batch, never read
        assertThat(reports).anyMatch(s -> s.contains("refused by the consumer: batch at offset 5 is corrupt"));
    }

    @Test
    void manyAnomaliesAreListedTenAtATime() {
        for (int i = 0; i < 25; i++) {
            acked.add(0, i, RUN, i);
        }
        checker.finish(acked);
        assertThat(reports).hasSize(11).last().isEqualTo("lost: 15 more not listed");
    }

    @Test
    void recordsReadOutOfOffsetOrderAreMatchedWithoutAScanEach() {
        // Not read in offset order (descending here): matching used to scan them all for every acknowledged record.
        int n = 300_000;
        for (int i = 0; i < n; i++) {
            acked.add(0, n - 1 - i, RUN, i);
            checker.record(0, n - 1 - i, value(RUN, i));
        }
        VerifyResult r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                () -> checker.finish(acked));
        assertThat(r.line()).isEqualTo("acked=" + n + " consumed=" + n + " lost=0 duplicated=0 reordered=0 corrupt=0");
    }

    @Test
    void aRecordReadTwiceAtOneOffsetMatchesTheFirstRead() {
        acked.add(0, 0, RUN, 0);
        acked.add(0, 1, RUN, 1);
        checker.record(0, 1, value(RUN, 1));
        checker.record(0, 0, value(RUN, 0));
        checker.record(0, 0, value(RUN, 0));
        VerifyResult r = checker.finish(acked);
        assertThat(r.lost()).isZero();
        assertThat(r.duplicated()).isEqualTo(1);
    }

    @Test
    void offsetSortKeepsTheColumnsTogether() {
        java.util.Random random = new java.util.Random(7);
        for (long spread : new long[] {1000, Long.MAX_VALUE / 2}) { // packed keys, then the heap sort
            int n = 10_000;
            long[] offsets = new long[n];
            long[] a = new long[n];
            long[] b = new long[n];
            for (int i = 0; i < n; i++) {
                offsets[i] = Math.floorMod(random.nextLong(), spread);
                a[i] = offsets[i] * 3;
                b[i] = offsets[i] + 1;
            }
            long[] expected = offsets.clone();
            java.util.Arrays.sort(expected);
            OffsetSort.sort(offsets, a, b, n);
            assertThat(offsets).as("spread %d", spread).isEqualTo(expected);
            for (int i = 0; i < n; i++) {
                assertThat(a[i]).isEqualTo(offsets[i] * 3);
                assertThat(b[i]).isEqualTo(offsets[i] + 1);
            }
        }
    }
}
