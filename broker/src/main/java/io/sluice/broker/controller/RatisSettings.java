package io.sluice.broker.controller;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.netty.NettyConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/**
 * How Sluice configures Ratis (the facts of ARCHITECTURE.md §7): Netty RPC on server and client (the default is
 * gRPC), an explicit host, port and storage directory (the defaults are all interfaces and /tmp), small log segments
 * (the metadata log is small), snapshots every {@link QuorumConfig#snapshotThreshold()} entries and at shutdown, and
 * the log purged up to them. Stateless.
 */
final class RatisSettings {
    private RatisSettings() {
    }

    /** The voters: what clients send to, and a voter's server starts with. */
    static RaftGroup group(RaftGroupId id, List<QuorumConfig.Voter> voters) {
        List<RaftPeer> peers = new ArrayList<>();
        for (QuorumConfig.Voter v : voters) {
            peers.add(RaftPeer.newBuilder().setId(Integer.toString(v.id())).setAddress(v.address()).build());
        }
        return RaftGroup.valueOf(id, peers);
    }

    /**
     * The group this node's server starts with: the voters, and on an observer itself as a listener, so that Ratis
     * starts it as a listener (it never campaigns) until the log it receives carries the quorum's configuration.
     */
    static RaftGroup serverGroup(RaftGroupId id, QuorumConfig config) {
        RaftGroup voters = group(id, config.voters());
        if (config.isVoter()) {
            return voters;
        }
        List<RaftPeer> peers = new ArrayList<>(voters.getPeers());
        peers.add(listener(config.self()));
        return RaftGroup.valueOf(id, peers);
    }

    /** An observer as a Ratis peer: a listener, which gets the log and never votes. */
    static RaftPeer listener(QuorumConfig.Voter observer) {
        return RaftPeer.newBuilder().setId(Integer.toString(observer.id())).setAddress(observer.address())
                .setStartupRole(RaftPeerRole.LISTENER).build();
    }

    static RaftProperties server(QuorumConfig config) {
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.NETTY);
        QuorumConfig.Voter self = config.self();
        NettyConfigKeys.Server.setHost(p, self.host());
        NettyConfigKeys.Server.setPort(p, self.port());
        RaftServerConfigKeys.setStorageDir(p, List.of(config.raftDir().toFile()));
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        // Elections: a few hundred ms, so a dead controller is replaced well within a broker session timeout.
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(300, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(600, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, TimeDuration.valueOf(150, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, TimeDuration.valueOf(300, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf("4MB"));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf("64KB"));
        // The log is purged up to each snapshot (every purge gap): a voter that lags behind it gets the snapshot
        // file installed (ControllerStateMachine.reinitialize). Two snapshot files are kept.
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgeGap(p, config.purgeGap());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, true);
        return p;
    }

    static RaftProperties client() {
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.NETTY);
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(3, TimeUnit.SECONDS));
        return p;
    }

    /** Retries through leader changes for about ten seconds, then the change fails (the caller may retry). */
    static RetryPolicy clientRetryPolicy() {
        return RetryPolicies.retryUpToMaximumCountWithFixedSleep(100, TimeDuration.valueOf(100, TimeUnit.MILLISECONDS));
    }
}
