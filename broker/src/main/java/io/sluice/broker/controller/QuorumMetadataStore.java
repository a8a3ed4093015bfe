package io.sluice.broker.controller;

import io.sluice.broker.controller.command.AllocateProducerIds;
import io.sluice.broker.controller.command.Barrier;
import io.sluice.broker.controller.command.AlterPartition;
import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.controller.command.CreateTopic;
import io.sluice.broker.controller.command.DeleteTopic;
import io.sluice.broker.controller.command.ElectPreferredLeaders;
import io.sluice.broker.controller.command.FenceBroker;
import io.sluice.broker.controller.command.InitCluster;
import io.sluice.broker.controller.command.PartitionElection;
import io.sluice.broker.controller.command.PartitionId;
import io.sluice.broker.controller.command.RegisterBroker;
import io.sluice.broker.metadata.AlterPartitionRequest;
import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.broker.metadata.MetadataListener;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.PreferredElection;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.broker.metadata.Topics;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.util.Clock;
import io.sluice.client.network.Transport;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link MetadataStore} backed by the controller quorum (ARCHITECTURE.md §7): this node runs a Ratis server, one
 * voter of {@code controller.quorum.voters} or an observer (a Ratis listener: it gets every committed entry and
 * never votes, so it is never the active controller; {@link ObserverMembership}), whose
 * {@link ControllerStateMachine} holds the cluster image. Changes are proposed as commands through a Ratis client
 * (which finds the Ratis leader among the voters) and complete once applied and published here; reads answer from
 * the local {@link PublishedImage}. A single node is a one-voter quorum, the same path.
 *
 * <p>The Ratis leader is the active controller ({@link ActiveController}): it answers broker heartbeats, keeps their
 * sessions and proposes the fencing of brokers whose sessions expire, and ({@link PreferredLeaderBalancer}) moves
 * leaderships back to their preferred replicas.
 *
 * <p>Thread-safety: any thread may call any method. Futures complete on the metadata thread.
 */
