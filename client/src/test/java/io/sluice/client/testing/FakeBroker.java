package io.sluice.client.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.sluice.proto.frame.FrameDecoder;
import io.sluice.proto.frame.FrameEncoder;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.frame.OutboundFrame;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A tiny server speaking the frame codec, for tests: each request goes to a {@link Handler} on the server's event
 * loop, which answers now, later, or never. The request frame is released after the handler returns; retain it to
 * keep it.
 */
public final class FakeBroker implements AutoCloseable {

    /** Handles one request; runs on the server's event loop. */
    public interface Handler {
        void handle(Exchange exchange);
    }

    /** One request and the means to answer it. */
    public static final class Exchange {
        private final Channel channel;
        private final InboundFrame<Request> frame;

        Exchange(Channel channel, InboundFrame<Request> frame) {
            this.channel = channel;
            this.frame = frame;
        }

        public Request request() {
            return frame.message();
        }

        /** The raw tail; valid until the handler returns unless retained. */
        public ByteBuf raw() {
            return frame.raw();
        }

        public Channel channel() {
            return channel;
        }

        /** Keeps the request (and its raw tail) beyond the handler's return; release it later. */
        public void retain() {
            frame.retain();
        }

        public void release() {
            frame.release();
        }

        /** Sends {@code response} with this request's correlation id; takes ownership of {@code tail}. */
        public void reply(Response.Builder response, ByteBuf... tail) {
            OutboundFrame out = new OutboundFrame(response.setCorrelationId(request().getCorrelationId()).build());
            for (ByteBuf part : tail) {
                out.add(part);
            }
            channel.writeAndFlush(out);
        }
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final Set<Channel> children = ConcurrentHashMap.newKeySet();
    private volatile Handler handler;

    public FakeBroker(Handler handler) throws InterruptedException {
        this.handler = handler;
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        children.add(ch);
                        ch.pipeline().addLast(new FrameDecoder<>(Request.parser(), 256 << 20), new FrameEncoder(),
                                new SimpleChannelInboundHandler<InboundFrame<Request>>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, InboundFrame<Request> msg) {
                                        FakeBroker.this.handler.handle(new Exchange(ctx.channel(), msg));
                                    }
                                });
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    public void handler(Handler handler) {
        this.handler = handler;
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public String bootstrap() {
        return "127.0.0.1:" + port();
    }

    /** Closes every accepted connection (the server keeps listening). */
    public void dropConnections() {
        for (Channel ch : children) {
            ch.close().syncUninterruptibly();
        }
        children.clear();
    }

    /** Stops the server; a second call does nothing. */
    @Override
    public synchronized void close() {
        if (group.isShuttingDown()) {
            return;
        }
        server.close().syncUninterruptibly();
        dropConnections();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
