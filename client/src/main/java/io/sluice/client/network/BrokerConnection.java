package io.sluice.client.network;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.client.errors.BrokerUnavailableException;
import io.sluice.client.errors.TimeoutException;
import io.sluice.proto.frame.FrameDecoder;
import io.sluice.proto.frame.FrameEncoder;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.frame.OutboundFrame;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One multiplexed connection to a broker: many requests in flight, each response matched to its request by the
 * correlation id the connection assigns (responses may come back in any order).
 *
 * <pre>
 * send(request, timeout, tail...) --> [queued] --(in flight < max, channel writable)--> [in flight] --> response
 *                                        |                                                   |
 *                                        +------------- timeout / disconnect: the future fails --+
 * </pre>
 *
 * <p>Ownership: {@link #send} and {@link #sendOneWay} take the raw tail buffers over and release them on every path
 * (retain them first to keep using them); the frame a {@link #send} future completes with belongs to the caller,
 * who releases it. Futures complete on the connection's event loop: callbacks must not block.
 *
 * <p>Thread-safety: any thread may call the public methods. All the request state (queue, in-flight map,
 * correlation ids) is confined to the channel's event loop; other threads hand requests over with
 * {@code execute}.
 */
public final class BrokerConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerConnection.class);

    private final Channel channel;
    private final String address;
    private final ConnectionConfig config;
    private final EventLoop loop;
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

    // Event-loop confined.
    private final IntObjectHashMap<Pending> inFlight = new IntObjectHashMap<>();
    private final ArrayDeque<Pending> queued = new ArrayDeque<>();
    private int nextCorrelationId;
    private boolean closed;
    private Throwable closeCause;

    // Written on the loop, read anywhere (approximate outside the loop).
    private volatile int inFlightCount;
    private volatile int queuedCount;

    private BrokerConnection(Channel channel, String address, ConnectionConfig config) {
        this.channel = channel;
        this.address = address;
        this.config = config;
        this.loop = channel.eventLoop();
    }

    /**
     * Connects to {@code host:port}. The future fails with {@link BrokerUnavailableException} when the broker cannot
     * be reached within the connect timeout.
     */
    public static CompletableFuture<BrokerConnection> connect(Transport transport, String host, int port,
                                                              ConnectionConfig config) {
        String address = host + ":" + port;
        CompletableFuture<BrokerConnection> result = new CompletableFuture<>();
        BrokerConnection[] holder = new BrokerConnection[1];
        Bootstrap bootstrap = new Bootstrap()
                .group(transport.group())
                .channel(transport.channelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, config.connectTimeoutMs())
                .resolver(OffLoopResolverGroup.SHARED)
                // Reads of up to 1 MiB: a fetch answer of megabytes arrives in few syscalls.
                .option(ChannelOption.RECVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(512, 16 * 1024, 1 << 20))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferLowMark(), config.writeBufferHighMark()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        BrokerConnection connection = new BrokerConnection(ch, address, config);
                        holder[0] = connection;
                        // Several requests written in one event-loop task (the producer's sender) go out in one
                        // writev; flushes during a read are consolidated until the read completes.
                        ch.pipeline().addLast("flush", new FlushConsolidationHandler(256, true));
                        ch.pipeline().addLast("decoder", new FrameDecoder<>(Response.parser(), config.maxFrameBytes()));
                        ch.pipeline().addLast("encoder", new FrameEncoder());
                        ch.pipeline().addLast("handler", connection.new Handler());
                    }
                });
        ChannelFuture connect;
        try {
            connect = bootstrap.connect(InetSocketAddress.createUnresolved(host, port)); // resolved off this thread
        } catch (RuntimeException e) {
            result.completeExceptionally(new BrokerUnavailableException("cannot connect to broker " + address + ": " + e, e));
            return result;
        }
        connect.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                result.complete(holder[0]);
            } else {
                Throwable cause = f.cause();
                result.completeExceptionally(new BrokerUnavailableException("cannot connect to broker " + address + ": "
                        + whyNotConnected(cause), cause));
            }
        });
        return result;
    }

    /** The reason a connect failed, in words a user reads in one line (Netty's native messages name syscalls). */
    private static String whyNotConnected(Throwable cause) {
        if (cause == null) {
            return "cancelled";
        }
        if (cause instanceof io.netty.channel.ConnectTimeoutException) {
            return "timed out";
        }
        if (cause instanceof java.net.ConnectException) {
            String message = String.valueOf(cause.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (message.contains("refused")) {
                return "connection refused (is a broker listening there?)";
            }
            if (message.contains("unreachable")) {
                return "network unreachable";
            }
        }
        if (cause instanceof java.net.UnknownHostException) {
            return "unknown host";
        }
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }

    /** host:port of the broker. */
    public String address() {
        return address;
    }

    /** The event loop every callback of this connection runs on. */
    public EventLoop eventLoop() {
        return loop;
    }

    /** True until the connection is closed or lost. */
    public boolean isActive() {
        return channel.isActive() && !closeFuture.isDone();
    }

    /** True when a new request would be written at once: writable, and fewer than the maximum in flight. */
    public boolean isReady() {
        return isActive() && channel.isWritable() && queuedCount == 0 && inFlightCount < config.maxInFlight();
    }

    /** Requests written and awaiting a response (exact on the event loop, approximate elsewhere). */
    public int inFlightCount() {
        return inFlightCount;
    }

    /** Requests waiting to be written (exact on the event loop, approximate elsewhere). */
    public int queuedCount() {
        return queuedCount;
    }

    /** Completes when the connection is closed or lost. */
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    /** See {@link #send(Request.Builder, long, ByteBuf...)}. */
    public CompletableFuture<InboundFrame<Response>> send(Request request, long timeoutMs, ByteBuf... rawTail) {
        return send(request.toBuilder(), timeoutMs, rawTail);
    }

    /**
     * Sends a request and completes with its response frame, which the caller releases. The connection sets the
     * correlation id (and the client id when the builder has none). The future fails with {@link TimeoutException}
     * when no response came within {@code timeoutMs} of this call, and with {@link BrokerUnavailableException} when
     * the connection is lost first. Takes ownership of {@code rawTail}.
     */
    public CompletableFuture<InboundFrame<Response>> send(Request.Builder request, long timeoutMs, ByteBuf... rawTail) {
        CompletableFuture<InboundFrame<Response>> future = new CompletableFuture<>();
        submit(new Pending(request, rawTail, future, null, timeoutMs));
        return future;
    }

    /**
     * Sends a request that gets no response (produce with acks=0). The future completes when the request has been
     * written to the socket, or fails if it could not be. Takes ownership of {@code rawTail}.
     */
    public CompletableFuture<Void> sendOneWay(Request.Builder request, long timeoutMs, ByteBuf... rawTail) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        submit(new Pending(request, rawTail, null, future, timeoutMs));
        return future;
    }

    private void submit(Pending pending) {
        if (loop.inEventLoop()) {
            enqueue(pending);
            return;
        }
        try {
            loop.execute(() -> enqueue(pending));
        } catch (RejectedExecutionException e) {
            pending.fail(new BrokerUnavailableException("connection to broker " + address + " is shut down", e));
        }
    }

    /** Closes the connection; requests in flight fail with {@link BrokerUnavailableException}. */
    @Override
    public void close() {
        channel.close();
    }

    @Override
    public String toString() {
        return "BrokerConnection(" + address + ", in flight " + inFlightCount + ", queued " + queuedCount + ")";
    }

    // ------------------------------------------------------------------ event loop

    private void enqueue(Pending pending) {
        if (closed || !channel.isActive()) {
            pending.fail(lost());
            return;
        }
        pending.correlationId = nextCorrelationId++;
        if (nextCorrelationId < 0) {
            nextCorrelationId = 0;
        }
        if (pending.timeoutMs > 0) {
            pending.timeout = loop.schedule(() -> expire(pending), pending.timeoutMs, TimeUnit.MILLISECONDS);
        }
        queued.add(pending);
        queuedCount = queued.size();
        drain();
    }

    private void drain() {
        boolean wrote = false;
        while (!queued.isEmpty() && channel.isWritable() && inFlight.size() < config.maxInFlight()) {
            write(queued.poll());
            wrote = true;
        }
        queuedCount = queued.size();
        if (wrote) {
            channel.flush();
        }
    }

    private void write(Pending pending) {
        Request.Builder builder = pending.request.setCorrelationId(pending.correlationId);
        if (builder.getClientId().isEmpty() && config.clientId() != null) {
            builder.setClientId(config.clientId());
        }
        OutboundFrame frame = new OutboundFrame(builder.build());
        ByteBuf[] tail = pending.tail;
        pending.tail = null;
        for (ByteBuf part : tail) {
            frame.add(part);
        }
        if (pending.oneWay != null) {
            channel.write(frame).addListener((ChannelFutureListener) f -> {
                cancelTimeout(pending);
                if (f.isSuccess()) {
                    pending.oneWay.complete(null);
                } else {
                    pending.oneWay.completeExceptionally(new BrokerUnavailableException(
                            "write to broker " + address + " failed: " + f.cause(), f.cause()));
                }
            });
            return;
        }
        inFlight.put(pending.correlationId, pending);
        inFlightCount = inFlight.size();
        channel.write(frame).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess() && inFlight.remove(pending.correlationId) == pending) {
                inFlightCount = inFlight.size();
                pending.fail(new BrokerUnavailableException("write to broker " + address + " failed: " + f.cause(),
                        f.cause()));
            }
        });
    }

    private void expire(Pending pending) {
        pending.timeout = null;
        boolean found = inFlight.remove(pending.correlationId) == pending || queued.remove(pending);
        if (!found) {
            return;
        }
        inFlightCount = inFlight.size();
        queuedCount = queued.size();
        pending.fail(new TimeoutException("request " + pending.request.getBodyCase() + " (correlation id "
                + pending.correlationId + ") to broker " + address + " timed out after " + pending.timeoutMs + " ms"));
        drain();
    }

    private static void cancelTimeout(Pending pending) {
        if (pending.timeout != null) {
            pending.timeout.cancel(false);
            pending.timeout = null;
        }
    }

    private void onResponse(InboundFrame<Response> frame) {
        Pending pending = inFlight.remove(frame.message().getCorrelationId());
        if (pending == null) {
            // Its request timed out already; nobody waits for it.
            log.debug("dropping response with unknown correlation id {} from broker {}",
                    frame.message().getCorrelationId(), address);
            frame.release();
            return;
        }
        inFlightCount = inFlight.size();
        cancelTimeout(pending);
        if (!pending.response.complete(frame)) {
            frame.release();
        }
        drain();
    }

    private void onClosed() {
        if (closed) {
            return;
        }
        closed = true;
        BrokerUnavailableException error = lost();
        List<Pending> failed = new ArrayList<>(inFlight.values());
        failed.addAll(queued);
        inFlight.clear();
        queued.clear();
        inFlightCount = 0;
        queuedCount = 0;
        for (Pending pending : failed) {
            cancelTimeout(pending);
            pending.fail(error);
        }
        closeFuture.complete(null);
    }

    private BrokerUnavailableException lost() {
        String why = closeCause == null ? "" : ": " + closeCause.getMessage();
        return new BrokerUnavailableException("connection to broker " + address + " closed" + why, closeCause);
    }

    /** The pipeline's last handler; runs on the event loop. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        @SuppressWarnings("unchecked")
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof InboundFrame<?> frame) {
                onResponse((InboundFrame<Response>) frame);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                drain();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            onClosed();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (closeCause == null) {
                closeCause = cause;
            }
            log.warn("closing the connection to broker {}: {}", address, cause.toString());
            ctx.close();
        }
    }

    /** A request on its way: queued, then in flight. Event-loop confined once submitted. */
    private static final class Pending {
        final Request.Builder request;
        ByteBuf[] tail;
        final CompletableFuture<InboundFrame<Response>> response;
        final CompletableFuture<Void> oneWay;
        final long timeoutMs;
        int correlationId;
        ScheduledFuture<?> timeout;

        Pending(Request.Builder request, ByteBuf[] tail, CompletableFuture<InboundFrame<Response>> response,
                CompletableFuture<Void> oneWay, long timeoutMs) {
            this.request = request;
            this.tail = tail;
            this.response = response;
            this.oneWay = oneWay;
            this.timeoutMs = timeoutMs;
        }

        void fail(Throwable error) {
            if (tail != null) {
                for (ByteBuf part : tail) {
                    ReferenceCountUtil.safeRelease(part);
                }
                tail = null;
            }
            if (response != null) {
                response.completeExceptionally(error);
            } else {
                oneWay.completeExceptionally(error);
            }
        }
    }
}
