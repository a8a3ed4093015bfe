package io.sluice.broker.network;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.frame.OutboundFrame;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's requests, handed to the handler threads one at a time and in arrival order: a
 * producer's batches to a partition are appended in the order it sent them. A request that must wait
 * (a long-poll fetch, an {@code acks=all} produce) parks in a purgatory and frees the connection for the
 * next one, so its answer may overtake earlier ones; clients match answers by correlation id.
 *
 * <p>Back-pressure: the connection stops reading when {@code maxQueued} requests are waiting or when its
 * outbound buffer is over the high-water mark, and reads again when both have drained.
 *
 * <p>Thread-safety: {@code queue} and {@code running} are guarded by {@code this}; the event loop adds,
 * one handler thread at a time drains.
 */
final class RequestChannel extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RequestChannel.class);

    private final RequestHandler handler;
    private final RequestObserver observer;
    private final Executor executor;
    private final int maxQueued;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private boolean running;
    private boolean closed;
    private volatile ChannelHandlerContext ctx;

    RequestChannel(RequestHandler handler, RequestObserver observer, Executor executor, int maxQueued) {
        this.handler = handler;
        this.observer = observer;
        this.executor = executor;
        this.maxQueued = maxQueued;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.channelActive(ctx);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        this.ctx = ctx;
        InboundFrame<Request> frame = (InboundFrame<Request>) msg;
        boolean schedule;
        synchronized (this) {
            if (closed) {
                frame.release();
                return;
            }
            queue.add(new Pending(frame, System.nanoTime()));
            if (queue.size() >= maxQueued) {
                ctx.channel().config().setAutoRead(false);
            }
            schedule = !running;
            running = true;
        }
        if (schedule) {
            submitDrain();
        }
    }

    private void submitDrain() {
        try {
            executor.execute(this::drain);
        } catch (RejectedExecutionException e) {
            // The broker is shutting down: drop what is queued.
            synchronized (this) {
                running = false;
            }
            ctx.close();
        }
    }

    /**
     * Handles queued requests, at most {@code maxQueued} per turn: a connection that keeps its queue full must
     * give the thread back to the other connections, so it goes to the end of the executor's queue.
     */
    private void drain() {
        boolean finished = false;
        try {
            finished = drainSome();
        } finally {
            if (!finished) {
                // A turn used up, or a handler threw an Error: either way this connection is not done.
                boolean again;
                synchronized (this) {
                    again = !queue.isEmpty() && !closed;
                    running = again;
                }
                if (again) {
                    submitDrain();
                }
            }
            maybeResumeReading();
        }
    }

    /** True when the queue was emptied (and {@code running} cleared). */
    private boolean drainSome() {
        for (int handled = 0; handled < maxQueued; handled++) {
            Pending pending;
            synchronized (this) {
                pending = queue.poll();
                if (pending == null) {
                    running = false;
                    return true;
                }
            }
            InboundFrame<Request> frame = pending.frame;
            Request request = frame.message();
            observer.onRequest(request.getBodyCase());
            RequestContext context = new RequestContext(ctx.channel(), request, pending.readNanos, observer);
            try {
                handler.handle(context, frame);
            } catch (RuntimeException e) {
                // A handler bug must not take the connection's other requests down with it.
                log.error("{} request {} from {} failed", request.getBodyCase(), request.getCorrelationId(),
                        context.remoteAddress(), e);
                context.sendError(ErrorCode.UNKNOWN_SERVER_ERROR, e.toString());
            }
        }
        return false;
    }

    /** Reading resumes only when both the queue and the outbound buffer have room; decided under the lock. */
    private synchronized void maybeResumeReading() {
        ChannelHandlerContext c = ctx;
        if (!closed && queue.size() < maxQueued && c.channel().isWritable() && !c.channel().config().isAutoRead()) {
            c.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (!ctx.channel().isWritable()) {
            synchronized (this) {
                ctx.channel().config().setAutoRead(false);
            }
        } else {
            maybeResumeReading();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        ArrayDeque<Pending> dropped;
        synchronized (this) {
            closed = true;
            dropped = new ArrayDeque<>(queue);
            queue.clear();
        }
        dropped.forEach(p -> p.frame.release());
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException || cause instanceof CorruptedFrameException
                || cause instanceof DecoderException) {
            // The stream can no longer be trusted: say why, then hang up. The correlation id is unknown.
            log.warn("closing connection from {}: {}", ctx.channel().remoteAddress(), cause.getMessage());
            Response response = Response.newBuilder()
                    .setCorrelationId(-1)
                    .setErrorCode(ErrorCode.INVALID_REQUEST)
                    .setErrorMessage(describe(cause))
                    .build();
            ctx.writeAndFlush(new OutboundFrame(response)).addListener(f -> ctx.close());
        } else if (cause instanceof IOException) {
            log.debug("connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        } else {
            log.warn("connection from {} failed", ctx.channel().remoteAddress(), cause);
            ctx.close();
        }
    }

    /** A request read and not yet handled, with when it was read (where its latency counts from). */
    private record Pending(InboundFrame<Request> frame, long readNanos) {
    }

    private static String describe(Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            return cause.getMessage() + " (socket.request.max.bytes)";
        }
        return cause.getMessage();
    }
}
