package io.sluice.client.tools.verify;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The acknowledged records of one topic: per partition, the offset, run id and sequence of every record the broker
 * acknowledged, in primitive arrays (24 bytes a record). Thread-safe: guarded by this object's monitor (the
 * producer's I/O thread adds while a reader may look at the count).
 */
final class AckedRecords {
    private final Map<Integer, Part> parts = new TreeMap<>();
    private final Set<Long> runs = new TreeSet<>();
    private long count;

    /** One partition's acknowledged records, in the order added until {@link #sorted} orders them by offset. */
    static final class Part {
        long[] offsets = new long[64];
        long[] runIds = new long[64];
        long[] sequences = new long[64];
        int size;

        private void add(long offset, long runId, long sequence) {
            if (size == offsets.length) {
                int n = size * 2;
                offsets = Arrays.copyOf(offsets, n);
                runIds = Arrays.copyOf(runIds, n);
                sequences = Arrays.copyOf(sequences, n);
            }
            offsets[size] = offset;
            runIds[size] = runId;
            sequences[size] = sequence;
            size++;
        }

        private void sortByOffset() {
            for (int i = 1; i < size; i++) {
                if (offsets[i] < offsets[i - 1]) {
                    Integer[] order = new Integer[size];
                    Arrays.setAll(order, k -> k);
                    Arrays.sort(order, (a, b) -> Long.compare(offsets[a], offsets[b]));
                    long[] o = new long[size];
                    long[] r = new long[size];
                    long[] s = new long[size];
                    for (int k = 0; k < size; k++) {
                        o[k] = offsets[order[k]];
                        r[k] = runIds[order[k]];
                        s[k] = sequences[order[k]];
                    }
                    offsets = o;
                    runIds = r;
                    sequences = s;
                    return;
                }
            }
        }
    }

    synchronized void addRun(long runId) {
        runs.add(runId);
    }

    synchronized void add(int partition, long offset, long runId, long sequence) {
        parts.computeIfAbsent(partition, p -> new Part()).add(offset, runId, sequence);
        runs.add(runId);
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
        parts.forEach((p, part) -> {
            long max = -1;
            for (int i = 0; i < part.size; i++) {
                max = Math.max(max, part.offsets[i]);
            }
            ends.put(p, max + 1);
        });
        return ends;
    }

    /** The partitions' records ordered by offset; call once adding is over. */
    synchronized Map<Integer, Part> sorted() {
        parts.values().forEach(Part::sortByOffset);
        return new TreeMap<>(parts);
    }
}
