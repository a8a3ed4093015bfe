package io.sluice.client.tools.verify;

import java.util.Arrays;

/**
 * Orders parallel primitive arrays (offsets and two columns) by offset without boxing: the offset relative to the
 * smallest one and the record's index are packed into one long, the longs sorted with {@link Arrays#sort(long[])},
 * and the columns moved through one scratch array. Extra memory: 16 bytes a record, for the time of the sort. Equal
 * offsets keep their order. Should the offsets span too wide a range to pack (over 2^(63 - index bits)), an in-place
 * heap sort does it (not stable).
 */
final class OffsetSort {
    private OffsetSort() {
    }

    /** Whether {@code offsets[0..size)} never goes down. */
    static boolean ordered(long[] offsets, int size) {
        for (int i = 1; i < size; i++) {
            if (offsets[i] < offsets[i - 1]) {
                return false;
            }
        }
        return true;
    }

    /** Sorts {@code offsets[0..size)} (each &gt;= 0), moving {@code a} and {@code b} along. */
    static void sort(long[] offsets, long[] a, long[] b, int size) {
        if (ordered(offsets, size)) {
            return;
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < size; i++) {
            min = Math.min(min, offsets[i]);
            max = Math.max(max, offsets[i]);
        }
        int indexBits = 64 - Long.numberOfLeadingZeros(size - 1L);
        long range = max - min;
        if (range < 0 || 64 - Long.numberOfLeadingZeros(range) + indexBits > 63) {
            heapSort(offsets, a, b, size);
            return;
        }
        long[] keys = new long[size];
        for (int i = 0; i < size; i++) {
            keys[i] = (offsets[i] - min) << indexBits | i;
        }
        Arrays.sort(keys);
        long mask = (1L << indexBits) - 1;
        long[] scratch = new long[size];
        for (long[] column : new long[][] {a, b}) {
            for (int i = 0; i < size; i++) {
                scratch[i] = column[(int) (keys[i] & mask)];
            }
            System.arraycopy(scratch, 0, column, 0, size);
        }
        for (int i = 0; i < size; i++) {
            offsets[i] = min + (keys[i] >>> indexBits);
        }
    }

    static void heapSort(long[] offsets, long[] a, long[] b, int size) {
        for (int i = size / 2 - 1; i >= 0; i--) {
            siftDown(offsets, a, b, i, size);
        }
        for (int end = size - 1; end > 0; end--) {
            swap(offsets, a, b, 0, end);
            siftDown(offsets, a, b, 0, end);
        }
    }

    private static void siftDown(long[] offsets, long[] a, long[] b, int i, int size) {
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                return;
            }
            if (child + 1 < size && offsets[child + 1] > offsets[child]) {
                child++;
            }
            if (offsets[i] >= offsets[child]) {
                return;
            }
            swap(offsets, a, b, i, child);
            i = child;
        }
    }

    private static void swap(long[] offsets, long[] a, long[] b, int i, int j) {
        long t = offsets[i];
        offsets[i] = offsets[j];
        offsets[j] = t;
        t = a[i];
        a[i] = a[j];
        a[j] = t;
        t = b[i];
        b[i] = b[j];
        b[j] = t;
    }
}
