package io.sluice.broker.fetch;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FileRegion;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.testing.ManualClock;
import io.sluice.proto.TopicPartition;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Log slices sent over a real socket as file regions: the bytes arrive, and the segment is given back. */
class LogSliceRegionTest {
    @TempDir
    Path tmp;
    Log log;
    EventLoopGroup group;

    @BeforeEach
    void fillLog() {
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(256 * 1024).withPrefillBytes(0);
        log = Log.open(new TopicPartition("t", 0), tmp.resolve("t-0"), config, new ManualClock(0), Runnable::run, false, 0);
        for (int i = 0; i < 400; i++) {
            log.appendAsLeader(batch(log.logEndOffset(), 4, 500, 0), 1);
        }
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterEach
    void close() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        log.close();
    }

    @Test
    void transferToCopiesExactlyTheSliceAndReleaseGivesTheSegmentBack() throws Exception {
        LogSlice slice = log.read(100, 50_000, Long.MAX_VALUE);
        ByteBuffer expected = slice.readAll();
        LogSliceRegion region = new LogSliceRegion(slice);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        var target = Channels.newChannel(out);
        while (region.transferred() < region.count()) {
            region.transferTo(target, region.transferred());
        }
        assertThat(ByteBuffer.wrap(out.toByteArray())).isEqualTo(expected);
        int before = refCount(slice);
        region.release();
        assertThat(refCount(slice)).isEqualTo(before - 1);
        assertThat(slice.channel().isOpen()).isTrue(); // the segment's channel is shared, never closed by a region
    }

    @Test
    void regionsGoOutOverASocketAsFileRegionsAndArriveIntact() throws Exception {
        AtomicLong regionBytes = new AtomicLong();
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        ServerBootstrap server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                            @Override
                            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                                if (msg instanceof FileRegion r) {
                                    regionBytes.addAndGet(r.count());
                                }
                                ctx.write(msg, promise);
                            }
                        });
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                accepted.complete(ctx.channel());
                            }
                        });
                    }
                });
        Channel listener = server.bind("127.0.0.1", 0).sync().channel();
        try (Socket client = new Socket()) {
            client.connect((InetSocketAddress) listener.localAddress());
            Channel ch = accepted.get(10, TimeUnit.SECONDS);
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            LogSlice first = null;
            ChannelFuture last = null;
            long offset = 0;
            while (offset < log.logEndOffset()) {
                LogSlice slice = log.read(offset, 64 * 1024, Long.MAX_VALUE);
                first = first == null ? slice : first;
                expected.write(slice.readAll().array());
                offset = nextOffset(slice);
                last = ch.writeAndFlush(new LogSliceRegion(slice));
            }
            int total = expected.size();
            InputStream in = client.getInputStream();
            byte[] received = in.readNBytes(total);
            assertThat(last.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(last.isSuccess()).isTrue();
            assertThat(received).isEqualTo(expected.toByteArray());
            assertThat(regionBytes.get()).isEqualTo(total);
            assertThat(refCount(first)).isEqualTo(1); // only the log holds the segment again
            ch.close().sync();
        } finally {
            listener.close().sync();
        }
    }

    private static long nextOffset(LogSlice slice) throws Exception {
        ByteBuffer bytes = slice.readAll();
        long next = slice.firstOffset();
        for (var b : io.sluice.proto.record.RecordBatches.of(bytes)) {
            next = b.nextOffset();
        }
        return next;
    }

    private static int refCount(LogSlice slice) {
        return slice.segment().refCount();
    }
}
