package io.sluice.broker.controller;

import io.sluice.broker.metadata.BrokerRegistration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The active controller's view of broker liveness: when each registered broker last heartbeated. It is not
 * replicated (only fencing decisions are, as commands): a new controller starts with an empty table, and a broker
 * it has not heard from yet has the first-heartbeat grace (a few heartbeat intervals, see
 * {@link QuorumConfig#firstHeartbeatGraceMs()}) from the moment the controller first looks at it.
 *
 * <p>Thread-safety: all methods synchronize on this object (heartbeats arrive on handler threads, the expiry check
 * runs on the controller's timer thread).
 */
final class BrokerSessions {
    private final long sessionTimeoutMs;
    private final long firstHeartbeatGraceMs;
    /** Broker id → its session (the registration epoch it heartbeats for, last heartbeat time, when it expires). */
    private final Map<Integer, Session> sessions = new HashMap<>();

    private record Session(long brokerEpoch, long lastSeenMs, long expiresAtMs) {
    }

    /** @param firstHeartbeatGraceMs how long a broker seen for the first time has to heartbeat */
    BrokerSessions(long sessionTimeoutMs, long firstHeartbeatGraceMs) {
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.firstHeartbeatGraceMs = firstHeartbeatGraceMs;
    }

    synchronized void heartbeat(int brokerId, long brokerEpoch, long nowMs) {
        sessions.put(brokerId, new Session(brokerEpoch, nowMs, nowMs + sessionTimeoutMs));
    }

    /**
     * The connection the broker heartbeats on closed: its session now ends {@code graceMs} from now unless a
     * heartbeat comes first (a live broker reconnects and heartbeats within one interval). A killed process's
     * sockets are closed by its kernel at once, so this is how a dead broker is noticed in about a heartbeat
     * interval instead of a whole session timeout; a broker that merely lost its connection keeps its session.
     */
    synchronized void connectionLost(int brokerId, long brokerEpoch, long nowMs, long graceMs) {
        Session s = sessions.get(brokerId);
        if (s != null && s.brokerEpoch() == brokerEpoch && s.lastSeenMs() <= nowMs) {
            sessions.put(brokerId, new Session(brokerEpoch, s.lastSeenMs(), Math.min(s.expiresAtMs(), nowMs + graceMs)));
        }
    }

    /** Forgets everything (this node stopped or started being the controller). */
    synchronized void clear() {
        sessions.clear();
    }

    /**
     * The live brokers among {@code brokers} whose session expired at {@code nowMs}. A broker seen for the first time
     * (or with a new registration epoch) must heartbeat within the first-heartbeat grace from now.
     */
    synchronized List<BrokerRegistration> expired(List<BrokerRegistration> brokers, long nowMs) {
        List<BrokerRegistration> out = new ArrayList<>();
        for (BrokerRegistration b : brokers) {
            if (b.fenced()) {
                continue;
            }
            Session s = sessions.get(b.nodeId());
            if (s == null || s.brokerEpoch() != b.brokerEpoch()) {
                sessions.put(b.nodeId(), new Session(b.brokerEpoch(), nowMs, nowMs + firstHeartbeatGraceMs));
            } else if (nowMs > s.expiresAtMs()) {
                out.add(b);
            }
        }
        return out;
    }

    /** When the broker last heartbeated (or its session began) at {@code brokerEpoch}; -1 when it has no such session. */
    synchronized long lastSeenMs(int brokerId, long brokerEpoch) {
        Session s = sessions.get(brokerId);
        return s == null || s.brokerEpoch() != brokerEpoch ? -1 : s.lastSeenMs();
    }

    /** How long ago the broker last heartbeated, or -1 when it has no session. */
    synchronized long sinceLastHeartbeat(int brokerId, long nowMs) {
        Session s = sessions.get(brokerId);
        return s == null ? -1 : nowMs - s.lastSeenMs();
    }
}
