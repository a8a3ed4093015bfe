package io.sluice.broker.server;

import io.netty.util.HashedWheelTimer;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.sluice.broker.controller.BrokerLifecycle;
import io.sluice.broker.controller.LeaderBalanceConfig;
import io.sluice.broker.controller.QuorumConfig;
import io.sluice.broker.controller.QuorumMetadataStore;
import io.sluice.broker.group.GroupCoordinator;
import io.sluice.broker.log.LogManager;
import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.metadata.BrokerRegistration;
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
import io.sluice.broker.partition.LeadershipListener;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.broker.partition.ReplicationConfig;
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
import java.util.Deque;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
    private OffsetsTopicCreator offsetsTopic;
    private volatile RequestDispatcher dispatcher;
    private ScheduledExecutorService maintenance;
    private BrokerMetrics metrics;
    private MetricsServer metricsServer;
    private int boundPort;

    /** How long a starting broker waits for the controller quorum to elect a leader (a majority of voters up). */
    private static final Duration QUORUM_READY_TIMEOUT = Duration.ofSeconds(60);

    /** The pause after a failed AlterPartition before the leader proposes that partition's ISR again. */
    private static final long ISR_CHANGE_RETRY_MS = 1_000;

    /** How long a starting broker waits for the offsets partitions it leads to load before it says it serves. */
    private static final Duration OFFSETS_LOAD_WAIT = Duration.ofSeconds(10);

    /** How long a stopping broker waits for the controller to move its leaderships away. */
    private static final long CONTROLLED_SHUTDOWN_TIMEOUT_MS = 5_000;

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

        metadata = QuorumMetadataStore.start(QuorumConfig.from(config), LeaderBalanceConfig.from(config), store,
                Clock.SYSTEM);
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
        logManager.startHighWatermarkCheckpoints(replicas::highWatermarks,
                config.getLong(BrokerConfig.REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS));
        // The follower side, before the metadata replay: partitions led by other brokers are followed at once.
        fetchers = new ReplicaFetcherManager(config.nodeId(), this::brokerAddress, config.fetcherSettings(),
                Clock.SYSTEM);
        replicas.attachFetchers(fetchers);
        // The coordinator follows the leadership of the offsets partitions from the metadata replay on.
        groups = startGroupCoordinator();
        metadata.addListener(replicas).join();
        lifecycle.register();
        ProducerIdManager producerIds = new ProducerIdManager(metadata, ProducerIdManager.DEFAULT_BLOCK_SIZE);
        createOffsetsTopic();

        maintenance = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("sluice-maintenance", true));
        started.push(maintenance::shutdownNow);
        maintenance.scheduleWithFixedDelay(this::snapshotProducerStates, PRODUCER_SNAPSHOT_INTERVAL_MS,
                PRODUCER_SNAPSHOT_INTERVAL_MS, TimeUnit.MILLISECONDS);

        dispatcher = RequestHandlers.dispatcher(new RequestHandlers.Context(config, replicas, metadata, producerIds,
                groups));
        started.push(lifecycle);
        lifecycle.start();
        awaitOffsetsLoads();
        log.info("broker {} of cluster {} serving {} partitions", config.nodeId(), metadata.clusterId(),
                replicas.partitions().size());
    }

    /**
     * The group coordinator, told of every leadership change of a {@code __consumer_offsets} partition: it loads the
     * partitions this broker comes to lead and unloads those it stops leading.
     */
    private GroupCoordinator startGroupCoordinator() {
        offsetsTopic = new OffsetsTopicCreator(metadata, config.getInt(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS),
                config.getInt(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR));
        GroupCoordinator coordinator = new GroupCoordinator(new OffsetsTopicLog(replicas), store, offsetsTopic,
                GroupCoordinator.DEFAULT_MAX_METADATA_BYTES, config.getLong(BrokerConfig.OFFSETS_COMMIT_TIMEOUT_MS),
                Clock.SYSTEM);
        this.groups = coordinator;
        replicas.addLeadershipListener(new LeadershipListener() {
            @Override
            public void onBecameLeader(TopicPartition tp, int leaderEpoch) {
                if (tp.topic().equals(GroupCoordinator.OFFSETS_TOPIC)) {
                    coordinator.load(tp.partition(), leaderEpoch);
                }
            }

            @Override
            public void onStoppedLeading(TopicPartition tp) {
                if (tp.topic().equals(GroupCoordinator.OFFSETS_TOPIC)) {
                    coordinator.unload(tp.partition());
                }
            }
        });
        return coordinator;
    }

    /**
     * Creates {@code __consumer_offsets} at start when enough brokers are live for its replication factor (a single
     * node: at its first start); otherwise the first offset request once they are. Never with fewer replicas.
     */
    private void createOffsetsTopic() {
        try {
            offsetsTopic.create().get(QUORUM_READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Logged by the creator; the first offset request tries again.
        }
    }

    /**
     * Waits (bounded) for the offsets partitions this broker leads to load, so that a single node answers offset
     * requests as soon as it has started. Requests are served meanwhile (followers must fetch for the high watermark
     * to move); a load that takes longer carries on, and its groups are answered COORDINATOR_LOAD_IN_PROGRESS.
     */
    private void awaitOffsetsLoads() {
        try {
            groups.pendingLoads().get(OFFSETS_LOAD_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.info("the __consumer_offsets partitions this broker leads are still loading after {} s; their groups"
                    + " are served once they are loaded", OFFSETS_LOAD_WAIT.toSeconds());
        }
    }

    /** A broker's listener as the controller has it registered (fenced or not), or null when unknown. */
    private InetSocketAddress brokerAddress(int nodeId) {
        for (BrokerRegistration b : metadata.registrations()) {
            if (b.nodeId() == nodeId) {
                return InetSocketAddress.createUnresolved(b.host(), b.port()); // the fetcher's connect resolves it
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
     * Kafka's controlled shutdown: while still serving, stop heartbeating and have the controller fence this broker,
     * so every partition it leads gets a new leader from its ISR at once; clients get NOT_LEADER from here and move.
     * Skipped when no other broker is live (nobody to move to). Bounded: a quorum that does not answer in time
     * leaves the move to the session timeout, as after a kill.
     */
    private void controlledShutdown() {
        BrokerLifecycle l = lifecycle;
        QuorumMetadataStore m = metadata;
        if (l == null || m == null || l.brokerEpoch() < 0
                || m.brokers().stream().noneMatch(b -> b.nodeId() != config.nodeId())) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            l.close();
            m.fenceBroker(config.nodeId(), l.brokerEpoch()).get(CONTROLLED_SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            log.info("controlled shutdown: leadership moved off broker {} in {} ms", config.nodeId(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("controlled shutdown: fencing broker {} failed ({}); its partitions move when its session ends",
                    config.nodeId(), e.toString());
        }
    }

    /**
     * Moves leadership off this broker (controlled shutdown), stops accepting, lets the handler threads finish what
     * they run, answers parked requests, closes the connections, then the metadata and the logs (flush and clean
     * marker).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        log.info("shutting down");
        controlledShutdown();
        if (metadata != null) {
            metadata.beginShutdown();
        }
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
