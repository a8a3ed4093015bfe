package io.sluice.client.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OffLoopResolverGroupTest {
    private final List<String> lookedUp = new CopyOnWriteArrayList<>();
    /** Holds the slow lookup; always released at the end, so a lookup stuck on the loop cannot hang the teardown. */
    private final CountDownLatch dnsAnswers = new CountDownLatch(1);
    private EventLoopGroup loop;
    private ExecutorService lookupThread;
    private ServerSocket listener;

    @BeforeEach
    void setUp() throws IOException {
        loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        lookupThread = Executors.newSingleThreadExecutor();
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void tearDown() throws IOException {
        dnsAnswers.countDown();
        listener.close();
        lookupThread.shutdownNow();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private ChannelFuture connect(OffLoopResolverGroup resolver, String host) {
        return new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .resolver(resolver)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(InetSocketAddress.createUnresolved(host, listener.getLocalPort()));
    }

    @Test
    void aSlowLookupLeavesTheEventLoopFreeAndTheConnectFollowsIt() throws Exception {
        OffLoopResolverGroup resolver = new OffLoopResolverGroup(lookupThread, host -> {
            lookedUp.add(host);
            try {
                dnsAnswers.await();
            } catch (InterruptedException e) {
                throw new UnknownHostException(host + ": interrupted");
            }
            return new InetAddress[] {InetAddress.getLoopbackAddress()};
        });

        ChannelFuture connect = connect(resolver, "broker-1.example");

        // While the lookup hangs, the loop that asked for it runs other work at once.
        assertThat(loop.next().submit(() -> "served").get(2, TimeUnit.SECONDS)).isEqualTo("served");
        assertThat(connect.isDone()).isFalse();
        dnsAnswers.countDown();
        assertThat(connect.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(connect.isSuccess()).as("%s", connect.cause()).isTrue();
        assertThat(lookedUp).containsExactly("broker-1.example");
        connect.channel().close().syncUninterruptibly();
    }

    @Test
    void anUnknownHostFailsTheConnectWithTheLookupsError() throws Exception {
        OffLoopResolverGroup resolver = new OffLoopResolverGroup(lookupThread, host -> {
            throw new UnknownHostException(host + ": Name or service not known");
        });

        ChannelFuture connect = connect(resolver, "no-such-broker.example");

        assertThat(connect.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(connect.cause()).isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("no-such-broker.example");
    }

    @Test
    void anIpLiteralIsConnectedToWithoutALookup() throws Exception {
        OffLoopResolverGroup resolver = new OffLoopResolverGroup(lookupThread, host -> {
            lookedUp.add(host);
            throw new UnknownHostException(host);
        });

        ChannelFuture connect = connect(resolver, "127.0.0.1");

        assertThat(connect.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(connect.isSuccess()).as("%s", connect.cause()).isTrue();
        assertThat(lookedUp).isEmpty();
        connect.channel().close().syncUninterruptibly();
    }

    @Test
    void aBrokerConnectionToAHostNameConnects() throws Exception {
        // "localhost" comes from the hosts file, not from DNS: the shared resolver's real lookup, offline.
        BrokerConnection connection = BrokerConnection.connect(Transport.shared(), "localhost",
                listener.getLocalPort(), ConnectionConfig.defaults("resolver-test")).get(5, TimeUnit.SECONDS);
        try {
            assertThat(connection.isActive()).isTrue();
            assertThat(connection.address()).isEqualTo("localhost:" + listener.getLocalPort());
        } finally {
            connection.close();
        }
    }
}