public final class QuorumMetadataStore implements MetadataStore, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QuorumMetadataStore.class);

    /** How long the probe of a broker whose heartbeat connection closed may connect (a refusal comes at once). */
    private static final int LISTENER_PROBE_TIMEOUT_MS = 1000;
    /** How long it holds an accepted connection, watching for a dying process to reset it (see ListenerProbe). */
    private static final long LISTENER_PROBE_HOLD_MS = 500;

    /** Every Sluice cluster's controller group has this id; the voters list says who is in it. */
    static final RaftGroupId GROUP_ID = RaftGroupId.valueOf(
            UUID.nameUUIDFromBytes("sluice-controller-quorum".getBytes(StandardCharsets.UTF_8)));

    private final QuorumConfig config;
    private final MetadataPublisher publisher;
    private final PublishedImage view;
    private final ControllerStateMachine stateMachine;
    private final ScheduledExecutorService timer;
    private final RaftServer server;
    /** The voters' group, which clients (the proposer's, an observer's join) send to. */
    private final RaftGroup voters;
    private final CommandProposer proposer;
    private final ActiveController controller;
    private final PreferredLeaderBalancer balancer;
    private final Clock clock;
    private volatile boolean closed;

    private QuorumMetadataStore(QuorumConfig config, LeaderBalanceConfig balance, BrokerStore store, Clock clock)
            throws IOException {
        this.config = config;
        this.clock = clock;
        ImageSnapshots.Loaded loaded = ImageSnapshots.load(store);
        this.view = new PublishedImage(loaded.image());
        this.publisher = new MetadataPublisher(view, "sluice-metadata-" + config.nodeId());
        this.stateMachine = new ControllerStateMachine(store, loaded, publisher, new Leadership());
        this.voters = RatisSettings.group(GROUP_ID, config.voters());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-controller-" + config.nodeId());
            t.setDaemon(true);
            return t;
        });
        this.server = RaftServer.newBuilder()
                .setServerId(RaftPeerId.valueOf(Integer.toString(config.nodeId())))
                .setGroup(RatisSettings.serverGroup(GROUP_ID, config))
                .setStateMachine(stateMachine)
                .setProperties(RatisSettings.server(config))
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        this.proposer = new CommandProposer(leader -> {
            RaftClient.Builder b = RaftClient.newBuilder()
                    .setRaftGroup(voters)
                    .setProperties(RatisSettings.client())
                    .setRetryPolicy(RatisSettings.clientRetryPolicy());
            if (leader == null && config.isVoter()) {
                // Ask the local server first: it is up (a peer may not be), and it redirects to the leader. An
                // observer's client asks the voters only.
                leader = RaftPeerId.valueOf(Integer.toString(config.nodeId()));
            }
            if (leader != null) {
                b.setLeaderId(leader);
            }
            return b.build();
        }, publisher);
        this.controller = new ActiveController(config.nodeId(), config.sessionTimeoutMs(),
                config.firstHeartbeatGraceMs(), clock, view, c -> proposer.propose(c, r -> r),
                this::isActiveController, this::controllerId,
                new ListenerProbe(Transport.shared(), LISTENER_PROBE_TIMEOUT_MS,
                        LISTENER_PROBE_HOLD_MS));
        this.balancer = new PreferredLeaderBalancer(balance, view, c -> proposer.propose(c, r -> r),
                this::isActiveController);
    }

    /**
     * Opens the image from {@code store}, starts this node's Ratis server and returns at once; the quorum elects a
     * leader in the background ({@link #awaitReady} waits for it). The store stays the caller's, closed after this.
     */
    public static QuorumMetadataStore start(QuorumConfig config, BrokerStore store, Clock clock) {
        return start(config, LeaderBalanceConfig.DEFAULT, store, clock);
    }

    /** The same, with the automatic preferred-leader rebalance of {@code balance} when this node is the controller. */
    public static QuorumMetadataStore start(QuorumConfig config, LeaderBalanceConfig balance, BrokerStore store,
                                            Clock clock) {
        QuorumMetadataStore q;
        try {
            q = new QuorumMetadataStore(config, balance, store, clock);
        } catch (IOException e) {
            throw new IllegalStateException("cannot build the controller quorum member " + config.nodeId() + " in "
                    + config.raftDir() + ": " + e.getMessage(), e);
        }
        try {
            q.server.start();
        } catch (IOException | RuntimeException e) {
            // A server whose RPC failed to start has its group division running already (seen: its FollowerState,
            // log worker and state machine threads outlived close()): close the division itself first.
            try {
                q.server.getDivision(GROUP_ID).close();
            } catch (IOException | RuntimeException ignored) {
                // no division to close
            }
            q.close();
            QuorumConfig.Voter self = config.self();
            throw new IllegalStateException("cannot start the controller quorum member " + config.nodeId() + " on "
                    + self.host() + ":" + self.port() + " (storage " + config.raftDir() + "): " + e.getMessage(), e);
        }
        // Often enough that a broker whose connection closed is fenced soon after its grace ends.
        long checkMs = Math.max(10, Math.min(100, config.sessionTimeoutMs() / 4));
        q.timer.scheduleWithFixedDelay(q.controller::doWork, checkMs, checkMs, TimeUnit.MILLISECONDS);
        // The balancer keeps its own interval; a tick of at most a second keeps it within a second of it.
        long balanceTickMs = Math.min(1000, balance.checkIntervalMs());
        q.timer.scheduleWithFixedDelay(() -> q.balancer.doWork(q.clock.milliseconds()), balanceTickMs, balanceTickMs,
                TimeUnit.MILLISECONDS);
        return q;
    }

    /**
     * Blocks until the quorum has a leader, the cluster id is set and this node's image has caught up with what the
     * quorum had committed when it asked (a {@code Barrier} command proposed and applied here). Until then the image
     * may be the replay of this node's own old Raft log, naming it leader of partitions that have moved on; nothing
     * should act on it before this returns. An observer first asks the leader to add it as a listener (until then
     * it hears nothing). A start-up wait, never on an event loop.
     *
     * @throws IllegalStateException when that takes longer than {@code timeout} (no majority of voters is up)
     */
    public void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!config.isVoter() && !ObserverMembership.join(config, voters, deadline)) {
            throw new IllegalStateException("the controller quorum " + config.voters() + " did not add observer "
                    + config.nodeId() + " (" + config.self().address() + ") as a listener within "
                    + timeout.toSeconds() + " s: is a majority of the voters running?");
        }
        while (view.clusterId().isEmpty() || controllerId() < 0) {
            if (System.nanoTime() > deadline) {
                throw noMajority(timeout);
            }
            Thread.sleep(10);
        }
        while (true) {
            long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (leftMs <= 0) {
                throw noMajority(timeout);
            }
            try {
                proposer.propose(Command.newBuilder().setBarrier(Barrier.getDefaultInstance()).build(), r -> null)
                        .get(leftMs, TimeUnit.MILLISECONDS);
                return;
            } catch (ExecutionException e) {
                log.info("controller quorum member {}: catching up with the quorum failed ({}); retrying",
                        config.nodeId(), e.getCause().getMessage());
                Thread.sleep(100);
            } catch (TimeoutException e) {
                throw noMajority(timeout);
            }
        }
    }

    private IllegalStateException noMajority(Duration timeout) {
        return new IllegalStateException("the controller quorum " + config.voters() + " has no leader (or this node"
                + " could not catch up with it) after " + timeout.toSeconds() + " s: is a majority of the voters running?");
    }

    // ---------------------------------------------------------------- changes

    @Override
    public CompletableFuture<TopicRecord> createTopic(String name, int partitions, int replicationFactor,
                                                      Map<String, String> configs) {
        return create(name, partitions, replicationFactor, configs, false);
    }

    @Override
    public CompletableFuture<TopicRecord> createInternalTopic(String name, int partitions, int replicationFactor,
                                                              Map<String, String> configs) {
        return create(name, partitions, replicationFactor, configs, true);
    }

    private CompletableFuture<TopicRecord> create(String name, int partitions, int replicationFactor,
                                                  Map<String, String> configs, boolean internal) {
        CreateTopic.Builder c = CreateTopic.newBuilder().setName(name == null ? "" : name)
                .setTopicId(UUID.randomUUID().toString()).setPartitions(partitions)
                .setReplicationFactor(replicationFactor).setInternal(internal)
                .setStartIndex(ThreadLocalRandom.current().nextInt(1 << 16));
        if (configs != null) {
            for (Map.Entry<String, String> e : configs.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    return CompletableFuture.failedFuture(new MetadataException(ErrorCode.INVALID_CONFIG,
                            "topic configs may not hold a null key or value (" + e.getKey() + ")"));
                }
                c.putConfigs(e.getKey(), e.getValue());
            }
        }
        CreateTopic command = c.build();
        // What the apply stores, built from the command: the view may have moved on when the answer is read.
        TopicRecord created = new TopicRecord(command.getName(), command.getTopicId(), partitions, replicationFactor,
                new TreeMap<>(command.getConfigsMap()), Topics.isInternal(command.getName()));
        return submit(Command.newBuilder().setCreateTopic(command).build(), r -> created);
    }

    @Override
    public CompletableFuture<Void> deleteTopic(String name) {
        return submit(Command.newBuilder().setDeleteTopic(DeleteTopic.newBuilder()
                .setName(name == null ? "" : name)).build(), r -> null);
    }

    @Override
    public CompletableFuture<Long> allocateProducerIds(int blockSize) {
        if (blockSize < 1) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("producer id block size " + blockSize
                    + " must be positive"));
        }
        return submit(Command.newBuilder().setAllocateProducerIds(AllocateProducerIds.newBuilder()
                .setBlockSize(blockSize)).build(), CommandResult::getFirstProducerId);
    }

    @Override
    public CompletableFuture<Long> registerBroker(BrokerRecord broker, String incarnationId) {
        return submit(Command.newBuilder().setRegisterBroker(RegisterBroker.newBuilder().setBrokerId(broker.nodeId())
                .setHost(broker.host()).setPort(broker.port()).setIncarnationId(incarnationId)).build(),
                CommandResult::getBrokerEpoch);
    }

    @Override
    public CompletableFuture<Boolean> brokerHeartbeat(int brokerId, long brokerEpoch) {
        return controller.heartbeat(brokerId, brokerEpoch);
    }

    @Override
    public CompletableFuture<Void> fenceBroker(int brokerId, long brokerEpoch) {
        return submit(Command.newBuilder().setFenceBroker(FenceBroker.newBuilder().setBrokerId(brokerId)
                .setBrokerEpoch(brokerEpoch)).build(), r -> null);
    }

    /**
     * The broker is stopping: as the active controller it fences no one from now on (its listener is about to drop
     * every heartbeat connection). Call before the listener stops.
     */
    public void beginShutdown() {
        controller.beginShutdown();
    }

    @Override
    public void brokerConnectionLost(int brokerId, long brokerEpoch, long graceMs) {
        controller.connectionLost(brokerId, brokerEpoch, graceMs);
    }

    @Override
    public CompletableFuture<PartitionRecord> alterPartition(AlterPartitionRequest request) {
        AlterPartition a = AlterPartition.newBuilder().setBrokerId(request.brokerId())
                .setBrokerEpoch(request.brokerEpoch()).setTopic(request.tp().topic())
                .setPartition(request.tp().partition()).setLeaderEpoch(request.leaderEpoch())
                .addAllNewIsr(request.newIsr()).setPartitionEpoch(request.partitionEpoch()).build();
        return submit(Command.newBuilder().setAlterPartition(a).build(),
                r -> ControllerCodec.fromState(r.getPartition()));
    }

    @Override
    public CompletableFuture<List<PreferredElection>> electPreferredLeaders(List<TopicPartition> partitions) {
        ElectPreferredLeaders.Builder e = ElectPreferredLeaders.newBuilder();
        for (TopicPartition tp : partitions) {
            e.addPartitions(PartitionId.newBuilder().setTopic(tp.topic()).setPartition(tp.partition()));
        }
        return submit(Command.newBuilder().setElectPreferredLeaders(e).build(), r -> {
            List<PreferredElection> out = new ArrayList<>(r.getElectionsCount());
            for (int i = 0; i < r.getElectionsCount(); i++) {
                PartitionElection p = r.getElections(i);
                ErrorCode code = ErrorCode.forNumber(p.getErrorCode());
                out.add(new PreferredElection(partitions.get(i), code == null ? ErrorCode.UNKNOWN_SERVER_ERROR : code,
                        p.getErrorMessage(), p.getLeaderId(), p.getLeaderEpoch()));
            }
            return out;
        });
    }

    private <T> CompletableFuture<T> submit(Command command, Function<CommandResult, T> value) {
        return proposer.propose(command, value);
    }

    /** Ratis callbacks about leadership; they must not block. */
    private final class Leadership implements ControllerStateMachine.LeadershipListener {
        @Override
        public void leaderChanged(RaftPeerId newLeader) {
            log.info("controller quorum leader is now {}", newLeader);
            if (proposer != null) {
                proposer.leaderChanged(newLeader);
            }
        }

        @Override
        public void leaderReady() {
            if (!view.clusterId().isEmpty()) {
                return;
            }
            String id = newClusterId();
            submit(Command.newBuilder().setInitCluster(InitCluster.newBuilder().setClusterId(id)).build(), r -> null)
                    .whenComplete((v, e) -> {
                        if (e != null) {
                            log.warn("proposing cluster id {} failed; the next leader proposes one: {}", id,
                                    e.getMessage());
                        } else if (id.equals(view.clusterId())) {
                            log.info("formed a new cluster {}", id);
                        }
                    });
        }
    }

    /** Kafka's form: a random UUID as 22 characters of URL-safe base64. */
    private static String newClusterId() {
        UUID uuid = UUID.randomUUID();
        ByteBuffer raw = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.array());
    }

    // ---------------------------------------------------------------- reads

    @Override
    public Optional<TopicRecord> topic(String name) {
        return view.topic(name);
    }

    @Override
    public List<TopicRecord> topics() {
        return view.topics();
    }

    @Override
    public Optional<PartitionRecord> partition(TopicPartition tp) {
        return view.partition(tp);
    }

    @Override
    public List<PartitionRecord> partitions(String topic) {
        return view.partitions(topic);
    }

    @Override
    public List<BrokerRecord> brokers() {
        List<BrokerRecord> live = new ArrayList<>();
        for (BrokerRegistration b : view.brokers()) {
            if (!b.fenced()) {
                live.add(b.endpoint());
            }
        }
        return live;
    }

    @Override
    public List<BrokerRegistration> registrations() {
        return view.brokers();
    }

    @Override
    public int controllerId() {
        DivisionInfo info = info();
        RaftPeerId leader = info == null ? null : info.getLeaderId();
        if (leader == null) {
            return -1;
        }
        try {
            return Integer.parseInt(leader.toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public boolean isActiveController() {
        DivisionInfo info = info();
        return info != null && info.isLeader() && info.isLeaderReady();
    }

    private DivisionInfo info() {
        try {
            return server.getDivision(GROUP_ID).getInfo();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public String clusterId() {
        return view.clusterId();
    }

    @Override
    public CompletableFuture<Void> addListener(MetadataListener listener) {
        return publisher.addListener(listener);
    }

    @Override
    public void removeListener(MetadataListener listener) {
        publisher.removeListener(listener);
    }

    /** The node this one's proposals go to first; for tests. */
    int proposalsAddressedTo() {
        RaftPeerId leader = proposer.addressedLeader();
        return leader == null ? -1 : Integer.parseInt(leader.toString());
    }

    /** A copy of the state machine's image, for tests that compare voters. */
    ClusterImage imageCopy() {
        return stateMachine.imageCopy();
    }

    /** Who the Ratis configuration known here holds, by node id: voters and listeners (tests). */
    record Members(Set<Integer> voters, Set<Integer> listeners) {
    }

    Members members() {
        try {
            RaftConfiguration conf = server.getDivision(GROUP_ID).getRaftConf();
            return new Members(ids(conf.getCurrentPeers(RaftPeerRole.FOLLOWER)),
                    ids(conf.getCurrentPeers(RaftPeerRole.LISTENER)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<Integer> ids(Collection<RaftPeer> peers) {
        Set<Integer> ids = new TreeSet<>();
        peers.forEach(p -> ids.add(Integer.parseInt(p.getId().toString())));
        return ids;
    }

    /** Whether this node's Ratis server is a listener now (tests: an observer must never be anything else). */
    boolean isRatisListener() {
        DivisionInfo info = info();
        return info != null && info.isListener();
    }

    /** How many snapshots the leader installed here since start (tests). */
    int snapshotInstalls() {
        return stateMachine.installs();
    }

    /** Forces a snapshot into the broker store now (tests; Ratis takes them on its own every few thousand entries). */
    long takeSnapshot() {
        try {
            return stateMachine.takeSnapshot();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int nodeId() {
        return config.nodeId();
    }

    /**
     * Stops the session checks, the Ratis client and server (a last snapshot first), then the metadata thread.
     * Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        timer.shutdownNow();
        try {
            proposer.close();
        } catch (IOException | RuntimeException e) {
            log.warn("closing the controller quorum client failed", e);
        }
        try {
            server.close();
        } catch (IOException | RuntimeException e) {
            log.warn("closing the controller quorum member {} failed", config.nodeId(), e);
        }
        publisher.close();
    }
}
