package io.sluice.broker.network;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.FileRegion;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.sluice.proto.frame.OutboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.util.List;

/**
 * Where one request came from and how to answer it. Answering is thread-safe (Netty moves the write onto
 * the channel's event loop) and happens at most once; it is when the request's latency is taken.
 */
public final class RequestContext {
    private final Channel channel;
    private final int correlationId;
    private final String clientId;
    private final Request.BodyCase api;
    private final long receivedNanos;
    private final RequestObserver observer;

    RequestContext(Channel channel, Request request, long receivedNanos, RequestObserver observer) {
        this.observer = observer;
        this.channel = channel;
        this.correlationId = request.getCorrelationId();
        this.clientId = request.getClientId();
        this.api = request.getBodyCase();
        this.receivedNanos = receivedNanos;
    }

    public int correlationId() {
        return correlationId;
    }

    public String clientId() {
        return clientId;
    }

    public Request.BodyCase api() {
        return api;
    }

    /** {@link System#nanoTime()} when the listener read the request off the socket. */
    public long receivedNanos() {
        return receivedNanos;
    }

    public String remoteAddress() {
        return String.valueOf(channel.remoteAddress());
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /**
     * Sets {@code value} under {@code key} on this request's connection; returns what was there (null the first
     * time). Connection attributes let a handler keep per-connection state without a map of its own.
     */
    public <T> T setConnectionAttribute(AttributeKey<T> key, T value) {
        return channel.attr(key).getAndSet(value);
    }

    /** The value under {@code key} on this request's connection, or null. */
    public <T> T connectionAttribute(AttributeKey<T> key) {
        return channel.attr(key).get();
    }

    /**
     * Runs {@code action} on the connection's event loop when it closes: it must not block. Returns what takes
     * it back: a request that is answered before the close must take it back, or every such request would add
     * a listener that lives as long as the connection.
     */
    public Runnable onConnectionClose(Runnable action) {
        ChannelFutureListener listener = f -> action.run();
        channel.closeFuture().addListener(listener);
        return () -> channel.closeFuture().removeListener(listener);
    }

    /** Sends {@code response} (its correlation id is set here) with no raw tail. */
    public void send(Response.Builder response) {
        send(response, List.of());
    }

    /**
     * Sends {@code response} followed by {@code tail} (each a ByteBuf or a FileRegion), taking ownership of
     * the tail parts: they are released once written, or now if the connection is gone.
     */
    public void send(Response.Builder response, List<?> tail) {
        Response built = response.setCorrelationId(correlationId).build();
        observer.onAnswer(api, built.getErrorCode(), System.nanoTime() - receivedNanos);
        OutboundFrame frame = new OutboundFrame(built);
        try {
            for (Object part : tail) {
                if (part instanceof FileRegion region) {
                    frame.add(region);
                } else {
                    frame.add((io.netty.buffer.ByteBuf) part);
                }
            }
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
        if (!channel.isActive()) {
            frame.release();
            return;
        }
        channel.writeAndFlush(frame).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
    }

    /** Counts an error carried by a part of the answer (one partition's), for the error metrics. */
    public void countError(ErrorCode error) {
        observer.onError(api, error);
    }

    /** Closes the connection (for an error no answer can carry, as with {@code acks=0}). */
    public void close() {
        channel.close();
    }

    /** Answers with a request-level error (the body left unset). */
    public void sendError(ErrorCode code, String message) {
        send(Response.newBuilder().setErrorCode(code).setErrorMessage(message == null ? "" : message));
    }

    /** Releases tail parts that will not be sent. */
    public static void releaseAll(List<?> parts) {
        for (Object part : parts) {
            ReferenceCountUtil.safeRelease(part);
        }
    }
}
