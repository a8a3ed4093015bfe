package io.sluice.broker.tools;

import io.sluice.proto.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Walks the record batches of one partition directory in offset order, segment after segment, handing out each
 * batch's bytes exactly as stored. Like {@link SegmentScan} it reads with positional reads on read-only channels,
 * never a mapping, so it is safe on a live broker's files; a segment ends at its end of file or at the first
 * all-zero header (the preallocated tail).
 *
 * <p>Bytes that cannot be a batch (a bad length or magic, a file ending inside a batch) are a
 * {@link NotABatchException} naming the file and position: the framing is lost there.
 *
 * <p>Not thread-safe; single use. {@link #close()} closes the open data file.
 */
final class BatchCursor implements AutoCloseable {
    /** One batch as stored: where it lies and its bytes (valid until the next call to {@link #next()}). */
    record Batch(SegmentFiles segment, long position, long baseOffset, long lastOffset, ByteBuffer bytes) {
        String where() {
            return segment.log() + " position " + position;
        }
    }

    /** Bytes that are not a batch where one should start. */
    static final class NotABatchException extends IOException {
        private static final long serialVersionUID = 1L;

        NotABatchException(String message) {
            super(message);
        }
    }

    private final List<SegmentFiles> segments;
    private final ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
    private ByteBuffer batch = ByteBuffer.allocate(64 * 1024);
    private int segmentIndex = -1;
    private FileChannel channel;
    private long fileBytes;
    private long position;

    BatchCursor(PartitionFiles files) {
        this.segments = files.segments();
    }

    /** The next batch, or null after the last one. */
    Batch next() throws IOException {
        while (true) {
            if (channel == null && !openNextSegment()) {
                return null;
            }
            SegmentFiles segment = segments.get(segmentIndex);
            long remaining = fileBytes - position;
            if (remaining <= 0) {
                closeChannel();
                continue;
            }
            header.clear().limit((int) Math.min(RecordBatch.HEADER_SIZE, remaining));
            int n = FileReads.readFully(channel, header, position);
            if (FileReads.isZero(header, 0)) {
                closeChannel(); // the preallocated tail: the segment's data ends here
                continue;
            }
            if (n < RecordBatch.HEADER_SIZE) {
                throw notABatch(segment, "only " + n + " bytes left, fewer than a batch header");
            }
            int batchLength = header.getInt(RecordBatch.BATCH_LENGTH_OFFSET);
            if (batchLength < RecordBatch.MIN_BATCH_LENGTH || batchLength > remaining - RecordBatch.LOG_OVERHEAD) {
                throw notABatch(segment, "bad batchLength " + batchLength);
            }
            if (header.get(RecordBatch.MAGIC_OFFSET) != RecordBatch.MAGIC) {
                throw notABatch(segment, "bad magic " + header.get(RecordBatch.MAGIC_OFFSET));
            }
            int size = RecordBatch.LOG_OVERHEAD + batchLength;
            if (batch.capacity() < size) {
                batch = ByteBuffer.allocate(Math.max(size, batch.capacity() * 2));
            }
            batch.clear().limit(size);
            if (FileReads.readFully(channel, batch, position) < size) {
                throw notABatch(segment, "the file ended inside the batch");
            }
            RecordBatch b = RecordBatch.at(batch, 0);
            Batch result = new Batch(segment, position, b.baseOffset(), b.lastOffset(), batch);
            position += size;
            return result;
        }
    }

    private boolean openNextSegment() throws IOException {
        if (segmentIndex + 1 >= segments.size()) {
            return false;
        }
        segmentIndex++;
        channel = FileChannel.open(segments.get(segmentIndex).log(), StandardOpenOption.READ);
        fileBytes = channel.size();
        position = 0;
        return true;
    }

    private NotABatchException notABatch(SegmentFiles segment, String why) {
        return new NotABatchException(segment.log() + " position " + position + ": not a batch: " + why);
    }

    private void closeChannel() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    @Override
    public void close() throws IOException {
        closeChannel();
    }
}
