package io.sluice.broker.metrics;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.CharsetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.broker.server.BrokerConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's {@code /metrics} endpoint (ARCHITECTURE.md §12): a small Netty HTTP/1.1 server with its own
 * one-thread event loop, so that rendering a scrape never runs on the listener's event loops or the
 * request threads. {@code GET /metrics} (or {@code HEAD}) answers the Prometheus text format 0.0.4; any
 * other path is 404, any other method 405. Connections are kept alive as HTTP/1.1 asks (Prometheus
 * reuses them between scrapes) and closed after two idle minutes.
 *
 * <p>Thread-safety: started and closed by the broker's main thread; each connection is confined to the
 * server's event loop.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
    /** What Prometheus expects for the text format that {@link Scrape} writes. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    public static final String PATH = "/metrics";
    /** Largest request accepted (a scrape has no body); a larger one is answered 413 and closed. */
    private static final int MAX_REQUEST_BYTES = 16 * 1024;
    private static final int IDLE_SECONDS = 120;

    /** Writes the current metrics in the Prometheus text format. */
    @FunctionalInterface
    public interface Scrape {
        void writeTo(OutputStream out) throws IOException;
    }

    private final String host;
    private final int port;
    private final Scrape scrape;
    private final EventLoopGroup group;
    private final ChannelGroup connections = new DefaultChannelGroup("sluice-metrics-connections",
            GlobalEventExecutor.INSTANCE);
    private Channel serverChannel;

    /** @param port the {@code metrics.port}; 0 binds any free port (see {@link #port()}) */
    public MetricsServer(String host, int port, Scrape scrape) {
        this.host = host;
        this.port = port;
        this.scrape = scrape;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("sluice-metrics", true),
                NioIoHandler.newFactory());
    }

    /**
     * Binds the server; returns the bound port.
     *
     * @throws IllegalStateException naming {@code metrics.port} when the address cannot be bound
     */
    public int start() {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast("idle", new ReadTimeoutHandler(IDLE_SECONDS));
                        initPipeline(ch.pipeline(), scrape);
                    }
                });
        try {
            serverChannel = bootstrap.bind(host, port).syncUninterruptibly().channel();
        } catch (Exception e) {
            throw new IllegalStateException(BrokerConfig.METRICS_PORT + ": cannot serve /metrics on " + host + ":" + port
                    + ": " + e.getMessage() + " (is another process using the port? 0 picks a free one)", e);
        }
        int bound = port();
        log.info("serving metrics on http://{}:{}{}", host, bound, PATH);
        return bound;
    }

    /** The bound port (the configured one, or the one picked for port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** The HTTP handlers of one connection; separate so that tests can drive them on an EmbeddedChannel. */
    static void initPipeline(ChannelPipeline pipeline, Scrape scrape) {
        pipeline.addLast("http", new HttpServerCodec())
                .addLast("keepAlive", new HttpServerKeepAliveHandler())
                .addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_BYTES))
                .addLast("metrics", new MetricsHandler(scrape));
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Answers one request at a time; confined to the connection's event loop. */
    private static final class MetricsHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Scrape scrape;

        MetricsHandler(Scrape scrape) {
            this.scrape = scrape;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (!request.decoderResult().isSuccess()) {
                sendText(ctx, request, HttpResponseStatus.BAD_REQUEST, "malformed request\n", true);
                return;
            }
            String uri = request.uri();
            int query = uri.indexOf('?');
            String path = query < 0 ? uri : uri.substring(0, query);
            if (!PATH.equals(path)) {
                sendText(ctx, request, HttpResponseStatus.NOT_FOUND, "not found; metrics are at " + PATH + "\n", false);
                return;
            }
            boolean head = HttpMethod.HEAD.equals(request.method());
            if (!HttpMethod.GET.equals(request.method()) && !head) {
                FullHttpResponse response = text(request, HttpResponseStatus.METHOD_NOT_ALLOWED,
                        request.method() + " is not allowed; use GET\n");
                response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
                ctx.writeAndFlush(response);
                return;
            }
            ByteBuf body = ctx.alloc().buffer(64 * 1024);
            try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
                scrape.writeTo(out);
            } catch (IOException | RuntimeException e) {
                body.release();
                log.warn("rendering the metrics failed; answering 500", e);
                sendText(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "rendering the metrics failed: " + e + "\n",
                        false);
                return;
            }
            FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(), HttpResponseStatus.OK,
                    head ? Unpooled.EMPTY_BUFFER : body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE);
            HttpUtil.setContentLength(response, body.readableBytes());
            if (head) {
                body.release();
            }
            ctx.writeAndFlush(response);
        }

        private static void sendText(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                                     String message, boolean close) {
            FullHttpResponse response = text(request, status, message);
            if (close) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush(response);
            }
        }

        private static FullHttpResponse text(FullHttpRequest request, HttpResponseStatus status, String message) {
            HttpVersion version = request.protocolVersion();
            FullHttpResponse response = new DefaultFullHttpResponse(version, status,
                    Unpooled.copiedBuffer(message, CharsetUtil.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            HttpUtil.setContentLength(response, response.content().readableBytes());
            return response;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("metrics connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
