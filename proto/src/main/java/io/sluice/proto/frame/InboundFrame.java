package io.sluice.proto.frame;

import com.google.protobuf.MessageLite;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * A decoded frame: its protobuf envelope and its raw tail (record batches), which is a retained slice of
 * the bytes read from the socket, not a copy. Reference-counted through the tail: whoever handles the
 * frame releases it once, on every path.
 *
 * <p>Thread-safety: confined to the channel's event loop until handed on; the tail's reference count is
 * atomic.
 */
public final class InboundFrame<T extends MessageLite> implements ReferenceCounted, AutoCloseable {
    private final T message;
    private final ByteBuf raw;

    public InboundFrame(T message, ByteBuf raw) {
        this.message = message;
        this.raw = raw;
    }

    public T message() {
        return message;
    }

    /** The raw tail: for each partition named in the message, in order, its records_size bytes. */
    public ByteBuf raw() {
        return raw;
    }

    @Override
    public int refCnt() {
        return raw.refCnt();
    }

    @Override
    public InboundFrame<T> retain() {
        raw.retain();
        return this;
    }

    @Override
    public InboundFrame<T> retain(int increment) {
        raw.retain(increment);
        return this;
    }

    @Override
    public InboundFrame<T> touch() {
        raw.touch();
        return this;
    }

    @Override
    public InboundFrame<T> touch(Object hint) {
        raw.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return raw.release();
    }

    @Override
    public boolean release(int decrement) {
        return raw.release(decrement);
    }

    /** Releases the frame once, so that a handler can hold it in try-with-resources. */
    @Override
    public void close() {
        raw.release();
    }

    @Override
    public String toString() {
        return "InboundFrame(" + message.getClass().getSimpleName() + ", raw " + raw.readableBytes() + " bytes)";
    }
}
