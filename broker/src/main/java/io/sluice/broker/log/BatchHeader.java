package io.sluice.broker.log;

import io.sluice.proto.record.RecordBatch;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The fields of a stored batch's header that reads and scans need, read through the file channel
 * (a positional read of {@value RecordBatch#HEADER_SIZE} bytes) without touching the records.
 */
record BatchHeader(int position, long baseOffset, int sizeInBytes, long lastOffset, long maxTimestamp,
                   int partitionLeaderEpoch) {

    int nextPosition() {
        return position + sizeInBytes;
    }

    /**
     * Reads the header at {@code position}, which must lie below {@code limit} (the segment's size).
     *
     * @throws LogCorruptionException when the header is not a plausible batch below {@code limit}
     */
    static BatchHeader read(FileChannel channel, java.nio.file.Path file, int position, int limit) {
        ByteBuffer buf = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
        try {
            while (buf.hasRemaining()) {
                int n = channel.read(buf, position + buf.position());
                if (n < 0) {
                    throw new EOFException("end of file");
                }
            }
        } catch (IOException e) {
            throw new LogStorageException(file, "reading batch header at position " + position, e);
        }
        int batchLength = buf.getInt(RecordBatch.BATCH_LENGTH_OFFSET);
        int size = RecordBatch.LOG_OVERHEAD + batchLength;
        int lastOffsetDelta = buf.getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET);
        if (batchLength < RecordBatch.MIN_BATCH_LENGTH || (long) position + size > limit || lastOffsetDelta < 0
                || buf.get(RecordBatch.MAGIC_OFFSET) != RecordBatch.MAGIC) {
            throw new LogCorruptionException(file, position, "not a batch header (batchLength " + batchLength
                    + ", magic " + buf.get(RecordBatch.MAGIC_OFFSET) + ", segment size " + limit + ")");
        }
        long base = buf.getLong(RecordBatch.BASE_OFFSET_OFFSET);
        return new BatchHeader(position, base, size, base + lastOffsetDelta,
                buf.getLong(RecordBatch.MAX_TIMESTAMP_OFFSET), buf.getInt(RecordBatch.PARTITION_LEADER_EPOCH_OFFSET));
    }
}
