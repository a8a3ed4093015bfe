package io.sluice.broker.controller;

import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.controller.command.FenceBroker;
import io.sluice.broker.controller.command.UnfenceBroker;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.broker.util.Clock;
import io.sluice.proto.message.ErrorCode;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The duties of the node that is the Ratis leader: answer broker heartbeats, keep the brokers' sessions, propose
 * fencing a broker whose session expired (the apply moves its leaderships to live ISR members) and unfencing one that
 * heartbeats again. On other nodes it only answers {@code NOT_CONTROLLER}.
 *
 * <p>Thread-safety: heartbeats come from request handler threads, {@link #doWork()} from the controller's timer;
 * the shared state is the synchronized {@link BrokerSessions} and concurrent sets.
 */
final class ActiveController {
    private static final Logger log = LoggerFactory.getLogger(ActiveController.class);
    /** How soon a broker's listener is asked again while its connection-lost grace runs. */
    static final long PROBE_RETRY_MS = 250;

    private final int nodeId;
    private final long sessionTimeoutMs;
    private final Clock clock;
    private final PublishedImage view;
    /** Proposes a command to the quorum; completes once it is applied, exceptionally when it is refused. */
    private final Function<Command, CompletableFuture<CommandResult>> proposer;
    private final BooleanSupplier isActive;
    private final IntSupplier controllerId;
    private final BrokerSessions sessions;
    private final long firstHeartbeatGraceMs;
    /** Asked when a broker's heartbeat connection closes whether its listener is gone too; null: never asked. */
    private final ListenerProbe probe;
    /** Registration epochs whose fencing is proposed and not yet answered. */
    private final Set<Long> fencing = ConcurrentHashMap.newKeySet();
    private volatile boolean wasActive;
    /**
     * Set when this broker begins to stop: it fences nobody from then on. Its own listener closing drops every
     * broker's heartbeat connection, which must not read as those brokers dying.
     */
    private volatile boolean shuttingDown;

    /**
     * @param firstHeartbeatGraceMs see {@link QuorumConfig#firstHeartbeatGraceMs()}
     * @param probe                 see {@link #connectionLost}; null to rely on the grace alone
     */
    ActiveController(int nodeId, long sessionTimeoutMs, long firstHeartbeatGraceMs, Clock clock, PublishedImage view,
                     Function<Command, CompletableFuture<CommandResult>> proposer, BooleanSupplier isActive,
                     IntSupplier controllerId,
                     ListenerProbe probe) {
        this.nodeId = nodeId;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.clock = clock;
        this.view = view;
        this.proposer = proposer;
        this.isActive = isActive;
        this.controllerId = controllerId;
        this.sessions = new BrokerSessions(sessionTimeoutMs, firstHeartbeatGraceMs);
        this.firstHeartbeatGraceMs = firstHeartbeatGraceMs;
        this.probe = probe;
    }

    /** See {@link io.sluice.broker.metadata.MetadataStore#brokerHeartbeat}. */
    CompletableFuture<Boolean> heartbeat(int brokerId, long brokerEpoch) {
        if (!isActive.getAsBoolean()) {
            return CompletableFuture.failedFuture(new MetadataException(ErrorCode.NOT_CONTROLLER, "broker " + nodeId
                    + " is not the active controller (that is " + controllerId.getAsInt() + ")"));
        }
        BrokerRegistration b = view.broker(brokerId).orElse(null);
        if (b == null || brokerEpoch < b.brokerEpoch()) {
            return CompletableFuture.failedFuture(new MetadataException(ErrorCode.STALE_BROKER_EPOCH, "broker "
                    + brokerId + " heartbeats for epoch " + brokerEpoch + " but its registration is "
                    + (b == null ? "unknown" : "at epoch " + b.brokerEpoch()) + "; register again"));
        }
        if (brokerEpoch > b.brokerEpoch()) {
            // Registered, but that has not reached this controller's published image yet.
            return CompletableFuture.failedFuture(new MetadataException(ErrorCode.BROKER_NOT_AVAILABLE,
                    "the controller has not yet caught up with broker " + brokerId + "'s registration at epoch "
                            + brokerEpoch + "; retry"));
        }
        sessions.heartbeat(brokerId, brokerEpoch, clock.milliseconds());
        if (!b.fenced()) {
            return CompletableFuture.completedFuture(false);
        }
        log.info("broker {} (epoch {}) heartbeats again: unfencing it", brokerId, brokerEpoch);
        return proposer.apply(Command.newBuilder().setUnfenceBroker(UnfenceBroker.newBuilder().setBrokerId(brokerId)
                .setBrokerEpoch(brokerEpoch)).build()).thenApply(r -> false);
    }

    /**
     * The connection broker {@code brokerId} heartbeated on for {@code brokerEpoch} closed (see
     * {@link BrokerSessions#connectionLost}): unless it heartbeats within {@code graceMs}, it is fenced. If its
     * registered listener refuses a connection too, the process is gone: its session ends now, and the next check
     * fences it (a killed leader's partitions move in a fraction of a second rather than after the grace). The
     * listener is asked again every {@value #PROBE_RETRY_MS} ms of the grace while the broker stays silent.
     */
    void connectionLost(int brokerId, long brokerEpoch, long graceMs) {
        if (!isActive.getAsBoolean() || shuttingDown) {
            return;
        }
        long now = clock.milliseconds();
        sessions.connectionLost(brokerId, brokerEpoch, now, graceMs);
        BrokerRegistration b = view.broker(brokerId).orElse(null);
        if (probe == null || b == null || b.brokerEpoch() != brokerEpoch || b.fenced()) {
            return;
        }
        endSessionIfListenerGone(b, "its heartbeat connection closed", sessions.lastSeenMs(brokerId, brokerEpoch),
                now + graceMs);
    }

    /**
     * Ends {@code b}'s session now if its registered listener refuses a connection (see {@link ListenerProbe});
     * otherwise asks again after {@value #PROBE_RETRY_MS} ms, until {@code untilMs} or until the broker heartbeats
     * (its last heartbeat is no longer {@code lastSeenMs}).
     */
    private void endSessionIfListenerGone(BrokerRegistration b, String why, long lastSeenMs, long untilMs) {
        probe.refuses(b.host(), b.port()).thenAccept(refused -> {
            boolean heardSince = sessions.lastSeenMs(b.nodeId(), b.brokerEpoch()) != lastSeenMs;
            if (!isActive.getAsBoolean() || shuttingDown || heardSince) {
                return;
            }
            if (refused) {
                log.info("broker {} (epoch {}): {} and its listener {}:{} refuses connections; ending its session now",
                        b.nodeId(), b.brokerEpoch(), why, b.host(), b.port());
                sessions.connectionLost(b.nodeId(), b.brokerEpoch(), clock.milliseconds(), 0);
            } else if (clock.milliseconds() + PROBE_RETRY_MS < untilMs) {
                CompletableFuture.delayedExecutor(PROBE_RETRY_MS, TimeUnit.MILLISECONDS).execute(() ->
                        endSessionIfListenerGone(b, why, lastSeenMs, untilMs));
            }
        });
    }

    /** This broker is stopping: no more fencing from here (the next controller takes over the sessions). */
    void beginShutdown() {
        shuttingDown = true;
    }

    /** Timer thread: on the active controller, proposes fencing the brokers whose sessions expired. Never throws. */
    void doWork() {
        try {
            boolean active = isActive.getAsBoolean();
            if (active != wasActive) {
                // A new controller gives every broker a fresh session; one that stops being it forgets them.
                sessions.clear();
                wasActive = active;
                log.info("node {} {} the active controller", nodeId, active ? "is now" : "is no longer");
                if (active && !shuttingDown && probe != null) {
                    // A new controller has heard no connection close; the broker that died with the old controller
                    // (often the old controller itself) need not wait out the first-heartbeat grace.
                    List<BrokerRegistration> brokers = view.brokers();
                    long now = clock.milliseconds();
                    sessions.expired(brokers, now); // opens their sessions, expires none yet
                    for (BrokerRegistration b : brokers) {
                        if (!b.fenced() && b.nodeId() != nodeId) {
                            endSessionIfListenerGone(b, "this node became the controller",
                                    sessions.lastSeenMs(b.nodeId(), b.brokerEpoch()), now + firstHeartbeatGraceMs);
                        }
                    }
                }
            }
            if (!active || shuttingDown) {
                return;
            }
            long now = clock.milliseconds();
            for (BrokerRegistration b : sessions.expired(view.brokers(), now)) {
                if (fencing.add(b.brokerEpoch())) {
                    fence(b, now);
                }
            }
        } catch (RuntimeException e) {
            log.error("broker session check failed; it runs again shortly", e);
        }
    }

    private void fence(BrokerRegistration b, long now) {
        log.warn("fencing broker {} (epoch {}): no heartbeat for {} ms (broker.session.timeout.ms {}, shorter once"
                + " its heartbeat connection closed)", b.nodeId(), b.brokerEpoch(),
                sessions.sinceLastHeartbeat(b.nodeId(), now), sessionTimeoutMs);
        proposer.apply(Command.newBuilder().setFenceBroker(FenceBroker.newBuilder().setBrokerId(b.nodeId())
                .setBrokerEpoch(b.brokerEpoch())).build()).whenComplete((v, e) -> {
                    fencing.remove(b.brokerEpoch());
                    if (e != null) {
                        log.warn("fencing broker {} failed; the next check retries: {}", b.nodeId(), e.getMessage());
                    }
                });
    }
}
