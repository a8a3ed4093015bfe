package io.sluice.broker.fetch;

import io.netty.channel.DefaultFileRegion;
import io.sluice.broker.log.LogSlice;

/**
 * A {@link LogSlice} as a Netty {@link DefaultFileRegion}: the bytes go from the page cache to the socket
 * with {@code sendfile} and never pass through the heap. It must be a {@code DefaultFileRegion}, not just
 * a {@code FileRegion}: the native epoll transport calls {@code sendfile} itself only for that class and
 * sends any other region through a byte-channel wrapper, where {@code FileChannel.transferTo} falls back
 * to copying through a buffer (the NIO transport hands either to {@code transferTo} on the socket channel).
 *
 * <p>Unlike a plain {@code DefaultFileRegion}, releasing it does not close the file channel, which belongs
 * to the segment and is shared by every reader: it gives the slice's segment reference back, which is what
 * lets retention delete the file once the last transfer is done.
 *
 * <p>Thread-safety: written by the channel's event loop; the reference count is atomic.
 */
public final class LogSliceRegion extends DefaultFileRegion {
    private final LogSlice slice;

    /** Takes ownership of {@code slice}: it is closed when this region is released. */
    public LogSliceRegion(LogSlice slice) {
        super(slice.channel(), slice.position(), slice.length());
        this.slice = slice;
    }

    /** The slice being sent. */
    public LogSlice slice() {
        return slice;
    }

    @Override
    protected void deallocate() {
        // Deliberately not super.deallocate(): that would close the segment's shared file channel.
        slice.close();
    }

    @Override
    public String toString() {
        return "LogSliceRegion(" + slice + ", transferred " + transferred() + ")";
    }
}
