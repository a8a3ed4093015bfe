package io.sluice.broker.controller;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.sluice.client.network.OffLoopResolverGroup;
import io.sluice.client.network.Transport;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Asks whether a broker's listener is gone: a TCP connect to it. A refused connect (nothing listens on the port: the
 * process died or is stopping) is the only "yes"; a timeout or any other error (a network that drops packets, an
 * unreachable host) is "no", since the broker may well be alive behind it. An accepted connect is held open for a
 * while: a process being killed may still have its listening socket when its heartbeat connection has already
 * closed (the kernel closes a dead process's sockets one after the other), and then the connect is accepted into the
 * backlog and reset a moment later; a reset held connection is followed by one more connect, whose refusal counts.
 * A live broker leaves the held connection alone, and it is closed after the hold.
 *
 * <p>The active controller asks when a broker's heartbeat connection closes: a killed broker's partitions then move
 * at once instead of after the connection-lost grace, while a broker that merely lost its connection keeps the grace
 * to heartbeat again. Kafka waits for {@code broker.session.timeout.ms} in both cases.
 *
 * <p>Thread-safety: stateless; {@link #refuses} never blocks (the connects run on {@code transport}'s event loops).
 */
final class ListenerProbe {
    private final Transport transport;
    private final int connectTimeoutMs;
    private final long holdMs;

    /** @param holdMs how long an accepted connection is held open, watching for the peer to reset it */
    ListenerProbe(Transport transport, int connectTimeoutMs, long holdMs) {
        this.transport = transport;
        this.connectTimeoutMs = connectTimeoutMs;
        this.holdMs = holdMs;
    }

    /** Completes with whether {@code host:port} refused a connection; never completes exceptionally. */
    CompletableFuture<Boolean> refuses(String host, int port) {
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        connect(host, port, answer, true);
        return answer;
    }

    private void connect(String host, int port, CompletableFuture<Boolean> answer, boolean hold) {
        ChannelFuture connect;
        try {
            connect = new Bootstrap().group(transport.group()).channel(transport.channelClass())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMs)
                    .resolver(OffLoopResolverGroup.SHARED) // runs on the client event loops: no lookup here
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(InetSocketAddress.createUnresolved(host, port));
        } catch (RuntimeException e) {
            answer.complete(false);
            return;
        }
        connect.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                answer.complete(isRefusal(f.cause()));
                return;
            }
            Channel channel = f.channel();
            if (!hold) {
                answer.complete(false);
                channel.close();
                return;
            }
            channel.closeFuture().addListener(closed -> {
                if (!answer.isDone()) {
                    connect(host, port, answer, false); // reset by the peer within the hold: ask once more
                }
            });
            channel.eventLoop().schedule(() -> {
                answer.complete(false);
                channel.close();
            }, holdMs, TimeUnit.MILLISECONDS);
        });
    }

    static boolean isRefusal(Throwable cause) {
        // Netty's epoll transport and the JDK both say "Connection refused" for ECONNREFUSED; a connect timeout is a
        // ConnectException too, and means nothing here.
        return cause instanceof ConnectException && !(cause instanceof ConnectTimeoutException)
                && cause.getMessage() != null && cause.getMessage().toLowerCase(Locale.ROOT).contains("refused");
    }
}
