package io.sluice.broker.controller;

import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.client.network.BrokerConnection;
import io.sluice.client.network.ConnectionConfig;
import io.sluice.client.network.Transport;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.BrokerHeartbeatRequest;
import io.sluice.proto.message.BrokerHeartbeatResponse;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This broker's session with the active controller. It registers through the quorum (a Raft command, which any
 * voter's Ratis client routes to the leader), then sends {@code BrokerHeartbeat} every
 * {@code broker.heartbeat.interval.ms} over the broker protocol to the active controller's listener, found from the
 * quorum's leader id and the registered brokers (its own listener when this node is the controller). A
 * {@code STALE_BROKER_EPOCH} answer makes it register again; {@code NOT_CONTROLLER} or a failed connection makes it
 * look for the controller again at the next beat.
 *
 * <p>Thread-safety: {@link #doWork()} runs on its own timer thread, which owns the connection; it blocks (bounded)
 * on the controller's answers, which is fine there and never happens on an event loop.
 */
public final class BrokerLifecycle implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerLifecycle.class);

    private final BrokerRecord self;
    private final MetadataStore metadata;
    private final long intervalMs;
    private final String incarnationId = UUID.randomUUID().toString();
    private final ScheduledExecutorService timer;
    private volatile long brokerEpoch = -1;
    private volatile boolean fenced;
    /** Timer thread only. */
    private BrokerConnection connection;
    private BrokerRecord connectedTo;
    private int failures;

    public BrokerLifecycle(BrokerRecord self, MetadataStore metadata, long heartbeatIntervalMs) {
        this.self = self;
        this.metadata = metadata;
        this.intervalMs = heartbeatIntervalMs;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-heartbeat-" + self.nodeId());
            t.setDaemon(true);
            return t;
        });
    }

    /** Registers this broker (blocking, bounded by the quorum client's retries) and returns its broker epoch. */
    public long register() {
        long epoch = metadata.registerBroker(self, incarnationId).join();
        brokerEpoch = epoch;
        fenced = false;
        log.info("broker {} registered at {}:{} with epoch {}", self.nodeId(), self.host(), self.port(), epoch);
        return epoch;
    }

    /** Starts heartbeating (after {@link #register()}, once the broker serves requests). */
    public void start() {
        timer.scheduleWithFixedDelay(this::doWork, 0, intervalMs, TimeUnit.MILLISECONDS);
    }

    public long brokerEpoch() {
        return brokerEpoch;
    }

    /** Whether the controller said, at the last heartbeat, that this broker is fenced. */
    public boolean isFenced() {
        return fenced;
    }

    /** One heartbeat: find the controller, send, act on the answer. Never throws. */
    void doWork() {
        try {
            BrokerRecord controller = controllerEndpoint();
            if (controller == null) {
                return; // an election is running
            }
            if (connection == null || !connection.isActive() || !controller.equals(connectedTo)) {
                closeConnection();
                CompletableFuture<BrokerConnection> connecting = BrokerConnection.connect(Transport.shared(),
                        controller.host(), controller.port(),
                        ConnectionConfig.defaults("sluice-broker-" + self.nodeId()));
                try {
                    connection = connecting.get(Math.max(intervalMs, 1000), TimeUnit.MILLISECONDS);
                } catch (InterruptedException | TimeoutException e) {
                    connecting.thenAccept(BrokerConnection::close);
                    throw e;
                }
                connectedTo = controller;
            }
            Request.Builder request = Request.newBuilder().setBrokerHeartbeat(BrokerHeartbeatRequest.newBuilder()
                    .setBrokerId(self.nodeId()).setBrokerEpoch(brokerEpoch));
            CompletableFuture<InboundFrame<Response>> answer = connection.send(request, intervalMs);
            InboundFrame<Response> frame;
            try {
                frame = answer.get(2 * intervalMs, TimeUnit.MILLISECONDS);
            } catch (InterruptedException | TimeoutException e) {
                // The answer may still come: whoever gets it releases it.
                answer.thenAccept(InboundFrame::release);
                throw e;
            }
            ErrorCode error;
            String message;
            BrokerHeartbeatResponse body;
            try {
                Response response = frame.message();
                body = response.getBrokerHeartbeat();
                error = response.getErrorCode() != ErrorCode.NONE ? response.getErrorCode() : body.getErrorCode();
                message = response.getErrorCode() != ErrorCode.NONE ? response.getErrorMessage()
                        : body.getErrorMessage();
            } finally {
                frame.release();
            }
            switch (error) {
                case NONE -> {
                    if (fenced && !body.getIsFenced()) {
                        log.info("broker {} is unfenced", self.nodeId());
                    }
                    fenced = body.getIsFenced();
                    failures = 0;
                }
                case STALE_BROKER_EPOCH -> {
                    log.warn("the controller no longer knows broker {} at epoch {} ({}); registering again",
                            self.nodeId(), brokerEpoch, message);
                    register();
                }
                case NOT_CONTROLLER -> closeConnection();
                default -> failed("the controller answered " + error + ": " + message);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            closeConnection();
            failed(e.toString());
        }
    }

    private void failed(String why) {
        // The first failure after a success is worth a warning; a controller failover makes a few in a row.
        if (failures++ == 0) {
            log.warn("heartbeat of broker {} failed: {}; retrying every {} ms", self.nodeId(), why, intervalMs);
        } else {
            log.debug("heartbeat of broker {} failed again: {}", self.nodeId(), why);
        }
    }

    private BrokerRecord controllerEndpoint() {
        int id = metadata.controllerId();
        if (id < 0) {
            return null;
        }
        if (id == self.nodeId()) {
            return self;
        }
        for (BrokerRegistration b : metadata.registrations()) {
            if (b.nodeId() == id) {
                return b.endpoint();
            }
        }
        return null; // the controller has not registered its own listener yet
    }

    private void closeConnection() {
        if (connection != null) {
            connection.close();
            connection = null;
            connectedTo = null;
        }
    }

    /** Stops heartbeating (the controller fences this broker after its session timeout). */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
