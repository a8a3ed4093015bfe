package io.sluice.client.network;

import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.InetNameResolver;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Resolves host names for Netty bootstraps on threads of its own, never on the thread that connects.
 *
 * <p>Netty's default resolver, like {@code new InetSocketAddress(host, port)}, runs the JDK's blocking lookup
 * on the connecting thread. That thread is often an event loop (the producer's sender, the controller's
 * listener probe), and a slow or unreachable DNS server would stall every channel of that loop for the
 * lookup's timeout, seconds at a time. Here the lookup runs on a lookup executor and completes the
 * bootstrap's promise, whose listeners Netty runs on the channel's event loop. IP literals are parsed in
 * place, without a lookup; the JDK's address cache ({@code networkaddress.cache.ttl}) still applies.
 *
 * <p>Bootstraps use it with {@code .resolver(OffLoopResolverGroup.SHARED)} and connect to
 * {@link InetSocketAddress#createUnresolved}, so that no lookup happens before Netty asks this group.
 *
 * <p>Thread-safety: shareable; Netty keeps one resolver per event loop.
 */
public final class OffLoopResolverGroup extends AddressResolverGroup<InetSocketAddress> {
    /** For every connection this JVM makes: four daemon lookup threads that end after 30 s idle. */
    public static final OffLoopResolverGroup SHARED = new OffLoopResolverGroup(lookupThreads(4), InetAddress::getAllByName);

    /** A blocking host-name lookup, {@link InetAddress#getAllByName} outside tests. */
    @FunctionalInterface
    public interface Lookup {
        InetAddress[] lookup(String host) throws UnknownHostException;
    }

    private final Executor lookups;
    private final Lookup lookup;

    /**
     * @param lookups the threads that run {@code lookup}; never an event loop
     */
    public OffLoopResolverGroup(Executor lookups, Lookup lookup) {
        this.lookups = lookups;
        this.lookup = lookup;
    }

    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new Resolver(executor).asAddressResolver();
    }

    private static Executor lookupThreads(int threads) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), new DefaultThreadFactory("sluice-resolver", true));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private final class Resolver extends InetNameResolver {
        Resolver(EventExecutor executor) {
            super(executor);
        }

        @Override
        protected void doResolve(String host, Promise<InetAddress> promise) {
            resolve(host, promise, addresses -> addresses[0]);
        }

        @Override
        protected void doResolveAll(String host, Promise<List<InetAddress>> promise) {
            resolve(host, promise, Arrays::asList);
        }

        private <T> void resolve(String host, Promise<T> promise, Function<InetAddress[], T> answer) {
            InetAddress literal = NetUtil.createInetAddressFromIpAddressString(host);
            if (literal != null) {
                promise.setSuccess(answer.apply(new InetAddress[] {literal}));
                return;
            }
            try {
                lookups.execute(() -> {
                    try {
                        promise.trySuccess(answer.apply(lookup.lookup(host)));
                    } catch (UnknownHostException | RuntimeException e) {
                        promise.tryFailure(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                promise.tryFailure(new UnknownHostException(host + ": no thread to look it up (" + e.getMessage() + ")"));
            }
        }
    }
}
