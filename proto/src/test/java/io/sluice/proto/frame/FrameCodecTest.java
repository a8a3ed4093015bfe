package io.sluice.proto.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.sluice.proto.message.FetchRequest;
import io.sluice.proto.message.ProduceRequest;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrameCodecTest {
    static final int MAX = 1 << 20;

    @TempDir
    Path tmp;

    static Request produce(int correlationId) {
        return Request.newBuilder().setCorrelationId(correlationId).setClientId("test")
                .setProduce(ProduceRequest.newBuilder().setAcks(-1).setTimeoutMs(30_000)).build();
    }

    /** Encodes with the real encoder and returns the bytes on the wire. */
    static ByteBuf wire(OutboundFrame frame) {
        EmbeddedChannel out = new EmbeddedChannel(new FrameEncoder());
        assertThat(out.writeOutbound(frame)).isTrue();
        ByteBuf all = Unpooled.buffer();
        Object o;
        while ((o = out.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            all.writeBytes(b);
            b.release();
        }
        out.finishAndReleaseAll();
        return all;
    }

    @Test
    void roundTripsEnvelopeAndRawTailFedOneByteAtATime() {
        byte[] records = "batch-bytes-of-a-partition".getBytes(StandardCharsets.US_ASCII);
        ByteBuf bytes = wire(new OutboundFrame(produce(42)).add(Unpooled.wrappedBuffer(records)));
        assertThat(bytes.getInt(0)).isEqualTo(bytes.readableBytes() - 4);

        EmbeddedChannel in = new EmbeddedChannel(new FrameDecoder<>(Request.parser(), MAX));
        while (bytes.isReadable()) {
            in.writeInbound(bytes.readRetainedSlice(1));
            if (bytes.isReadable()) {
                Object none = in.readInbound();
                assertThat(none).isNull();
            }
        }
        bytes.release();
        InboundFrame<Request> frame = in.readInbound();
        try {
            assertThat(frame.message()).isEqualTo(produce(42));
            assertThat(frame.raw().toString(StandardCharsets.US_ASCII)).isEqualTo(new String(records, StandardCharsets.US_ASCII));
        } finally {
            frame.release();
        }
        assertThat(in.finish()).isFalse();
    }

    @Test
    void decodesSeveralFramesFromOneRead() {
        ByteBuf a = wire(new OutboundFrame(produce(1)));
        ByteBuf b = wire(new OutboundFrame(produce(2)).add(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
        EmbeddedChannel in = new EmbeddedChannel(new FrameDecoder<>(Request.parser(), MAX));
        in.writeInbound(Unpooled.wrappedBuffer(a, b));
        InboundFrame<Request> first = in.readInbound();
        InboundFrame<Request> second = in.readInbound();
        assertThat(first.message().getCorrelationId()).isEqualTo(1);
        assertThat(first.raw().readableBytes()).isZero();
        assertThat(second.message().getCorrelationId()).isEqualTo(2);
        assertThat(second.raw().readableBytes()).isEqualTo(3);
        first.release();
        second.release();
        in.finishAndReleaseAll();
    }

    @Test
    void refusesAnOversizedFrameBeforeBufferingIt() {
        EmbeddedChannel in = new EmbeddedChannel(new FrameDecoder<>(Request.parser(), 1024));
        ByteBuf header = Unpooled.buffer().writeInt(1 << 30).writeInt(10);
        assertThatThrownBy(() -> in.writeInbound(header)).isInstanceOf(TooLongFrameException.class)
                .hasMessageContaining("exceeds 1024");
        in.finishAndReleaseAll();
    }

    @Test
    void refusesInconsistentAndNegativeLengths() {
        assertCorrupt(Unpooled.buffer().writeInt(2).writeShort(0), "no room");
        assertCorrupt(Unpooled.buffer().writeInt(8).writeInt(100).writeInt(0), "does not fit");
        assertCorrupt(Unpooled.buffer().writeInt(8).writeInt(-1).writeInt(0), "does not fit");
        // Lengths are unsigned: a "negative" one is a length over any limit.
        EmbeddedChannel in = new EmbeddedChannel(new FrameDecoder<>(Request.parser(), MAX));
        assertThatThrownBy(() -> in.writeInbound(Unpooled.buffer().writeInt(-5).writeInt(0)))
                .isInstanceOf(TooLongFrameException.class);
        in.finishAndReleaseAll();
    }

    @Test
    void refusesAnEnvelopeThatDoesNotParse() {
        byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
        ByteBuf frame = Unpooled.buffer().writeInt(4 + garbage.length).writeInt(garbage.length).writeBytes(garbage);
        assertCorrupt(frame, "does not parse");
    }

    @Test
    void keepsFileRegionsAsFileRegionsAndReleasesTheFrame() throws IOException {
        Path file = tmp.resolve("segment");
        Files.write(file, new byte[4096]);
        RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r");
        FileRegion region = new DefaultFileRegion(raf.getChannel(), 100, 1000);
        OutboundFrame frame = new OutboundFrame(Response.newBuilder().setCorrelationId(9).build()).add(region);
        EmbeddedChannel out = new EmbeddedChannel(new FrameEncoder());
        out.writeOutbound(frame);
        ByteBuf header = out.readOutbound();
        Object second = out.readOutbound();
        assertThat(second).isSameAs(region);
        assertThat(header.getInt(0)).isEqualTo(4 + header.getInt(4) + 1000);
        assertThat(frame.refCnt()).isZero();
        assertThat(region.refCnt()).isEqualTo(1); // handed on to the transport, which releases it after sending
        header.release();
        region.release();
        out.finishAndReleaseAll();
    }

    @Test
    void unsentFrameReleasesItsParts() {
        ByteBuf part = Unpooled.directBuffer(16).writeLong(1);
        OutboundFrame frame = new OutboundFrame(FetchRequest.getDefaultInstance()).add(part);
        frame.release();
        assertThat(part.refCnt()).isZero();
    }

    private static void assertCorrupt(ByteBuf bytes, String message) {
        EmbeddedChannel in = new EmbeddedChannel(new FrameDecoder<>(Request.parser(), MAX));
        assertThatThrownBy(() -> in.writeInbound(bytes)).isInstanceOf(DecoderException.class).hasMessageContaining(message);
        in.finishAndReleaseAll();
    }
}
