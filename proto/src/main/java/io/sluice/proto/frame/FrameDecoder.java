package io.sluice.proto.frame;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Splits the byte stream into frames and decodes each into an {@link InboundFrame}:
 *
 * <pre>
 * BEFORE DECODE                                                        AFTER DECODE
 * +------------+------------+-------------------+------------+        +-------------------+------------+
 * | frameLen   | protoLen   | protobuf envelope | raw tail   |  --->  | envelope (parsed) | raw tail   |
 * | u32        | u32        | protoLen bytes    | the rest   |        | T                 | ByteBuf    |
 * +------------+------------+-------------------+------------+        +-------------------+------------+
 * </pre>
 *
 * {@code frameLen} counts the bytes after itself. A frame longer than {@code maxFrameBytes}
 * ({@code socket.request.max.bytes}) is refused as soon as its length is read, before it is buffered
 * ({@link TooLongFrameException}); a length that cannot hold the proto length, a proto length that runs
 * past the frame, or an envelope that does not parse is a {@link CorruptedFrameException}. The caller's
 * handler answers or closes; this decoder never guesses.
 *
 * <p>Thread-safety: one instance per channel (Netty decoders keep state), confined to its event loop.
 */
public final class FrameDecoder<T extends MessageLite> extends LengthFieldBasedFrameDecoder {
    /** The two length fields. */
    public static final int HEADER_BYTES = 8;

    private final Parser<T> parser;

    public FrameDecoder(Parser<T> parser, int maxFrameBytes) {
        super(maxFrameBytes, 0, 4, 0, 4, true);
        this.parser = parser;
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        ByteBuf frame = (ByteBuf) super.decode(ctx, in);
        if (frame == null) {
            return null;
        }
        try {
            return parse(frame);
        } finally {
            frame.release();
        }
    }

    private InboundFrame<T> parse(ByteBuf frame) {
        int frameBytes = frame.readableBytes();
        if (frameBytes < 4) {
            throw new CorruptedFrameException("frame of " + frameBytes + " bytes has no room for its proto length");
        }
        int protoBytes = frame.readInt();
        if (protoBytes < 0 || protoBytes > frame.readableBytes()) {
            throw new CorruptedFrameException("proto length " + protoBytes + " does not fit a frame of " + frameBytes + " bytes");
        }
        T message;
        try {
            message = parser.parseFrom(CodedInputStream.newInstance(frame.nioBuffer(frame.readerIndex(), protoBytes)));
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptedFrameException("envelope of " + protoBytes + " bytes does not parse: " + e.getMessage(), e);
        }
        frame.skipBytes(protoBytes);
        return new InboundFrame<>(message, frame.retainedSlice());
    }
}
