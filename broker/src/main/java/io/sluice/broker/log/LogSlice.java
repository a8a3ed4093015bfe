package io.sluice.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The answer to a read: {@code length} bytes of whole batches at {@code position} of one segment's file,
 * starting with the batch that holds the offset asked for ({@link #firstOffset()} is that batch's base).
 * It holds a reference on its segment, so retention cannot delete the file while the bytes are in flight;
 * {@link #close()} gives it back, once, on every path.
 *
 * <p>Thread-safety: safe to close from any thread; the transfer methods are for one thread at a time.
 */
public final class LogSlice implements AutoCloseable {
    private final Segment segment;
    private final long firstOffset;
    private final int position;
    private final int length;
    private final long nextOffset;
    private final AtomicBoolean closed = new AtomicBoolean();

    LogSlice(Segment segment, long firstOffset, int position, int length, long nextOffset) {
        this.segment = segment;
        this.firstOffset = firstOffset;
        this.position = position;
        this.length = length;
        this.nextOffset = nextOffset;
    }

    static LogSlice empty(long offset) {
        return new LogSlice(null, offset, 0, 0, offset);
    }

    public boolean isEmpty() {
        return length == 0;
    }

    /** Base offset of the first batch in the slice (at or below the offset that was read). */
    public long firstOffset() {
        return firstOffset;
    }

    /** The offset after the slice's last batch: where the next read continues. */
    public long nextOffset() {
        return nextOffset;
    }

    /** Records in the slice (offsets are contiguous: {@code nextOffset - firstOffset}). */
    public long recordCount() {
        return nextOffset - firstOffset;
    }

    public int position() {
        return position;
    }

    public int length() {
        return length;
    }

    /** The segment's file channel, for a {@code FileRegion}; null when empty. */
    public FileChannel channel() {
        return segment == null ? null : segment.channel();
    }

    public Segment segment() {
        return segment;
    }

    /** Sends the slice to {@code target} with {@code FileChannel.transferTo} (sendfile for sockets). */
    public long transferTo(WritableByteChannel target) throws IOException {
        return segment == null ? 0 : segment.transferTo(position, length, target);
    }

    /** Copies the slice into a new heap buffer; for tools and tests, not the fetch path. */
    public ByteBuffer readAll() throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        if (segment == null) {
            return buf;
        }
        while (buf.hasRemaining()) {
            if (segment.channel().read(buf, position + buf.position()) < 0) {
                throw new IOException(segment.file() + ": end of file at position " + (position + buf.position()));
            }
        }
        return buf.flip();
    }

    @Override
    public void close() {
        if (segment != null && closed.compareAndSet(false, true)) {
            segment.release();
        }
    }

    @Override
    public String toString() {
        return "LogSlice(offset " + firstOffset + ", position " + position + ", " + length + " bytes"
                + (segment == null ? "" : ", " + segment.file().getFileName()) + ")";
    }
}
