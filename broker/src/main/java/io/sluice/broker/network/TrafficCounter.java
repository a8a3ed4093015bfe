package io.sluice.broker.network;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what the broker hands to its sockets, by kind: bytes in {@link FileRegion}s (sent with
 * {@code sendfile}, never copied by the CPU) and bytes in buffers (response headers and anything copied).
 * It sits next to the socket, below the encoder, so it sees exactly what the transport writes: this is
 * how the zero-copy promise is checked, in tests and on {@code /metrics}. A part that is a
 * {@link SocketPayload} is told how it went out, so fetch payloads are attributed to their path here.
 *
 * <p>Thread-safety: {@link ChannelHandler.Sharable}; lock-free counters.
 */
@ChannelHandler.Sharable
public final class TrafficCounter extends ChannelOutboundHandlerAdapter {
    private final LongAdder regionBytes = new LongAdder();
    private final LongAdder bufferBytes = new LongAdder();
    private final LongAdder regions = new LongAdder();

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof FileRegion region) {
            regionBytes.add(region.count());
            regions.increment();
            if (region instanceof SocketPayload payload) {
                // Only a DefaultFileRegion is sent with sendfile by both transports (see LogSliceRegion).
                payload.onWritten(region instanceof DefaultFileRegion);
            }
        } else if (msg instanceof ByteBuf buf) {
            bufferBytes.add(buf.readableBytes());
        }
        ctx.write(msg, promise);
    }

    /** Bytes written as file regions. */
    public long regionBytes() {
        return regionBytes.sum();
    }

    /** Bytes written from buffers: headers, and anything that was copied. */
    public long bufferBytes() {
        return bufferBytes.sum();
    }

    public long regions() {
        return regions.sum();
    }
}
