package io.sluice.broker.group;

import io.sluice.broker.log.LogSlice;
import io.sluice.broker.state.StoreBatch;
import io.sluice.proto.record.Record;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatches;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@link OffsetsView} of an offsets partition equal to a replay of that partition's log up to its high
 * watermark: the view never holds a commit that is not committed (below the high watermark), so what a fetch reads
 * cannot be lost in a failover, and a view is always a prefix of the log whatever order commits complete in.
 *
 * <p>Not thread-safe: the coordinator thread calls it. It reads the log and writes the store (disk).
 */
final class OffsetsViewLoader {
    /** Bytes read from an offsets partition at a time. */
    private static final int READ_BYTES = 1 << 20;
    private static final Logger log = LoggerFactory.getLogger(OffsetsViewLoader.class);

    private final OffsetsLog offsetsLog;
    private final OffsetsView view;

    OffsetsViewLoader(OffsetsLog offsetsLog, OffsetsView view) {
        this.offsetsLog = offsetsLog;
        this.view = view;
    }

    /**
     * Brings the view of {@code partition} up to its high watermark before the partition is served: replays the log
     * from the view's applied offset + 1. When the view has nothing for the partition, or its applied offset is at or
     * past the high watermark (the log lost a tail the view had applied, e.g. in a machine crash or an unclean
     * election), the partition's view is dropped and rebuilt from the log start. A view that is behind the log start
     * (retention removed records it had not applied) keeps what it has and replays what the log still holds.
     *
     * @return the number of offset records applied
     */
    int load(int partition) {
        long start = offsetsLog.logStartOffset(partition);
        long end = offsetsLog.highWatermark(partition);
        OptionalLong applied = view.applied(partition);
        long from;
        if (applied.isEmpty() || applied.getAsLong() >= end) {
            if (applied.isPresent()) {
                log.warn("{}-{}: the offsets view applied up to offset {} but the log is committed only below {}"
                        + " (it lost a tail); rebuilding the view from the log start {}", GroupCoordinator.OFFSETS_TOPIC,
                        partition, applied.getAsLong(), end, start);
            }
            StoreBatch clear = new StoreBatch();
            view.clear(clear, partition);
            view.setApplied(clear, partition, start - 1);
            view.write(clear);
            from = start;
        } else {
            from = Math.max(applied.getAsLong() + 1, start);
        }
        int records = replay(partition, from, end);
        log.info("{}-{}: loaded offsets {}..{} ({} records applied to the view)", GroupCoordinator.OFFSETS_TOPIC,
                partition, from, end, records);
        return records;
    }

    /** Applies what became committed since the last call (or load): the records from the applied offset to the HW. */
    void catchUp(int partition) {
        long end = offsetsLog.highWatermark(partition);
        long next = view.applied(partition).orElse(offsetsLog.logStartOffset(partition) - 1) + 1;
        if (next < end) {
            replay(partition, Math.max(next, offsetsLog.logStartOffset(partition)), end);
        }
    }

    /** Applies the records at offsets {@code [from, end)} to the view, one store batch per slice read. */
    private int replay(int partition, long from, long end) {
        long next = from;
        int applied = 0;
        while (next < end) {
            ByteBuffer bytes;
            try (LogSlice slice = offsetsLog.read(partition, next, READ_BYTES)) {
                if (slice.isEmpty()) {
                    break;
                }
                bytes = slice.readAll();
            } catch (IOException e) {
                throw new UncheckedIOException(GroupCoordinator.OFFSETS_TOPIC + "-" + partition + ": reading at offset "
                        + next, e);
            }
            StoreBatch batch = new StoreBatch();
            long last = next - 1;
            for (RecordBatch b : RecordBatches.of(bytes)) {
                b.ensureValid(); // a damaged batch stops the load with its position and offset, never skipped
                if (b.lastOffset() < next) {
                    continue; // the first batch of a slice may start before the offset asked for
                }
                for (Record r : b) {
                    if (r.offset() < next || r.offset() >= end) {
                        continue;
                    }
                    OffsetKey key = OffsetRecords.decodeKey(r.key());
                    if (key != null) {
                        if (r.valueSize() < 0) { // a tombstone: the offset was deleted
                            view.remove(batch, partition, key);
                        } else {
                            view.put(batch, partition, key, OffsetRecords.decodeValue(r.value()));
                        }
                        applied++;
                    }
                    // Records of other kinds or versions (group metadata, later) are not offsets: skipped.
                }
                last = Math.min(b.lastOffset(), end - 1);
            }
            if (last < next) {
                break; // nothing readable past 'next' (should not happen below the end): stop rather than spin
            }
            view.setApplied(batch, partition, last);
            view.write(batch);
            next = last + 1;
        }
        return applied;
    }
}
