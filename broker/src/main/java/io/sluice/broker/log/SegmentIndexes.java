package io.sluice.broker.log;

import io.sluice.proto.record.RecordBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offset and time index of a sealed segment, opened on first lookup: the files on disk when they pass a
 * sanity check against the data, otherwise rebuilt by reading the batch headers.
 *
 * <p>Thread-safety: {@link #load} is called synchronized on the segment, so one load runs at a time and
 * {@link Segment#markDeleted} cannot rename the files under it; the indexes it returns are then published
 * through the segment's volatile fields.
 */
record SegmentIndexes(OffsetIndex offsetIndex, TimeIndex timeIndex) {
    private static final Logger log = LoggerFactory.getLogger(SegmentIndexes.class);

    /**
     * Opens or rebuilds the indexes of the sealed {@code segment}, whose files are at {@code indexPath} and
     * {@code timePath} (they follow the data file's name, deleted suffix included).
     */
    static SegmentIndexes load(Segment segment, LogConfig config, Path indexPath, Path timePath) {
        if (Files.exists(indexPath) && Files.exists(timePath)) {
            OffsetIndex oi = new OffsetIndex(indexPath, segment.baseOffset(), config.segmentIndexBytes(), false);
            TimeIndex ti = new TimeIndex(timePath, segment.baseOffset(), config.segmentIndexBytes(), false);
            String problem = check(segment, oi, ti);
            if (problem == null) {
                return new SegmentIndexes(oi, ti);
            }
            log.warn("{}: {}; rebuilding the indexes from the data", indexPath, problem);
            oi.close();
            ti.close();
        }
        return rebuild(segment, config, indexPath, timePath);
    }

    /**
     * A sanity check, as Kafka's: both files hold exactly their valid entries (a sealed index is trimmed),
     * and the last offset-index entry points at a batch with that offset. Entries in the middle are not
     * read back one by one; a wrong one there surfaces as a typed error on the read that uses it.
     */
    private static String check(Segment segment, OffsetIndex oi, TimeIndex ti) {
        for (MappedIndex index : new MappedIndex[] {oi, ti}) {
            long bytes;
            try {
                bytes = Files.size(index.file());
            } catch (IOException e) {
                throw new LogStorageException(index.file(), "reading index size", e);
            }
            if (index.sizeInBytes() != bytes) {
                return index.file().getFileName() + " has " + bytes + " bytes but " + index.entries() + " valid entries";
            }
        }
        if (oi.entries() > 0) {
            int size = segment.size();
            OffsetPosition last = oi.lastEntry();
            if (last.position() >= size) {
                return "last index entry " + last + " points past the data (" + size + " bytes)";
            }
            try {
                BatchHeader h = BatchHeader.read(segment.channel(), segment.file(), last.position(), size);
                if (h.baseOffset() != last.offset()) {
                    return "last index entry " + last + " but the batch there has offset " + h.baseOffset();
                }
            } catch (LogCorruptionException e) {
                return "last index entry " + last + " does not point at a batch";
            }
        }
        return null;
    }

    private static SegmentIndexes rebuild(Segment segment, LogConfig config, Path indexPath, Path timePath) {
        try {
            Files.deleteIfExists(indexPath);
            Files.deleteIfExists(timePath);
        } catch (IOException e) {
            throw new LogStorageException(indexPath, "deleting index for rebuild", e);
        }
        long baseOffset = segment.baseOffset();
        int size = segment.size();
        OffsetIndex oi = new OffsetIndex(indexPath, baseOffset, config.segmentIndexBytes(), true);
        TimeIndex ti = new TimeIndex(timePath, baseOffset, config.segmentIndexBytes(), true);
        int position = 0;
        long since = 0;
        long maxTs = RecordBatch.NO_TIMESTAMP;
        long maxTsOffset = baseOffset;
        while (position < size) {
            BatchHeader h = BatchHeader.read(segment.channel(), segment.file(), position, size);
            if (h.maxTimestamp() > maxTs) {
                maxTs = h.maxTimestamp();
                maxTsOffset = h.baseOffset();
            }
            if (since > config.indexIntervalBytes() && !oi.isFull()) {
                oi.append(h.baseOffset(), position);
                if (maxTs != RecordBatch.NO_TIMESTAMP) {
                    ti.maybeAppend(maxTs, maxTsOffset);
                }
                since = 0;
            }
            since += h.sizeInBytes();
            position = h.nextPosition();
        }
        if (maxTs != RecordBatch.NO_TIMESTAMP) {
            ti.maybeAppend(maxTs, maxTsOffset);
        }
        oi.trimToValidSize();
        ti.trimToValidSize();
        oi.flush();
        ti.flush();
        return new SegmentIndexes(oi, ti);
    }
}
