package io.sluice.client.tools.verify;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The acknowledged records of one topic: per partition, the offset, run id and sequence of every record the broker
 * acknowledged, in primitive arrays (24 bytes a record; up to 36 while an array grows, 40 while sorting). Thread-safe: guarded by this object's monitor (the
 * producer's I/O thread adds while a reader may look at the count).
 */
final class AckedRecords {
    private final Map<Integer, Part> parts = new TreeMap<>();
    private final Set<Long> runs = new TreeSet<>();
    private long count;
    private long lastRun;
    private boolean lastRunKnown;

    /** One partition's acknowledged records, in the order added until {@link #sorted} orders them by offset. */
    static final class Part {
        long[] offsets = new long[64];
        long[] runIds = new long[64];
        long[] sequences = new long[64];
        int size;

        long maxOffset = -1;

        private void add(long offset, long runId, long sequence) {
            if (size == offsets.length) {
                int n = size + (size >> 1); // 1.5x: a growing copy is the peak of memory
                offsets = Arrays.copyOf(offsets, n);
                runIds = Arrays.copyOf(runIds, n);
                sequences = Arrays.copyOf(sequences, n);
            }
            offsets[size] = offset;
            runIds[size] = runId;
            sequences[size] = sequence;
            maxOffset = Math.max(maxOffset, offset);
            size++;
        }

        private void sortByOffset() {
            OffsetSort.sort(offsets, runIds, sequences, size);
        }
    }

    synchronized void addRun(long runId) {
        runs.add(runId);
    }

    synchronized void add(int partition, long offset, long runId, long sequence) {
        parts.computeIfAbsent(partition, p -> new Part()).add(offset, runId, sequence);
        if (!lastRunKnown || runId != lastRun) { // one set look-up (and boxed Long) per change of run, not per record
            runs.add(runId);
            lastRun = runId;
            lastRunKnown = true;
        }
        count++;
    }

    synchronized long count() {
        return count;
    }

    /** The runs whose records are checked: every run with a header or a record. */
    synchronized Set<Long> runs() {
        return Set.copyOf(runs);
    }

    /** Per partition with acknowledged records, the offset after the highest one. */
    synchronized Map<Integer, Long> endOffsets() {
        Map<Integer, Long> ends = new TreeMap<>();
        parts.forEach((p, part) -> ends.put(p, part.maxOffset + 1));
        return ends;
    }

    /** The partitions' records ordered by offset; call once adding is over. */
    synchronized Map<Integer, Part> sorted() {
        parts.values().forEach(Part::sortByOffset);
        return new TreeMap<>(parts);
    }
}
