package io.sluice.broker.server;

import io.netty.util.HashedWheelTimer;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.sluice.broker.controller.BrokerLifecycle;
import io.sluice.broker.controller.QuorumConfig;
import io.sluice.broker.controller.QuorumMetadataStore;
import io.sluice.broker.group.GroupCoordinator;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.log.LogManager;
import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metrics.BrokerMetrics;
import io.sluice.broker.metrics.ControllerMetrics;
import io.sluice.broker.metrics.MetricsServer;
import io.sluice.broker.metrics.NetworkMetrics;
import io.sluice.broker.metrics.ReplicaMetrics;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.SocketServer;
import io.sluice.broker.network.TrafficCounter;
import io.sluice.broker.partition.ControllerIsrChangeSender;
import io.sluice.broker.partition.IsrChangeSender;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.broker.partition.ReplicationConfig;
import io.sluice.broker.replication.FetcherSettings;
import io.sluice.broker.replication.ReplicaFetcherManager;
import io.sluice.broker.producer.ProducerIdManager;
import io.sluice.broker.producer.ProducerStateStore;
import io.sluice.broker.request.RequestDispatcher;
import io.sluice.broker.request.RequestHandlers;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One broker: storage, metadata, partitions, request handling and the listener, started in that order and
 * stopped in the reverse one. {@link #close()} is the graceful shutdown of SIGTERM: stop accepting, answer
 * what is in flight, flush the logs and leave the clean-shutdown marker.
 *
 * <p>The metrics registry is created first and closed last; {@code /metrics} is served from just after the
 * listener is bound until the shutdown begins.
 *
 * <p>The listener is bound before the metadata is opened, so that a broker started on port 0 registers the
 * port it really has; requests that arrive before it is ready are answered {@code BROKER_NOT_AVAILABLE}.
 *
 * <p>Thread-safety: started by one thread; {@link #close()} may be called from any thread, once is enough.
 */
public final class SluiceBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SluiceBroker.class);

    private final BrokerConfig config;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** What {@link #close()} stops, in reverse order of starting. */
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private LogManager logManager;
    private ReplicaManager replicas;
    private ReplicaFetcherManager fetchers;
    private ThreadPoolExecutor handlerPool;
    private SocketServer server;
    private BrokerStore store;
    private QuorumMetadataStore metadata;
    private BrokerLifecycle lifecycle;
    private GroupCoordinator groups;
    private volatile RequestDispatcher dispatcher;
    private ScheduledExecutorService maintenance;
    private BrokerMetrics metrics;
    private MetricsServer metricsServer;
    private int boundPort;

    /** Segment size of {@code __consumer_offsets}: Kafka's {@code offsets.topic.segment.bytes}. */
    private static final int OFFSETS_SEGMENT_BYTES = 100 << 20;

    /** How long a starting broker waits for the controller quorum to elect a leader (a majority of voters up). */
    private static final Duration QUORUM_READY_TIMEOUT = Duration.ofSeconds(60);

    /** The pause after a failed AlterPartition before the leader proposes that partition's ISR again. */
    private static final long ISR_CHANGE_RETRY_MS = 1_000;

    /** How often producer state is snapshotted, bounding what a restart after a crash replays. */
    private static final long PRODUCER_SNAPSHOT_INTERVAL_MS = 60_000;

    private SluiceBroker(BrokerConfig config) {
        this.config = config;
    }

    /** Starts a broker; on failure everything already started is stopped again. */
    public static SluiceBroker start(BrokerConfig config) {
        SluiceBroker broker = new SluiceBroker(config);
        try {
            broker.startAll();
            return broker;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            broker.close();
            throw new IllegalStateException("interrupted while starting", e);
        } catch (RuntimeException | Error e) {
            broker.close();
            throw e;
        }
    }

    /**
     * Starts everything. {@link #close()} pops {@code started}, so what is pushed last stops first: the
     * maintenance tasks, the metrics server, then the handler threads (they finish what they run), the group
     * coordinator, the replica fetchers, the metadata, the parked requests (answered while the connections are
     * still open), the listener and its connections, a last producer-state snapshot, the timer, the store, the
     * logs (flush, clean marker), and the metrics registry.
     */
    private void startAll() throws InterruptedException {
        metrics = new BrokerMetrics();
        started.push(metrics);
        logManager = new LogManager(config.logDirs(), config.logConfig(), Clock.SYSTEM,
                config.getLong(BrokerConfig.LOG_FLUSH_SCHEDULER_INTERVAL_MS),
                config.getLong(BrokerConfig.LOG_FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS),
                config.getLong(BrokerConfig.LOG_RETENTION_CHECK_INTERVAL_MS));
        started.push(logManager);
        store = BrokerStore.open(BrokerStore.dirIn(config.logDirs().get(0)));
        started.push(store);
        HashedWheelTimer timer = new HashedWheelTimer(new DefaultThreadFactory("sluice-purgatory", true), 10, TimeUnit.MILLISECONDS);
        started.push(timer::stop);
        // The replica manager is built once the metadata is ready (its ISR changes go to the controller).
        started.push(() -> {
            if (replicas != null) {
                replicas.snapshotProducerStates();
            }
        });

        int ioThreads = config.getInt(BrokerConfig.NUM_IO_THREADS);
        // Each connection has at most one drain task queued at a time, so the queue is bounded by the connections.
        handlerPool = new ThreadPoolExecutor(ioThreads, ioThreads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(100_000), new DefaultThreadFactory("sluice-handler", true));
        server = new SocketServer(config.host(), config.port(), config.getInt(BrokerConfig.NUM_NETWORK_THREADS),
                config.getInt(BrokerConfig.SOCKET_REQUEST_MAX_BYTES),
                config.getInt(BrokerConfig.QUEUED_MAX_REQUESTS_PER_CONNECTION),
                config.getInt(BrokerConfig.SOCKET_SEND_BUFFER_BYTES), this::handle, metrics.requests(), handlerPool);
        started.push(server);
        metrics.bind(new NetworkMetrics(server));
        started.push(() -> {
            if (replicas != null) {
                replicas.completeAllDelayed();
            }
        });
        started.push(() -> {
            if (metadata != null) {
                metadata.close();
            }
        });
        // The replica fetchers stop before the metadata they find their leaders in.
        started.push(() -> {
            if (fetchers != null) {
                fetchers.close();
            }
        });
        started.push(() -> {
            if (groups != null) {
                groups.close();
            }
        });
        started.push(this::stopHandlers);
        boundPort = server.start();
        // Right after the listener, before the quorum and the listeners start serving; stopped first.
        metricsServer = new MetricsServer(config.host(), config.metricsPort(), metrics::scrape);
        started.push(metricsServer);
        metricsServer.start();

        metadata = QuorumMetadataStore.start(QuorumConfig.from(config), store, Clock.SYSTEM);
        metrics.bind(new ControllerMetrics(metadata));
        metadata.awaitReady(QUORUM_READY_TIMEOUT);
        lifecycle = new BrokerLifecycle(new BrokerRecord(config.nodeId(), config.host(), boundPort), metadata,
                config.getLong(BrokerConfig.BROKER_HEARTBEAT_INTERVAL_MS));
        ReplicationConfig replication = new ReplicationConfig(config.getLong(BrokerConfig.REPLICA_LAG_TIME_MAX_MS),
                config.getInt(BrokerConfig.MIN_INSYNC_REPLICAS));
        // ISR changes go to the controller as AlterPartition, a single node's one-voter quorum too; the committed
        // change comes back through the metadata listener below.
        IsrChangeSender isrChanges = new ControllerIsrChangeSender(config.nodeId(), metadata, lifecycle::brokerEpoch,
                Clock.SYSTEM, ISR_CHANGE_RETRY_MS, p -> replicas.onHighWatermarkOrIsrChanged(p));
        replicas = new ReplicaManager(config.nodeId(), logManager, config.logConfig(), new ProducerStateStore(store),
                timer, metrics.partitions(), Clock.SYSTEM, isrChanges, replication);
        metrics.bind(new ReplicaMetrics(replicas));
        // The follower side, before the metadata replay: partitions led by other brokers are followed at once.
        fetchers = new ReplicaFetcherManager(config.nodeId(), this::brokerAddress, FetcherSettings.DEFAULT,
                Clock.SYSTEM);
        replicas.attachFetchers(fetchers);
        metadata.addListener(replicas).join();
        lifecycle.register();
        ProducerIdManager producerIds = new ProducerIdManager(metadata, ProducerIdManager.DEFAULT_BLOCK_SIZE);
        groups = startGroupCoordinator();

        maintenance = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("sluice-maintenance", true));
        started.push(maintenance::shutdownNow);
        maintenance.scheduleWithFixedDelay(this::snapshotProducerStates, PRODUCER_SNAPSHOT_INTERVAL_MS,
                PRODUCER_SNAPSHOT_INTERVAL_MS, TimeUnit.MILLISECONDS);

        dispatcher = RequestHandlers.dispatcher(new RequestHandlers.Context(config, replicas, metadata, producerIds,
                groups));
        started.push(lifecycle);
        lifecycle.start();
        log.info("broker {} of cluster {} serving {} partitions", config.nodeId(), metadata.clusterId(),
                replicas.partitions().size());
    }

    /**
     * Creates {@code __consumer_offsets} on first start, then brings the committed-offsets view of each of
     * its partitions this broker leads up to the log before any request is served.
     */
    private GroupCoordinator startGroupCoordinator() {
        String topic = GroupCoordinator.OFFSETS_TOPIC;
        // Asked at every start, even when the topic is known: the answer (created, or TOPIC_ALREADY_EXISTS when this
        // or another broker made it before) comes once this broker's listeners have opened its partitions.
        // Commits are small: small segments, little prefill. No retention: the view is rebuilt from the log.
        metadata.createInternalTopic(topic, config.getInt(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS), 1, Map.of(
                LogConfig.SEGMENT_BYTES, Integer.toString(OFFSETS_SEGMENT_BYTES),
                LogConfig.SEGMENT_PREFILL_BYTES, Integer.toString(1 << 20),
                LogConfig.RETENTION_MS, "-1")).exceptionally(e -> {
                    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (cause instanceof MetadataException m && m.errorCode() == ErrorCode.TOPIC_ALREADY_EXISTS) {
                        return null;
                    }
                    throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }).join();
        int partitions = metadata.topic(topic).orElseThrow().partitions();
        GroupCoordinator groups = new GroupCoordinator(new OffsetsTopicLog(replicas), store, partitions,
                GroupCoordinator.DEFAULT_MAX_METADATA_BYTES, Clock.SYSTEM);
        this.groups = groups;
        // The partitions this broker leads; the others are served by their leaders (COORDINATOR_NOT_AVAILABLE here).
        List<CompletableFuture<Void>> loads = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            if (metadata.partition(new TopicPartition(topic, p)).map(r -> r.leaderId() == config.nodeId()).orElse(false)) {
                loads.add(groups.load(p));
            }
        }
        CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new)).join();
        return groups;
    }

    /** A broker's listener as the controller has it registered (fenced or not), or null when unknown. */
    private InetSocketAddress brokerAddress(int nodeId) {
        for (BrokerRegistration b : metadata.registrations()) {
            if (b.nodeId() == nodeId) {
                return new InetSocketAddress(b.host(), b.port());
            }
        }
        return null;
    }

    private void snapshotProducerStates() {
        try {
            replicas.snapshotProducerStates();
        } catch (RuntimeException e) {
            log.warn("producer state snapshot failed; a restart will replay more of the logs", e);
        }
    }

    private void handle(RequestContext context, InboundFrame<Request> frame) {
        RequestDispatcher d = dispatcher;
        if (d == null) {
            frame.release();
            context.sendError(ErrorCode.BROKER_NOT_AVAILABLE, closed.get()
                    ? "the broker is shutting down; retry on another broker or after it restarts"
                    : "the broker is starting; retry shortly");
            return;
        }
        d.handle(context, frame);
    }

    public BrokerConfig config() {
        return config;
    }

    /** The port the listener is bound to (the configured one, or the one picked for port 0). */
    public int port() {
        return boundPort;
    }

    public String bootstrap() {
        return config.host() + ":" + boundPort;
    }

    public ReplicaManager replicaManager() {
        return replicas;
    }

    public MetadataStore metadata() {
        return metadata;
    }

    /** The port {@code /metrics} is served on (the configured one, or the one picked for port 0). */
    public int metricsPort() {
        return metricsServer.port();
    }

    /** The broker's meters. */
    public BrokerMetrics metrics() {
        return metrics;
    }

    /** What went out to the sockets, by kind (file regions vs buffers). */
    public TrafficCounter traffic() {
        return server.traffic();
    }

    private void stopHandlers() throws InterruptedException {
        handlerPool.shutdown();
        if (!handlerPool.awaitTermination(10, TimeUnit.SECONDS)) {
            log.warn("requests still running after 10 s; stopping anyway");
            handlerPool.shutdownNow();
        }
    }

    /**
     * Stops accepting, lets the handler threads finish what they run, answers parked requests, closes the
     * connections, then the metadata and the logs (flush and clean marker).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        log.info("shutting down");
        dispatcher = null;
        // The listener stops accepting first; then everything in reverse order of starting (see startAll).
        if (server != null) {
            server.stopAccepting();
        }
        while (!started.isEmpty()) {
            AutoCloseable c = started.pop();
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.warn("shutdown step {} failed", c, e);
            }
        }
        log.info("shut down cleanly");
    }
}
