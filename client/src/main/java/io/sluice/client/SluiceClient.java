package io.sluice.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.sluice.client.errors.BrokerUnavailableException;
import io.sluice.client.errors.Errors;
import io.sluice.client.errors.SluiceException;
import io.sluice.client.errors.UnknownTopicException;
import io.sluice.client.metadata.Cluster;
import io.sluice.client.metadata.Node;
import io.sluice.client.network.BrokerConnection;
import io.sluice.client.network.Transport;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.MetadataRequest;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The shared core of the producer, consumer and admin: bootstrap brokers, a metadata cache, one multiplexed
 * {@link BrokerConnection} per broker, retries with backoff, timeouts on everything.
 *
 * <p>Every connection of a client lives on one event loop ({@link #eventLoop()}), so responses, retries and the
 * producer's sender all run on that one thread and need no locks. Public methods may be called from any thread;
 * the metadata snapshot is published through a volatile, the connection map is concurrent.
 */
public final class SluiceClient implements AutoCloseable {
    private final ClientConfig config;
    private final Transport transport;
    private final EventLoop loop;
    private final Map<String, CompletableFuture<BrokerConnection>> connections = new ConcurrentHashMap<>();
    private final Set<String> interest = ConcurrentHashMap.newKeySet();
    private final AtomicInteger roundRobin = new AtomicInteger();
    private volatile Cluster cluster = Cluster.empty();
    private volatile boolean closed;

    // Event-loop confined: the coalesced background metadata refresh.
    private CompletableFuture<Cluster> refreshing;
    private long lastRefreshNanos;

    public SluiceClient(ClientConfig config) {
        this.config = config;
        this.loop = config.transport().group().next();
        this.transport = new Transport(loop, config.transport().channelClass());
    }

    /** A client with default settings for {@code bootstrapServers} ("host:port,..."). */
    public static SluiceClient create(String bootstrapServers) {
        return new SluiceClient(ClientConfig.of(bootstrapServers));
    }

    public ClientConfig config() {
        return config;
    }

    /** The one event loop every connection, callback and retry of this client runs on. */
    public EventLoop eventLoop() {
        return loop;
    }

    /** The latest metadata snapshot (possibly empty or stale). */
    public Cluster cluster() {
        return cluster;
    }

    public boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------------ connections

    /** The connection to {@code node}, connecting (again) when there is none or it was lost. */
    public CompletableFuture<BrokerConnection> connection(Node node) {
        if (closed) {
            return CompletableFuture.failedFuture(new BrokerUnavailableException("the client is closed"));
        }
        return connections.compute(node.address(), (address, existing) -> usable(existing) ? existing
                : BrokerConnection.connect(transport, node.host(), node.port(), config.connection()));
    }

    /**
     * The connection to broker {@code nodeId} if it is established and active; otherwise null, after starting to
     * connect. For the producer's sender, which must not wait.
     */
    public BrokerConnection readyConnection(int nodeId) {
        Node node = cluster.node(nodeId);
        if (node == null) {
            return null;
        }
        CompletableFuture<BrokerConnection> f = connection(node);
        if (f.isDone() && !f.isCompletedExceptionally()) {
            BrokerConnection c = f.join();
            return c.isActive() ? c : null;
        }
        return null;
    }

    private static boolean usable(CompletableFuture<BrokerConnection> f) {
        if (f == null) {
            return false;
        }
        if (!f.isDone()) {
            return true;
        }
        return !f.isCompletedExceptionally() && f.join().isActive();
    }

    // ------------------------------------------------------------------ requests

    /**
     * Sends to {@code node} and completes with the response frame (the caller releases it). A request-level error
     * in the response fails the future with the {@link SluiceException} of its code. Takes ownership of the tail.
     */
    public CompletableFuture<InboundFrame<Response>> send(Node node, Request.Builder request, long timeoutMs,
                                                          ByteBuf... tail) {
        CompletableFuture<InboundFrame<Response>> result = new CompletableFuture<>();
        connection(node).whenComplete((conn, err) -> {
            if (err != null) {
                for (ByteBuf b : tail) {
                    ReferenceCountUtil.safeRelease(b);
                }
                result.completeExceptionally(Errors.unwrap(err));
                return;
            }
            conn.send(request, timeoutMs, tail).whenComplete((frame, e) -> complete(result, node, frame, e));
        });
        return result;
    }

    /** Sends to the broker with id {@code nodeId}; fails with a retriable error when metadata does not know it. */
    public CompletableFuture<InboundFrame<Response>> send(int nodeId, Request.Builder request, long timeoutMs,
                                                          ByteBuf... tail) {
        Node node = cluster.node(nodeId);
        if (node == null) {
            for (ByteBuf b : tail) {
                ReferenceCountUtil.safeRelease(b);
            }
            return CompletableFuture.failedFuture(new BrokerUnavailableException("broker " + nodeId + " is not in the metadata"));
        }
        return send(node, request, timeoutMs, tail);
    }

    /** Sends to any broker: the known ones in turn, or the bootstrap list before metadata names any. */
    public CompletableFuture<InboundFrame<Response>> sendAny(Request.Builder request, long timeoutMs) {
        return send(anyNode(), request, timeoutMs);
    }

    /** A broker to ask: connected ones first, in turn. */
    public Node anyNode() {
        List<Node> candidates = new ArrayList<>(cluster.nodes());
        if (candidates.isEmpty()) {
            candidates.addAll(config.bootstrap());
        }
        int start = Math.floorMod(roundRobin.getAndIncrement(), candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            Node n = candidates.get((start + i) % candidates.size());
            CompletableFuture<BrokerConnection> f = connections.get(n.address());
            if (f != null && f.isDone() && !f.isCompletedExceptionally() && f.join().isActive()) {
                return n;
            }
        }
        return candidates.get(start);
    }

    private static void complete(CompletableFuture<InboundFrame<Response>> result, Node node,
                                 InboundFrame<Response> frame, Throwable err) {
        if (err != null) {
            result.completeExceptionally(Errors.unwrap(err));
            return;
        }
        Response response = frame.message();
        if (response.getErrorCode() != ErrorCode.NONE) {
            frame.release();
            result.completeExceptionally(Errors.of(response.getErrorCode(), "request to " + node,
                    response.getErrorMessage()));
            return;
        }
        if (!result.complete(frame)) {
            frame.release();
        }
    }

    /**
     * Runs {@code attempt} until it succeeds, fails with an error that is not retriable, or {@code timeoutMs} has
     * passed; waits {@code retry.backoff.ms} between tries and refreshes metadata after errors that call for it.
     */
    public <T> CompletableFuture<T> withRetries(long timeoutMs, Supplier<CompletableFuture<T>> attempt) {
        CompletableFuture<T> result = new CompletableFuture<>();
        tryOnce(result, attempt, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
        return result;
    }

    private <T> void tryOnce(CompletableFuture<T> result, Supplier<CompletableFuture<T>> attempt, long deadline) {
        CompletableFuture<T> f;
        try {
            f = attempt.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((value, err) -> {
            if (err == null) {
                result.complete(value);
                return;
            }
            Throwable cause = Errors.unwrap(err);
            long backoffNanos = TimeUnit.MILLISECONDS.toNanos(config.retryBackoffMs());
            if (closed || !Errors.isRetriable(cause) || deadline - System.nanoTime() <= backoffNanos) {
                result.completeExceptionally(cause);
                return;
            }
            if (cause instanceof SluiceException se && Errors.needsMetadataRefresh(se.errorCode())) {
                requestMetadataUpdate();
            }
            try {
                loop.schedule(() -> tryOnce(result, attempt, deadline), config.retryBackoffMs(), TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                result.completeExceptionally(cause);
            }
        });
    }

    // ------------------------------------------------------------------ metadata

    /** Topics whose metadata background refreshes keep current. */
    public void addTopicInterest(Collection<String> topics) {
        interest.addAll(topics);
    }

    /** Asks a broker once for metadata of {@code topics} (all topics when {@code allTopics}) and caches the answer. */
    public CompletableFuture<Cluster> fetchMetadata(Collection<String> topics, boolean allTopics) {
        Request.Builder request = Request.newBuilder().setMetadata(
                MetadataRequest.newBuilder().addAllTopics(topics).setAllTopics(allTopics && topics.isEmpty()));
        return sendAny(request, config.requestTimeoutMs()).thenApply(frame -> {
            try {
                return apply(frame.message(), allTopics && topics.isEmpty());
            } finally {
                frame.release();
            }
        });
    }

    private synchronized Cluster apply(Response response, boolean allTopics) {
        if (!response.hasMetadata()) {
            throw Errors.of(ErrorCode.UNKNOWN_SERVER_ERROR, "a Metadata request was answered with " + response.getBodyCase());
        }
        cluster = cluster.update(response.getMetadata(), allTopics);
        return cluster;
    }

    /**
     * Metadata in which every topic of {@code topics} is known, fetching (with retries) until it is or
     * {@code timeoutMs} passes; fails with {@link UnknownTopicException} naming the missing topics.
     */
    public CompletableFuture<Cluster> awaitTopics(Collection<String> topics, long timeoutMs) {
        addTopicInterest(topics);
        Cluster current = cluster;
        if (topics.stream().allMatch(current::hasTopic)) {
            return CompletableFuture.completedFuture(current);
        }
        return withRetries(timeoutMs, () -> fetchMetadata(topics, false).thenApply(c -> {
            List<String> missing = topics.stream().filter(t -> !c.hasTopic(t)).toList();
            if (!missing.isEmpty()) {
                ErrorCode code = c.topicError(missing.get(0));
                if (code != null && code != ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
                    throw Errors.of(code, "metadata for topic " + missing.get(0), "");
                }
                throw new UnknownTopicException("unknown topic(s) " + missing);
            }
            return c;
        }));
    }

    /**
     * Refreshes metadata of the topics of interest in the background: at most one refresh at a time, at most one
     * every {@code retry.backoff.ms}. Returns the refresh's future.
     */
    public CompletableFuture<Cluster> requestMetadataUpdate() {
        CompletableFuture<Cluster> result = new CompletableFuture<>();
        loop.execute(() -> {
            if (refreshing != null) {
                refreshing.whenComplete((c, e) -> result.complete(cluster));
                return;
            }
            long waitNanos = lastRefreshNanos + TimeUnit.MILLISECONDS.toNanos(config.retryBackoffMs()) - System.nanoTime();
            CompletableFuture<Cluster> r = new CompletableFuture<>();
            refreshing = r;
            r.whenComplete((c, e) -> result.complete(cluster));
            Runnable run = () -> {
                lastRefreshNanos = System.nanoTime();
                List<String> topics = List.copyOf(interest);
                CompletableFuture<Cluster> f = topics.isEmpty()
                        ? fetchMetadata(List.of(), false) : fetchMetadata(topics, false);
                f.whenComplete((c, e) -> loop.execute(() -> {
                    refreshing = null;
                    r.complete(cluster);
                }));
            };
            if (waitNanos > 0 && lastRefreshNanos != 0) {
                loop.schedule(run, waitNanos, TimeUnit.NANOSECONDS);
            } else {
                run.run();
            }
        });
        return result;
    }

    @Override
    public void close() {
        closed = true;
        for (CompletableFuture<BrokerConnection> f : connections.values()) {
            f.thenAccept(BrokerConnection::close);
        }
        connections.clear();
    }

    @Override
    public String toString() {
        return "SluiceClient(" + config.clientId() + ", " + cluster + ")";
    }
}
