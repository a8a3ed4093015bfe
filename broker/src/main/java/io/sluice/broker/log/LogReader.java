package io.sluice.broker.log;

import io.sluice.proto.record.Record;
import io.sluice.proto.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The read path of a {@link Log}: fetches by offset and lookups by timestamp.
 *
 * <p>Thread-safety: takes no lock and holds no state of its own. It sees the segments through the log's
 * concurrent map and the log start and end through the log's volatiles, and holds a reference on each
 * segment it reads so that retention cannot close it underneath.
 */
final class LogReader {
    private final Log log;
    private final ConcurrentSkipListMap<Long, Segment> segments;

    LogReader(Log log, ConcurrentSkipListMap<Long, Segment> segments) {
        this.log = log;
        this.segments = segments;
    }

    /** See {@link Log#read}. */
    LogSlice read(long startOffset, int maxBytes, long maxOffset) {
        while (true) {
            long end = Math.min(maxOffset, log.logEndOffset());
            long start = log.logStartOffset();
            if (startOffset < start || startOffset > log.logEndOffset()) {
                throw new OffsetOutOfRangeException(log.topicPartition().toString(), startOffset, start, log.logEndOffset());
            }
            if (startOffset >= end) {
                return LogSlice.empty(startOffset);
            }
            Map.Entry<Long, Segment> entry = segments.floorEntry(startOffset);
            if (entry == null) {
                continue; // retention moved the start under us; the check above now throws
            }
            LogSlice slice = readFrom(entry.getValue(), startOffset, maxBytes, end);
            if (slice != null) {
                return slice;
            }
            if (log.isClosed()) {
                // Its segments refuse readers for good: looking again would spin forever.
                throw new LogClosedException(log.topicPartition().toString());
            }
        }
    }

    /** Null when {@code first} was closed meanwhile (the caller looks again). */
    private LogSlice readFrom(Segment first, long startOffset, int maxBytes, long end) {
        Segment segment = first;
        if (!segment.retain()) {
            return null;
        }
        boolean handedOver = false;
        try {
            while (true) {
                OffsetPosition from = segment.translateOffset(startOffset);
                if (from != null) {
                    if (from.offset() >= end) {
                        return LogSlice.empty(startOffset);
                    }
                    Long nextBase = segments.higherKey(segment.baseOffset());
                    OffsetPosition limit = nextBase != null && end >= nextBase
                            ? new OffsetPosition(nextBase, segment.size()) : positionOf(segment, end);
                    long maxPosition = Math.min(limit.position(), (long) from.position() + Math.max(0, maxBytes));
                    OffsetPosition stop = maxPosition >= limit.position() ? limit
                            : segment.lastBoundaryAtOrBefore(from.position(), (int) maxPosition);
                    handedOver = true;
                    return new LogSlice(segment, from.offset(), from.position(), stop.position() - from.position(),
                            stop.offset());
                }
                // startOffset is at the end of this segment: the data continues in the next one.
                Map.Entry<Long, Segment> next = segments.higherEntry(segment.baseOffset());
                if (next == null || !next.getValue().retain()) {
                    return next == null ? LogSlice.empty(startOffset) : null;
                }
                segment.release();
                segment = next.getValue();
            }
        } finally {
            if (!handedOver) {
                segment.release();
            }
        }
    }

    /** Where the batch holding {@code offset} starts, or the segment's end (at {@code offset}) if none does. */
    private static OffsetPosition positionOf(Segment segment, long offset) {
        return segment.positionOfOrEnd(offset);
    }

    /**
     * Retains {@code segment}, waiting out a momentary refusal (an idle-index unmap), or returns false once
     * the segment is no longer in the log.
     */
    private boolean retainWhileListed(Segment segment) {
        while (!segment.retain()) {
            if (segments.get(segment.baseOffset()) != segment) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /** See {@link Log#offsetForTimestamp}. */
    TimestampOffset offsetForTimestamp(long timestamp) {
        for (Segment segment : segments.values()) {
            if (!retainWhileListed(segment)) {
                continue; // deleted meanwhile
            }
            try {
                if (segment.maxTimestamp() < timestamp) {
                    continue;
                }
                BatchHeader h = segment.findByTimestamp(timestamp);
                if (h == null) {
                    continue;
                }
                ByteBuffer batchBytes = ByteBuffer.allocate(h.sizeInBytes());
                readFully(segment, h.position(), batchBytes);
                RecordBatch batch = RecordBatch.at(batchBytes, 0);
                batch.ensureValid();
                for (Record r : batch) {
                    if (r.timestamp() >= timestamp) {
                        return new TimestampOffset(r.timestamp(), r.offset());
                    }
                }
            } finally {
                segment.release();
            }
        }
        return null;
    }

    private static void readFully(Segment segment, int position, ByteBuffer into) {
        try {
            while (into.hasRemaining()) {
                if (segment.channel().read(into, position + into.position()) < 0) {
                    throw new IOException("end of file");
                }
            }
            into.flip();
        } catch (IOException e) {
            throw new LogStorageException(segment.file(), "reading at position " + position, e);
        }
    }
}
