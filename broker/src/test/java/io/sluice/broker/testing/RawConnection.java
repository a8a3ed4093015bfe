package io.sluice.broker.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.sluice.proto.frame.FrameDecoder;
import io.sluice.proto.frame.FrameEncoder;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.frame.OutboundFrame;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bare protocol connection for broker tests: frames in, frames out, nothing checked or retried. It lets
 * tests send what a real client never would (bad batches, wrong sizes, huge frames) and see the raw answer.
 * Responses are queued in arrival order; the caller releases each one.
 */
public final class RawConnection implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel channel;
    private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    private int nextCorrelationId = 1;

    public RawConnection(String host, int port) throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-client", true), NioIoHandler.newFactory());
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new FrameDecoder<>(Response.parser(), 256 << 20))
                                .addLast(new FrameEncoder())
                                .addLast(new SimpleChannelInboundHandler<InboundFrame<Response>>(false) {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, InboundFrame<Response> msg) {
                                        received.add(msg);
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        received.add("closed");
                                    }
                                });
                    }
                })
                .connect(host, port).sync().channel();
    }

    /** Sends {@code request} with the next correlation id and {@code tail} as its raw bytes; returns the id. */
    public int send(Request.Builder request, ByteBuffer... tail) {
        int id = nextCorrelationId++;
        OutboundFrame frame = new OutboundFrame(request.setCorrelationId(id).build());
        for (ByteBuffer b : tail) {
            frame.add(Unpooled.wrappedBuffer(b.duplicate()));
        }
        channel.writeAndFlush(frame).syncUninterruptibly();
        return id;
    }

    /** Writes raw bytes to the socket, bypassing the encoder. */
    public void sendBytes(ByteBuf bytes) {
        channel.writeAndFlush(bytes).syncUninterruptibly();
    }

    /** The next response (the caller releases it), or null when none came within {@code timeoutMs}. */
    @SuppressWarnings("unchecked")
    public InboundFrame<Response> receive(long timeoutMs) throws InterruptedException {
        Object o = received.poll(timeoutMs, TimeUnit.MILLISECONDS);
        if (o == null || o instanceof String) {
            if (o != null) {
                received.add(o); // keep the "closed" marker for isClosed()
            }
            return null;
        }
        return (InboundFrame<Response>) o;
    }

    /** Sends and waits for the answer; fails the test when none comes within 10 s. */
    public InboundFrame<Response> call(Request.Builder request, ByteBuffer... tail) throws InterruptedException {
        int id = send(request, tail);
        InboundFrame<Response> r = receive(10_000);
        if (r == null) {
            throw new AssertionError("no answer to request " + id + " within 10 s");
        }
        if (r.message().getCorrelationId() != id) {
            r.release();
            throw new AssertionError("answer to " + r.message().getCorrelationId() + " while waiting for " + id);
        }
        return r;
    }

    /** True once the broker closed the connection (waits up to {@code timeoutMs}). */
    public boolean awaitClosed(long timeoutMs) throws InterruptedException {
        channel.closeFuture().await(timeoutMs);
        return !channel.isActive();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        Object o;
        while ((o = received.poll()) != null) {
            if (o instanceof InboundFrame<?> f) {
                f.release();
            }
        }
    }
}
