package io.sluice.broker.metrics;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.broker.fetch.LogSliceRegion;
import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.network.TrafficCounter;
import io.sluice.broker.partition.PartitionTraffic;
import io.sluice.broker.testing.ManualClock;
import io.sluice.proto.TopicPartition;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zero-copy share on {@code /metrics} (file-region bytes at the socket over payload queued by fetches) is a
 * measurement, not a constant: a handler that copies fetched regions into buffers on the way to the socket makes it
 * fall, and the queued payload still counts every byte.
 */
class ZeroCopyShareTest {
    private static final TopicPartition TP = new TopicPartition("zc", 0);

    @TempDir
    Path tmp;
    Log log;
    SimpleMeterRegistry registry;
    PartitionTraffic traffic;

    @BeforeEach
    void setUp() {
        log = Log.open(TP, tmp.resolve(TP.dirName()), LogConfig.DEFAULT.withSegmentBytes(1 << 20).withPrefillBytes(0),
                new ManualClock(0), Runnable::run, false, 0);
        for (int i = 0; i < 20; i++) {
            log.appendAsLeader(batch(log.logEndOffset(), 4, 500, 0), 1);
        }
        registry = new SimpleMeterRegistry();
        traffic = new PartitionMetrics(registry).trafficOf(TP);
    }

    @AfterEach
    void tearDown() {
        log.close();
    }

    @Test
    void regionsThatReachTheSocketCountAsZeroCopy() {
        EmbeddedChannel channel = new EmbeddedChannel(new TrafficCounter());
        long bytes = sendWholeLog(channel);
        assertThat(queued()).isEqualTo(bytes);
        assertThat(sent("file_region")).isEqualTo(bytes);
        assertThat(sent("file_region") / queued()).isEqualTo(1.0);
        channel.finishAndReleaseAll();
    }

    @Test
    void aHandlerThatCopiesRegionsIntoBuffersShowsAsAFallingShare() {
        // Outbound writes pass the copier first (added last, nearer the tail), then the counter at the socket.
        EmbeddedChannel channel = new EmbeddedChannel(new TrafficCounter(), new RegionCopier());
        long bytes = sendWholeLog(channel);
        assertThat(queued()).isEqualTo(bytes);
        assertThat(sent("file_region")).isZero();
        assertThat(sent("file_region") / queued()).isLessThan(0.99);
        channel.finishAndReleaseAll();
    }

    private long sendWholeLog(EmbeddedChannel channel) {
        LogSliceRegion region = new LogSliceRegion(log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE), traffic, false);
        long bytes = region.count();
        assertThat(bytes).isPositive();
        channel.writeOutbound(region);
        return bytes;
    }

    private double queued() {
        return registry.get("sluice.fetch.payload.queued").tag("path", "consumer").counter().count();
    }

    private double sent(String mode) {
        return registry.get("sluice.fetch.payload").tag("path", "consumer").tag("mode", mode).counter().count();
    }

    /** What a TLS-like path does: reads the region's bytes into a buffer and sends that instead. */
    private static final class RegionCopier extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof FileRegion region) {
                ByteArrayOutputStream copy = new ByteArrayOutputStream();
                var target = Channels.newChannel(copy);
                while (region.transferred() < region.count()) {
                    region.transferTo(target, region.transferred());
                }
                region.release();
                ByteBuf buf = Unpooled.wrappedBuffer(copy.toByteArray());
                ctx.write(buf, promise);
            } else {
                ctx.write(msg, promise);
            }
        }
    }
}
