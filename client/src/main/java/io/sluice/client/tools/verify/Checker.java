package io.sluice.client.tools.verify;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Checks what a consumer read against what was acknowledged (the definitions are sluice-verify's contract):
 *
 * <ul>
 *   <li><b>lost</b>: an acknowledged record not found, valid, with its run id and sequence, at its offset;</li>
 *   <li><b>duplicated</b>: a (run, sequence) read more than once (each extra copy counts one);</li>
 *   <li><b>reordered</b>: in one partition, a record of a run whose sequence is below one read before it (at a lower
 *       offset), that is not a duplicate;</li>
 *   <li><b>corrupt</b>: a value with sluice-verify's magic whose checksum does not match or that is too short, or an
 *       answer the consumer refused (CRC, offset gap or overlap, epoch), counted once per partition and batch.</li>
 * </ul>
 *
 * Records without the magic, and valid records of runs not being checked, are {@code foreign}: counted, not checked.
 * Reading goes through {@link #record} per record, in offset order per partition, then {@link #finish} matches the
 * acknowledged records (which may still be growing while records are read). Not thread-safe: owned by the reading
 * thread; {@link #consumed()} may be read from any thread for progress.
 */
final class Checker {
    private final Set<Long> runs;
    private final Map<Long, BitSet> seen = new HashMap<>();
    private final Map<Integer, Observed> partitions = new HashMap<>();
    private static final int MAX_NOTES = 10;

    private final Consumer<String> report;
    private final Map<String, Integer> noted = new HashMap<>();
    private volatile long consumed;
    private long foreign;
    private long duplicated;
    private long reordered;
    private long corrupt;

    /** What was read from one partition: offsets and (run, sequence) of valid records of checked runs. */
    private static final class Observed {
        long[] offsets = new long[64];
        long[] runIds = new long[64];
        long[] sequences = new long[64];
        int size;
        boolean ordered = true;
        final Map<Long, Long> lastSequence = new HashMap<>();
        final List<long[]> refusedRanges = new ArrayList<>();
        final Set<Long> refusals = new HashSet<>();

        void add(long offset, long runId, long sequence) {
            if (size == offsets.length) {
                int n = size + (size >> 1);
                offsets = Arrays.copyOf(offsets, n);
                runIds = Arrays.copyOf(runIds, n);
                sequences = Arrays.copyOf(sequences, n);
            }
            if (size > 0 && offset < offsets[size - 1]) {
                ordered = false;
            }
            offsets[size] = offset;
            runIds[size] = runId;
            sequences[size] = sequence;
            size++;
        }

        /** Orders the records by offset, once, so that {@link #find} is a binary search. */
        void sort() {
            if (!ordered) {
                OffsetSort.sort(offsets, runIds, sequences, size);
                ordered = true;
            }
        }

        /** The index of (the first record at) {@code offset}, or -1; after {@link #sort}. */
        int find(long offset) {
            int i = Arrays.binarySearch(offsets, 0, size, offset);
            if (i < 0) {
                return -1;
            }
            while (i > 0 && offsets[i - 1] == offset) {
                i--;
            }
            return i;
        }

        boolean refused(long offset) {
            for (long[] r : refusedRanges) {
                if (offset >= r[0] && offset < r[1]) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * @param runs   the run ids to check
     * @param report told one line per anomaly found while reading (partition, offset, what)
     */
    Checker(Set<Long> runs, Consumer<String> report) {
        this.runs = Set.copyOf(runs);
        this.report = report;
    }

    private Observed partition(int p) {
        return partitions.computeIfAbsent(p, k -> new Observed());
    }

    /** One record read: {@code value} is read in place (position to limit) and not kept. */
    void record(int partition, long offset, ByteBuffer value) {
        VerifyValue.Parsed v = VerifyValue.parse(value);
        switch (v.kind()) {
            case FOREIGN -> foreign++;
            case CORRUPT -> {
                corrupt++;
                consumed++;
                note("corrupt", "partition " + partition + " offset " + offset + ": value of "
                        + (value == null ? 0 : value.remaining()) + " bytes with a bad checksum or too short");
            }
            case VALID -> valid(partition, offset, v.runId(), v.sequence());
            default -> throw new IllegalStateException();
        }
    }

    private void valid(int partition, long offset, long runId, long sequence) {
        if (!runs.contains(runId)) {
            foreign++;
            return;
        }
        consumed++;
        Observed o = partition(partition);
        o.add(offset, runId, sequence);
        BitSet bits = seen.computeIfAbsent(runId, r -> new BitSet());
        if (sequence > Integer.MAX_VALUE - 1L) {
            corrupt++;
            note("corrupt", "partition " + partition + " offset " + offset + ": sequence " + sequence
                    + " out of range");
            return;
        }
        int seq = (int) sequence;
        if (bits.get(seq)) {
            duplicated++;
            note("duplicated", "partition " + partition + " offset " + offset + ": run "
                    + AckFile.hex(runId) + " sequence " + sequence + " read before");
            return;
        }
        bits.set(seq);
        Long last = o.lastSequence.get(runId);
        if (last != null && sequence < last) {
            reordered++;
            note("reordered", "partition " + partition + " offset " + offset + ": run " + AckFile.hex(runId)
                    + " sequence " + sequence + " after sequence " + last);
            return;
        }
        o.lastSequence.put(runId, sequence);
    }

    /**
     * The consumer refused an answer of {@code partition}: the offsets {@code [from, to)} were in it and were not
     * read (acknowledged records there count as unchecked, not lost). Counted corrupt once per {@code batchKey}
     * (the refused batch's base offset), since a reader that skips forward may meet one bad batch several times.
     */
    void refused(int partition, long from, long to, long batchKey, String why) {
        Observed o = partition(partition);
        if (to > from) {
            o.refusedRanges.add(new long[] {from, to});
        }
        if (o.refusals.add(batchKey)) {
            corrupt++;
            note("corrupt", "partition " + partition + " refused by the consumer: " + why);
        }
    }

    /** Reports the first {@value #MAX_NOTES} anomalies of each kind; {@link #finish} says how many more. */
    private void note(String kind, String what) {
        int n = noted.merge(kind, 1, Integer::sum);
        if (n <= MAX_NOTES) {
            report.accept(kind + ": " + what);
        }
    }

    long consumed() {
        return consumed;
    }

    /** Matches every acknowledged record of a checked run against what was read. Call once, after reading. */
    VerifyResult finish(AckedRecords acked) {
        long ackedCount = 0;
        long lost = 0;
        long unchecked = 0;
        for (Map.Entry<Integer, AckedRecords.Part> e : acked.sorted().entrySet()) {
            int p = e.getKey();
            AckedRecords.Part a = e.getValue();
            Observed o = partitions.getOrDefault(p, new Observed());
            o.sort();
            for (int i = 0; i < a.size; i++) {
                if (!runs.contains(a.runIds[i])) {
                    continue;
                }
                ackedCount++;
                long offset = a.offsets[i];
                int at = o.find(offset);
                if (at >= 0 && o.runIds[at] == a.runIds[i] && o.sequences[at] == a.sequences[i]) {
                    continue;
                }
                if (at < 0 && o.refused(offset)) {
                    unchecked++;
                    continue;
                }
                lost++;
                note("lost", "partition " + p + " offset " + offset + ": run " + AckFile.hex(a.runIds[i])
                            + " sequence " + a.sequences[i] + (at < 0 ? " not read"
                            : " but read run " + AckFile.hex(o.runIds[at]) + " sequence " + o.sequences[at]));
            }
        }
        noted.forEach((kind, n) -> {
            if (n > MAX_NOTES) {
                report.accept(kind + ": " + (n - MAX_NOTES) + " more not listed");
            }
        });
        return new VerifyResult(ackedCount, consumed, lost, duplicated, reordered, corrupt, unchecked, foreign);
    }
}
