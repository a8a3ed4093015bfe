package io.sluice.proto.frame;

import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.List;

/**
 * Writes an {@link OutboundFrame} as a small header buffer followed by its tail parts, unchanged: a
 * {@code FileRegion} stays a {@code FileRegion}, so the transport can send it with {@code sendfile} and
 * no fetched byte passes through the heap.
 *
 * <pre>
 * OutboundFrame(envelope, [region0, buf1])  --->  [ header: frameLen u32 | protoLen u32 | envelope ] [ region0 ] [ buf1 ]
 * </pre>
 *
 * <p>Stateless and {@link ChannelHandler.Sharable}.
 */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToMessageEncoder<OutboundFrame> {

    public FrameEncoder() {
        super(OutboundFrame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, OutboundFrame frame, List<Object> out) throws IOException {
        int protoBytes = frame.message().getSerializedSize();
        long frameBytes = 4L + protoBytes + frame.tailBytes();
        if (frameBytes > Integer.MAX_VALUE) {
            throw new EncoderException("frame of " + frameBytes + " bytes is larger than 2 GiB");
        }
        ByteBuf header = ctx.alloc().buffer(FrameDecoder.HEADER_BYTES + protoBytes);
        try {
            header.writeInt((int) frameBytes);
            header.writeInt(protoBytes);
            CodedOutputStream cos = CodedOutputStream.newInstance(header.nioBuffer(header.writerIndex(), protoBytes));
            frame.message().writeTo(cos);
            cos.checkNoSpaceLeft();
            header.writerIndex(header.writerIndex() + protoBytes);
        } catch (IOException | RuntimeException e) {
            header.release();
            throw e;
        }
        out.add(header);
        for (Object part : frame.tail()) {
            out.add(ReferenceCountUtil.retain(part));
        }
    }
}
