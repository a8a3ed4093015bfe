package io.sluice.broker.tools;

import java.util.Arrays;

/**
 * The batches a scan found in one segment, in file order: where each starts, its base offset, and the
 * newest timestamp of it and every batch before it (what a time-index entry may claim). Primitive arrays,
 * so a segment of a million batches costs about 24 MB rather than a map of boxed keys. Not thread-safe.
 */
final class BatchTable {
    private long[] positions = new long[64];
    private long[] baseOffsets = new long[64];
    private long[] maxTimestampSoFar = new long[64];
    private int size;

    void add(long position, long baseOffset, long maxTimestamp) {
        if (size == positions.length) {
            int capacity = size * 2;
            positions = Arrays.copyOf(positions, capacity);
            baseOffsets = Arrays.copyOf(baseOffsets, capacity);
            maxTimestampSoFar = Arrays.copyOf(maxTimestampSoFar, capacity);
        }
        positions[size] = position;
        baseOffsets[size] = baseOffset;
        maxTimestampSoFar[size] = size == 0 ? maxTimestamp : Math.max(maxTimestampSoFar[size - 1], maxTimestamp);
        size++;
    }

    int size() {
        return size;
    }

    long position(int i) {
        return positions[i];
    }

    long baseOffset(int i) {
        return baseOffsets[i];
    }

    /** The newest timestamp of batches {@code 0..i}; {@code Long.MIN_VALUE} when {@code i < 0}. */
    long maxTimestampThrough(int i) {
        return i < 0 ? Long.MIN_VALUE : maxTimestampSoFar[i];
    }

    /** The batch that starts exactly at {@code position}, or -1. Positions always increase. */
    int indexOfPosition(long position) {
        int i = Arrays.binarySearch(positions, 0, size, position);
        return i >= 0 ? i : -1;
    }

    /** The slot where a batch starting at {@code position} would go: the first batch after it. */
    int insertionPoint(long position) {
        int i = Arrays.binarySearch(positions, 0, size, position);
        return i >= 0 ? i : -i - 1;
    }

    /**
     * The last batch whose base offset is at most {@code offset}, or -1. Base offsets increase when the
     * segment is consistent; when they do not, the scan has reported it and this answer is approximate.
     */
    int floorByOffset(long offset) {
        int lo = 0;
        int hi = size - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (baseOffsets[mid] <= offset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }
}
