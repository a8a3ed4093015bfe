package io.sluice.broker.fetch;

import io.netty.channel.DefaultFileRegion;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.network.SocketPayload;
import io.sluice.broker.partition.PartitionTraffic;

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
 * <p>It is a {@link SocketPayload}: the listener's traffic counter, next to the socket, tells it how it went
 * out, and it counts its bytes and records in the partition's {@link PartitionTraffic}.
 *
 * <p>Thread-safety: written by the channel's event loop; the reference count is atomic.
 */
public final class LogSliceRegion extends DefaultFileRegion implements SocketPayload {
    private final LogSlice slice;
    private final PartitionTraffic traffic;
    private final boolean follower;

    /** Takes ownership of {@code slice}: it is closed when this region is released. Counts nothing. */
    public LogSliceRegion(LogSlice slice) {
        this(slice, PartitionTraffic.NONE, false);
    }

    /**
     * Takes ownership of {@code slice}: it is closed when this region is released. When the region reaches
     * the socket it is counted in {@code traffic} as a fetch by a follower or a consumer.
     */
    public LogSliceRegion(LogSlice slice, PartitionTraffic traffic, boolean follower) {
        super(slice.channel(), slice.position(), slice.length());
        this.slice = slice;
        this.traffic = traffic;
        this.follower = follower;
        traffic.queued(slice.length(), follower);
    }

    /** The slice being sent. */
    public LogSlice slice() {
        return slice;
    }

    @Override
    public void onWritten(boolean zeroCopy) {
        traffic.fetched(slice.recordCount(), count(), follower, zeroCopy);
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
