package io.sluice.broker.controller;

import io.sluice.broker.log.LogManager;
import io.sluice.broker.server.BrokerConfig;
import io.sluice.broker.server.ConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the controller quorum needs from the broker's settings: this node, the voters of
 * {@code controller.quorum.voters} (id@host:port, the Ratis ports), for a node that is not a voter its own Ratis
 * address ({@code controller.quorum.observer.address}: it follows the metadata as a Ratis listener, KRaft's
 * observer), the Raft storage directory ({@code <first log dir>/raft}) and the broker session timeout. Immutable.
 *
 * @param observer            this node's own Ratis address when it is not one of the voters (an observer: it
 *                            replicates the metadata log and never votes); null on a voter, whose address is in
 *                            the voters list
 * @param snapshotThreshold   log entries between two automatic snapshots
 * @param purgeGap            log entries a snapshot must be ahead of the last purge before the log is purged up to
 *                            it (a voter that lags further gets the snapshot installed)
 * @param heartbeatIntervalMs {@code broker.heartbeat.interval.ms}: how soon a live broker heartbeats to a new
 *                            controller, which bounds how long that one waits for a broker it has not heard from
 */
public record QuorumConfig(int nodeId, List<Voter> voters, Path raftDir, long sessionTimeoutMs,
                           long snapshotThreshold, int purgeGap, long heartbeatIntervalMs, Voter observer) {
    public static final long DEFAULT_SNAPSHOT_THRESHOLD = 10_000;
    public static final int DEFAULT_PURGE_GAP = 1024;

    /** A quorum member's id and Ratis address (an observer's too, though it does not vote). */
    public record Voter(int id, String host, int port) {
        String address() {
            return host + ":" + port;
        }
    }

    public QuorumConfig {
        voters = List.copyOf(voters);
        if (voters.stream().map(Voter::id).distinct().count() != voters.size()) {
            throw new ConfigException(BrokerConfig.CONTROLLER_QUORUM_VOTERS + ": " + voters + " names a node id twice");
        }
        boolean voter = voters.stream().anyMatch(v -> v.id() == nodeId);
        if (!voter && observer == null) {
            throw new ConfigException(BrokerConfig.CONTROLLER_QUORUM_OBSERVER_ADDRESS + ": node.id " + nodeId
                    + " is not one of the voters " + voters + " (" + BrokerConfig.CONTROLLER_QUORUM_VOTERS
                    + "), so it follows the metadata as an observer and needs its own Ratis address (host:port)");
        }
        if (voter && observer != null) {
            throw new ConfigException(BrokerConfig.CONTROLLER_QUORUM_OBSERVER_ADDRESS + ": node.id " + nodeId
                    + " is a voter (" + BrokerConfig.CONTROLLER_QUORUM_VOTERS + " holds its Ratis address); leave "
                    + BrokerConfig.CONTROLLER_QUORUM_OBSERVER_ADDRESS + " empty");
        }
        if (observer != null) {
            if (observer.id() != nodeId) {
                throw new IllegalArgumentException("observer " + observer + " is not node " + nodeId);
            }
            if (voters.stream().anyMatch(v -> v.address().equals(observer.address()))) {
                throw new ConfigException(BrokerConfig.CONTROLLER_QUORUM_OBSERVER_ADDRESS + ": "
                        + observer.address() + " is a voter's address in " + BrokerConfig.CONTROLLER_QUORUM_VOTERS);
            }
        }
    }

    /** A voter's, with the heartbeat interval and no observer address. */
    public QuorumConfig(int nodeId, List<Voter> voters, Path raftDir, long sessionTimeoutMs, long snapshotThreshold,
                        int purgeGap, long heartbeatIntervalMs) {
        this(nodeId, voters, raftDir, sessionTimeoutMs, snapshotThreshold, purgeGap, heartbeatIntervalMs, null);
    }

    /** With the heartbeat interval the session timeout implies at Kafka's ratio (2000 of 9000). */
    public QuorumConfig(int nodeId, List<Voter> voters, Path raftDir, long sessionTimeoutMs, long snapshotThreshold,
                        int purgeGap) {
        this(nodeId, voters, raftDir, sessionTimeoutMs, snapshotThreshold, purgeGap, sessionTimeoutMs * 2 / 9);
    }

    public static QuorumConfig from(BrokerConfig config) {
        String observer = config.get(BrokerConfig.CONTROLLER_QUORUM_OBSERVER_ADDRESS);
        return new QuorumConfig(config.nodeId(), parseVoters(config.get(BrokerConfig.CONTROLLER_QUORUM_VOTERS)),
                config.logDirs().get(0).resolve(LogManager.RAFT_DIR),
                config.getLong(BrokerConfig.BROKER_SESSION_TIMEOUT_MS),
                DEFAULT_SNAPSHOT_THRESHOLD, DEFAULT_PURGE_GAP,
                config.getLong(BrokerConfig.BROKER_HEARTBEAT_INTERVAL_MS),
                observer.isEmpty() ? null : parseVoters(config.nodeId() + "@" + observer).get(0));
    }

    /** Whether this node is one of the voters (else an observer, a Ratis listener). */
    public boolean isVoter() {
        return observer == null;
    }

    /**
     * How long a new active controller (or one that sees a broker for the first time) waits for a broker's first
     * heartbeat before fencing it: a live broker finds the new controller and heartbeats within an interval or two,
     * so a few intervals (at least 2 s, at most the session timeout) are enough, and a broker that died with the old
     * controller is fenced that much sooner than after a whole session.
     */
    public long firstHeartbeatGraceMs() {
        return Math.min(sessionTimeoutMs, Math.max(2_000, 4 * heartbeatIntervalMs));
    }

    /** Parses {@code id@host:port,...}; the format was checked by {@link BrokerConfig}. */
    public static List<Voter> parseVoters(String voters) {
        List<Voter> out = new ArrayList<>();
        for (String voter : voters.split(",")) {
            String v = voter.trim();
            int at = v.indexOf('@');
            int colon = v.lastIndexOf(':');
            out.add(new Voter(Integer.parseInt(v.substring(0, at)), v.substring(at + 1, colon),
                    Integer.parseInt(v.substring(colon + 1))));
        }
        return out;
    }

    /** This node's id and Ratis address: its voter entry, or its observer address. */
    public Voter self() {
        return observer != null ? observer
                : voters.stream().filter(v -> v.id() == nodeId).findFirst().orElseThrow();
    }

    /** The same with snapshots every {@code entries} and the log purged up to them every {@code gap} entries. */
    public QuorumConfig withSnapshots(long entries, int gap) {
        return new QuorumConfig(nodeId, voters, raftDir, sessionTimeoutMs, entries, gap, heartbeatIntervalMs, observer);
    }
}
