package io.sluice.broker.fetch;

import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import io.sluice.broker.log.LogSlice;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * A {@link LogSlice} as a Netty {@link FileRegion}: the transport sends it with
 * {@code FileChannel.transferTo} (sendfile on a socket), so the bytes go from the page cache to the socket
 * without passing through the heap. Unlike {@code DefaultFileRegion}, releasing it does not close the file
 * channel, which belongs to the segment and is shared by every reader: it gives the slice's segment
 * reference back, which is what lets retention delete the file once the last transfer is done.
 *
 * <p>Thread-safety: written by the channel's event loop; the reference count is atomic.
 */
public final class LogSliceRegion extends AbstractReferenceCounted implements FileRegion {
    private final LogSlice slice;
    private long transferred;

    /** Takes ownership of {@code slice}: it is closed when this region is released. */
    public LogSliceRegion(LogSlice slice) {
        this.slice = slice;
    }

    @Override
    public long position() {
        return slice.position();
    }

    @Override
    @Deprecated
    public long transfered() {
        return transferred;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Override
    public long count() {
        return slice.length();
    }

    @Override
    public long transferTo(WritableByteChannel target, long position) throws IOException {
        long count = count() - position;
        if (count < 0 || position < 0) {
            throw new IllegalArgumentException("position " + position + " outside a region of " + count() + " bytes");
        }
        if (count == 0) {
            return 0;
        }
        long written = slice.channel().transferTo(slice.position() + position, count, target);
        if (written > 0) {
            transferred += written;
        } else if (written == 0 && slice.channel().size() < slice.position() + count()) {
            // The file shrank under the slice (a truncation raced the fetch): fail instead of spinning forever.
            throw new IOException(slice.segment().file() + " is " + slice.channel().size() + " bytes, shorter than the "
                    + count() + " bytes at position " + slice.position() + " being sent");
        }
        return written;
    }

    @Override
    protected void deallocate() {
        slice.close();
    }

    @Override
    public LogSliceRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public LogSliceRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public LogSliceRegion touch() {
        return this;
    }

    @Override
    public LogSliceRegion touch(Object hint) {
        return this;
    }

    @Override
    public String toString() {
        return "LogSliceRegion(" + slice + ", transferred " + transferred + ")";
    }
}
