package io.sluice.client.network;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Objects;

/**
 * An event loop group and the socket channel class that goes with it: native epoll where
 * {@link Epoll#isAvailable()}, NIO otherwise. {@link #shared()} is one process-wide group of daemon threads
 * ({@code sluice.client.io.threads}, default 1) that every client shares unless given its own; the broker passes
 * its own loops through {@link #Transport(EventLoopGroup, Class)}.
 *
 * <p>Immutable; the shared instance is created once, lazily, and never shut down (its threads are daemons).
 */
public record Transport(EventLoopGroup group, Class<? extends SocketChannel> channelClass) {

    public Transport {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(channelClass, "channelClass");
    }

    private static final class Shared {
        static final Transport INSTANCE = create(Integer.getInteger("sluice.client.io.threads", 1), "sluice-client-io");
    }

    /** The process-wide client transport. */
    public static Transport shared() {
        return Shared.INSTANCE;
    }

    /** A new group of {@code threads} daemon threads named {@code name-N}; the caller shuts it down. */
    public static Transport create(int threads, String name) {
        DefaultThreadFactory threadFactory = new DefaultThreadFactory(name, true);
        if (Epoll.isAvailable()) {
            return new Transport(new MultiThreadIoEventLoopGroup(threads, threadFactory, EpollIoHandler.newFactory()),
                    EpollSocketChannel.class);
        }
        return new Transport(new MultiThreadIoEventLoopGroup(threads, threadFactory, NioIoHandler.newFactory()),
                NioSocketChannel.class);
    }

    /** True when this transport uses native epoll. */
    public boolean isNative() {
        return channelClass == EpollSocketChannel.class;
    }
}
