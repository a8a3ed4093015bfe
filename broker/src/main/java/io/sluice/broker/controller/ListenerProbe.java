package io.sluice.broker.controller;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.sluice.client.network.Transport;
import java.net.ConnectException;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Asks whether a broker's listener is gone: one TCP connect to it, closed at once. A refused connect (nothing listens
 * on the port: the process died or is stopping) is the only "yes"; an accepted connect, a timeout or any other error
 * (a network that drops packets, an unreachable host) is "no", since the broker may well be alive behind it.
 *
 * <p>The active controller asks when a broker's heartbeat connection closes: a killed broker's partitions then move
 * at once instead of after the connection-lost grace, while a broker that merely lost its connection keeps the grace
 * to heartbeat again. Kafka waits for {@code broker.session.timeout.ms} in both cases.
 *
 * <p>Thread-safety: stateless; {@link #refuses} never blocks (the connect runs on {@code transport}'s event loops).
 */
final class ListenerProbe {
    private final Transport transport;
    private final int connectTimeoutMs;

    ListenerProbe(Transport transport, int connectTimeoutMs) {
        this.transport = transport;
        this.connectTimeoutMs = connectTimeoutMs;
    }

    /** Completes with whether {@code host:port} refused a connection; never completes exceptionally. */
    CompletableFuture<Boolean> refuses(String host, int port) {
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        ChannelFuture connect;
        try {
            connect = new Bootstrap().group(transport.group()).channel(transport.channelClass())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMs)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(host, port);
        } catch (RuntimeException e) {
            answer.complete(false);
            return answer;
        }
        connect.addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                f.channel().close();
                answer.complete(false);
            } else {
                answer.complete(isRefusal(f.cause()));
            }
        });
        return answer;
    }

    static boolean isRefusal(Throwable cause) {
        // Netty's epoll transport and the JDK both say "Connection refused" for ECONNREFUSED; a connect timeout is a
        // ConnectException too, and means nothing here.
        return cause instanceof ConnectException && !(cause instanceof ConnectTimeoutException)
                && cause.getMessage() != null && cause.getMessage().toLowerCase(Locale.ROOT).contains("refused");
    }
}
