package io.sluice.broker.producer;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogSlice;
import io.sluice.proto.record.RecordBatch;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.function.Consumer;

/**
 * Walks a log's batch headers from an offset to the log end, reading only the first {@value RecordBatch#HEADER_SIZE}
 * bytes of each batch through the segment's file channel and skipping its records.
 *
 * <p>Cost: one positional read of 61 bytes per batch, so time grows with the number of batches, not their bytes.
 * With the page cache warm that is about a microsecond a batch (a 1 GiB log of 16 KiB batches: 65,536 reads). Cold,
 * each header costs a page read from the device: for batches of 4 KiB or less that is every page of the log, as slow
 * as reading it all; for 16 KiB batches a quarter of the pages. That is why rebuilds start from a snapshot and scan
 * only the tail after it. The records' CRCs are not checked here: the log checked each batch before storing it and
 * recovery checks the unflushed tail after a crash.
 *
 * <p>Thread-safety: stateless; the log's reads take no lock, but the caller keeps appends out (the partition's
 * append lock) if it needs the walk to end exactly at the log end.
 */
final class LogHeaderScanner {
    /** The most bytes one slice spans; only the headers inside it are read. */
    private static final int SLICE_BYTES = 64 << 20;

    private LogHeaderScanner() {
    }

    /**
     * Calls {@code visitor} with every batch that holds an offset at or after {@code from}, in log order, up to the
     * log end as it was when the walk started.
     *
     * @return the log end offset the walk stopped at
     */
    static long scan(Log log, long from, Consumer<ProducerBatch> visitor) {
        long end = log.logEndOffset();
        long next = from;
        ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
        while (next < end) {
            try (LogSlice slice = log.read(next, SLICE_BYTES, end)) {
                if (slice.isEmpty()) {
                    break;
                }
                FileChannel channel = slice.channel();
                long position = slice.position();
                long limit = position + slice.length();
                while (position < limit) {
                    readFully(channel, header, position, slice);
                    int size = RecordBatch.LOG_OVERHEAD + header.getInt(RecordBatch.BATCH_LENGTH_OFFSET);
                    if (size < RecordBatch.HEADER_SIZE || position + size > limit) {
                        throw new IllegalStateException(log.topicPartition() + ": batch at position " + position
                                + " of " + slice + " has size " + size + ", which does not fit the slice");
                    }
                    ProducerBatch batch = ProducerBatch.ofHeader(header, 0);
                    // The first batch of a slice may start before the offset asked for.
                    if (batch.lastOffset() >= next) {
                        visitor.accept(batch);
                        next = batch.lastOffset() + 1;
                    }
                    position += size;
                }
            }
        }
        return next;
    }

    private static void readFully(FileChannel channel, ByteBuffer header, long position, LogSlice slice) {
        header.clear();
        try {
            while (header.hasRemaining()) {
                if (channel.read(header, position + header.position()) < 0) {
                    throw new EOFException("end of file reading the batch header at position " + position);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(slice + ": reading the batch header at position " + position, e);
        }
    }
}
