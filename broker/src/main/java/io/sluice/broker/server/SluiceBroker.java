package io.sluice.broker.server;

import io.netty.util.HashedWheelTimer;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.sluice.broker.fetch.FetchStats;
import io.sluice.broker.log.LogManager;
import io.sluice.broker.network.SocketServer;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.broker.request.RequestDispatcher;
import io.sluice.broker.request.RequestHandlers;
import io.sluice.broker.util.Clock;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One broker: storage, partitions, request handling and the listener, started in that order and stopped
 * in the reverse one. {@link #close()} is the graceful shutdown of SIGTERM: stop accepting, answer what is
 * in flight, flush the logs and leave the clean-shutdown marker.
 *
 * <p>Thread-safety: started by one thread; {@link #close()} may be called from any thread, once is enough.
 */
public final class SluiceBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SluiceBroker.class);

    private final BrokerConfig config;
    private final LogManager logManager;
    private final HashedWheelTimer timer;
    private final ReplicaManager replicas;
    private final ThreadPoolExecutor handlerPool;
    private final FetchStats fetchStats = new FetchStats();
    private final SocketServer server;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final int boundPort;

    private SluiceBroker(BrokerConfig config) throws InterruptedException {
        this.config = config;
        this.logManager = new LogManager(config.logDirs(), config.logConfig(), Clock.SYSTEM,
                config.getLong(BrokerConfig.LOG_FLUSH_SCHEDULER_INTERVAL_MS),
                config.getLong(BrokerConfig.LOG_FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS),
                config.getLong(BrokerConfig.LOG_RETENTION_CHECK_INTERVAL_MS));
        this.timer = new HashedWheelTimer(new DefaultThreadFactory("sluice-purgatory", true), 10, TimeUnit.MILLISECONDS);
        this.replicas = new ReplicaManager(config.nodeId(), logManager, timer);
        int ioThreads = config.getInt(BrokerConfig.NUM_IO_THREADS);
        // Bounded by the connections: each has at most one drain task queued at a time.
        this.handlerPool = new ThreadPoolExecutor(ioThreads, ioThreads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(100_000), new DefaultThreadFactory("sluice-handler", true));
        RequestDispatcher dispatcher = RequestHandlers.dispatcher(replicas, fetchStats);
        this.server = new SocketServer(config.host(), config.port(), config.getInt(BrokerConfig.NUM_NETWORK_THREADS),
                config.getInt(BrokerConfig.SOCKET_REQUEST_MAX_BYTES),
                config.getInt(BrokerConfig.QUEUED_MAX_REQUESTS_PER_CONNECTION), dispatcher, handlerPool);
        this.boundPort = server.start();
    }

    /** Starts a broker; on failure everything already started is stopped again. */
    public static SluiceBroker start(BrokerConfig config) {
        try {
            return new SluiceBroker(config);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting", e);
        }
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

    /** What went out to the sockets, by kind (file regions vs buffers). */
    public io.sluice.broker.network.TrafficCounter traffic() {
        return server.traffic();
    }

    public FetchStats fetchStats() {
        return fetchStats;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        log.info("shutting down");
        server.stopAccepting();
        handlerPool.shutdown();
        try {
            if (!handlerPool.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("requests still running after 10 s; stopping anyway");
                handlerPool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        replicas.completeAllDelayed();
        server.close();
        timer.stop();
        logManager.close();
        log.info("shut down cleanly");
    }
}
