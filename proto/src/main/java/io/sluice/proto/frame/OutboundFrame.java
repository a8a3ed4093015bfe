package io.sluice.proto.frame;

import com.google.protobuf.MessageLite;
import io.netty.buffer.ByteBuf;
import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * A frame to send: its protobuf envelope and the parts of its raw tail, each a {@link ByteBuf} or a
 * {@link FileRegion} (a slice of a segment file that the transport sends with {@code sendfile}). The frame
 * owns its parts: releasing the frame releases every part it still holds; {@link FrameEncoder} hands
 * them on to the transport instead.
 *
 * <p>Thread-safety: built by one thread, then handed to the channel.
 */
public final class OutboundFrame extends AbstractReferenceCounted {
    private final MessageLite message;
    private final List<Object> tail = new ArrayList<>(2);
    private long tailBytes;

    public OutboundFrame(MessageLite message) {
        this.message = message;
    }

    /** Appends a buffer to the tail; the frame takes ownership of it. */
    public OutboundFrame add(ByteBuf part) {
        tail.add(part);
        tailBytes += part.readableBytes();
        return this;
    }

    /** Appends a file slice to the tail; the frame takes ownership of it. */
    public OutboundFrame add(FileRegion part) {
        tail.add(part);
        tailBytes += part.count() - part.transferred();
        return this;
    }

    public MessageLite message() {
        return message;
    }

    public long tailBytes() {
        return tailBytes;
    }

    /** The tail's parts, in order; the encoder takes each with a retain. */
    List<Object> tail() {
        return tail;
    }

    @Override
    protected void deallocate() {
        for (Object part : tail) {
            ReferenceCountUtil.release(part);
        }
        tail.clear();
    }

    @Override
    public OutboundFrame touch(Object hint) {
        for (Object part : tail) {
            ReferenceCountUtil.touch(part, hint);
        }
        return this;
    }

    @Override
    public String toString() {
        return "OutboundFrame(" + message.getClass().getSimpleName() + ", tail " + tailBytes + " bytes in " + tail.size()
                + " parts)";
    }
}
