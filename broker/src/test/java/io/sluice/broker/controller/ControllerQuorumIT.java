package io.sluice.broker.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.metadata.AlterPartitionRequest;
import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.testing.FreePorts;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A three-voter controller quorum in one JVM (ephemeral ports, temporary directories), with brokers 1, 2 and 3
 * registered and heartbeating to whichever voter is the active controller. Some tests add node 4, an observer (a
 * Ratis listener on a port of its own).
 */
class ControllerQuorumIT {
    private static final Logger log = LoggerFactory.getLogger(ControllerQuorumIT.class);
    private static final long SESSION_TIMEOUT_MS = 2000;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private final List<QuorumConfig.Voter> voters = new ArrayList<>();
    /** Ratis ports of the observers started so far, kept across their restarts. */
    private final Map<Integer, Integer> observerPorts = new HashMap<>();
    private final Map<Integer, BrokerStore> stores = new HashMap<>();
    private final Map<Integer, QuorumMetadataStore> running = new ConcurrentHashMap<>();
    private final Map<Integer, Long> epochs = new ConcurrentHashMap<>();
    /** Brokers whose heartbeats the pump sends. */
    private final Set<Integer> heartbeating = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService pump;
    /**
     * Where the test's brokers say they listen: a new controller probes each registered listener and ends the
     * session of a broker whose port refuses (ActiveController), so the port must be a real, open one.
     */
    private ServerSocket brokerListener;
    private long snapshotEvery = QuorumConfig.DEFAULT_SNAPSHOT_THRESHOLD;
    private int purgeGap = QuorumConfig.DEFAULT_PURGE_GAP;

    @BeforeEach
    void startQuorum() throws Exception {
        brokerListener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        for (int id = 1; id <= 3; id++) {
            voters.add(new QuorumConfig.Voter(id, "127.0.0.1", FreePorts.next()));
        }
        for (int id = 1; id <= 3; id++) {
            start(id);
        }
        awaitReady();
        for (int id = 1; id <= 3; id++) {
            BrokerRecord self = new BrokerRecord(id, "127.0.0.1", brokerListener.getLocalPort());
            epochs.put(id, get(anyVoter().registerBroker(self, "test-" + id)));
            heartbeating.add(id);
        }
        pump = Executors.newSingleThreadScheduledExecutor();
        pump.scheduleWithFixedDelay(this::heartbeats, 0, 200, TimeUnit.MILLISECONDS);
    }

    @AfterEach
    void stopQuorum() throws Exception {
        if (pump != null) {
            pump.shutdownNow();
            pump.awaitTermination(10, TimeUnit.SECONDS);
        }
        running.values().forEach(QuorumMetadataStore::close);
        stores.values().forEach(BrokerStore::close);
        if (brokerListener != null) {
            brokerListener.close();
        }
    }

    private void start(int id) {
        Path nodeDir = dir.resolve("node-" + id);
        BrokerStore store = stores.computeIfAbsent(id, k -> BrokerStore.open(BrokerStore.dirIn(nodeDir)));
        QuorumConfig.Voter observer = voters.stream().anyMatch(v -> v.id() == id) ? null
                : new QuorumConfig.Voter(id, "127.0.0.1", observerPorts.computeIfAbsent(id, k -> FreePorts.next()));
        QuorumConfig config = new QuorumConfig(id, voters, nodeDir.resolve("raft"), SESSION_TIMEOUT_MS,
                snapshotEvery, purgeGap, SESSION_TIMEOUT_MS * 2 / 9, observer);
        running.put(id, QuorumMetadataStore.start(config, store, Clock.SYSTEM));
    }

    private void stop(int id) {
        running.remove(id).close();
        stores.remove(id).close();
    }

    private void awaitReady() throws InterruptedException {
        for (QuorumMetadataStore q : running.values()) {
            q.awaitReady(WAIT);
        }
    }

    /** The pump: each heartbeating broker beats to the active controller, as BrokerLifecycle does over the wire. */
    private void heartbeats() {
        QuorumMetadataStore controller = activeController();
        if (controller == null) {
            return;
        }
        for (int id : heartbeating) {
            try {
                controller.brokerHeartbeat(id, epochs.get(id)).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // NOT_CONTROLLER during a failover: the next round finds the new one.
            }
        }
    }

    private QuorumMetadataStore activeController() {
        return running.values().stream().filter(QuorumMetadataStore::isActiveController).findFirst().orElse(null);
    }

    private QuorumMetadataStore anyVoter() {
        return running.values().iterator().next();
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    private static ErrorCode failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(MetadataException.class);
            return ((MetadataException) e.getCause()).errorCode();
        }
        throw new AssertionError("expected the change to be refused");
    }

    /** Every running voter's state machine image (and published view) equals the others'. */
    private void awaitVotersAgree() {
        await().atMost(WAIT).untilAsserted(() -> {
            List<ClusterImage> images = running.values().stream().map(QuorumMetadataStore::imageCopy).toList();
            assertThat(images).allSatisfy(i -> assertThat(i).isEqualTo(images.get(0)));
            List<List<TopicRecord>> topics = running.values().stream().map(QuorumMetadataStore::topics).toList();
            assertThat(topics).allSatisfy(t -> assertThat(t).isEqualTo(topics.get(0)));
        });
    }

    @Test
    void aTopicWithReplicationFactorThreeIsSpreadAndEveryVoterAgrees() throws Exception {
        TopicRecord t = get(running.get(2).createTopic("spread", 6, 3, Map.of()));
        assertThat(t.replicationFactor()).isEqualTo(3);
        List<PartitionRecord> ps = running.get(2).partitions("spread");
        Map<Integer, Integer> leaders = new HashMap<>();
        for (PartitionRecord p : ps) {
            assertThat(p.replicas()).hasSize(3).doesNotHaveDuplicates().containsExactlyInAnyOrder(1, 2, 3);
            assertThat(p.isr()).isEqualTo(p.replicas());
            assertThat(p.leaderId()).isEqualTo(p.replicas().get(0));
            assertThat(p.leaderEpoch()).isZero();
            leaders.merge(p.leaderId(), 1, Integer::sum);
        }
        assertThat(leaders).containsOnly(Map.entry(1, 2), Map.entry(2, 2), Map.entry(3, 2));
        assertThat(failure(running.get(1).createTopic("too-wide", 1, 4, Map.of())))
                .isEqualTo(ErrorCode.INVALID_REPLICATION_FACTOR);
        awaitVotersAgree();
        for (QuorumMetadataStore q : running.values()) {
            assertThat(q.partitions("spread")).isEqualTo(ps);
            assertThat(q.clusterId()).isEqualTo(running.get(1).clusterId()).isNotEmpty();
            assertThat(q.controllerId()).isEqualTo(activeController().nodeId());
        }
    }

    @Test
    void whenTheControllerDiesAnotherTakesOverAndChangesContinue() throws Exception {
        get(anyVoter().createTopic("before", 3, 3, Map.of()));
        // Every node proposes once, so that its quorum client knows the old controller as the leader.
        for (QuorumMetadataStore q : running.values()) {
            get(q.createTopic("before-" + q.nodeId(), 1, 1, Map.of()));
        }
        int old = activeController().nodeId();
        stop(old);
        await().atMost(WAIT).until(() -> activeController() != null);
        int next = activeController().nodeId();
        assertThat(next).isNotEqualTo(old);
        await().atMost(WAIT).until(() -> running.values().stream().allMatch(q -> q.controllerId() == next));
        // Proposals go to the new controller first, not to the stopped one (a request timeout there first: 3 s).
        await().atMost(WAIT).until(() -> running.values().stream().allMatch(q -> q.proposalsAddressedTo() == next));
        for (QuorumMetadataStore q : running.values()) {
            long t0 = System.nanoTime();
            get(q.createTopic("after-" + q.nodeId(), 2, 2, Map.of()));
            log.info("FAILOVER node {}'s first proposal after controller {} stopped: committed in {} ms", q.nodeId(),
                    old, (System.nanoTime() - t0) / 1_000_000);
        }
        // The old controller comes back as a follower and catches up.
        start(old);
        running.get(old).awaitReady(WAIT);
        awaitVotersAgree();
        assertThat(running.get(old).topics()).extracting(TopicRecord::name).contains("before", "after-" + next);
    }

    @Test
    void withoutAMajorityChangesFailAndResumeWhenOneVoterReturns() throws Exception {
        int survivor = activeController().nodeId();
        List<Integer> others = running.keySet().stream().filter(id -> id != survivor).toList();
        others.forEach(this::stop);
        assertThat(failure(running.get(survivor).createTopic("no-majority", 1, 1, Map.of())))
                .isEqualTo(ErrorCode.REQUEST_TIMED_OUT);
        start(others.get(0));
        awaitReady();
        get(running.get(survivor).createTopic("majority-again", 1, 1, Map.of()));
        awaitVotersAgree();
    }

    @Test
    void aBrokerWhoseHeartbeatsStopIsFencedAndItsPartitionsMoveToTheIsr() throws Exception {
        get(anyVoter().createTopic("moving", 6, 3, Map.of()));
        int victim = anyVoter().partition(new TopicPartition("moving", 0)).orElseThrow().leaderId();
        List<PartitionRecord> before = anyVoter().partitions("moving");
        heartbeating.remove(victim);
        await().atMost(WAIT).until(() -> registration(anyVoter(), victim).fenced());
        assertThat(anyVoter().brokers()).extracting(BrokerRecord::nodeId).doesNotContain(victim);
        awaitVotersAgree();
        for (PartitionRecord was : before) {
            PartitionRecord now = anyVoter().partition(was.tp()).orElseThrow();
            assertThat(now.isr()).doesNotContain(victim);
            assertThat(now.partitionEpoch()).isGreaterThan(was.partitionEpoch());
            if (was.leaderId() == victim) {
                assertThat(now.leaderId()).isNotEqualTo(victim).isIn(was.isr());
                assertThat(now.leaderEpoch()).isEqualTo(was.leaderEpoch() + 1);
            } else {
                assertThat(now.leaderId()).isEqualTo(was.leaderId());
                assertThat(now.leaderEpoch()).isEqualTo(was.leaderEpoch());
            }
        }
        // A topic created while it is fenced is not assigned to it.
        assertThat(failure(anyVoter().createTopic("three-wide", 1, 3, Map.of())))
                .isEqualTo(ErrorCode.INVALID_REPLICATION_FACTOR);
        // It heartbeats again: unfenced (leadership stays where it moved).
        heartbeating.add(victim);
        await().atMost(WAIT).until(() -> !registration(anyVoter(), victim).fenced());
        assertThat(anyVoter().brokers()).extracting(BrokerRecord::nodeId).contains(victim);
    }

    private static BrokerRegistration registration(QuorumMetadataStore q, int id) {
        return q.registrations().stream().filter(b -> b.nodeId() == id).findFirst().orElseThrow();
    }

    @Test
    void alterPartitionChecksLeaderAndPartitionEpochs() throws Exception {
        get(anyVoter().createTopic("isr", 1, 3, Map.of()));
        TopicPartition tp = new TopicPartition("isr", 0);
        PartitionRecord p = anyVoter().partition(tp).orElseThrow();
        int leader = p.leaderId();
        int follower = p.replicas().get(1);
        List<Integer> shrunk = new ArrayList<>(p.isr());
        shrunk.remove(Integer.valueOf(follower));

        PartitionRecord after = get(anyVoter().alterPartition(new AlterPartitionRequest(leader, epochs.get(leader), tp,
                p.leaderEpoch(), shrunk, p.partitionEpoch())));
        assertThat(after.isr()).isEqualTo(shrunk);
        assertThat(after.partitionEpoch()).isEqualTo(p.partitionEpoch() + 1);
        assertThat(after.leaderEpoch()).isEqualTo(p.leaderEpoch());

        // The same change again, against the partition epoch it already moved past.
        assertThat(failure(anyVoter().alterPartition(new AlterPartitionRequest(leader, epochs.get(leader), tp,
                p.leaderEpoch(), p.isr(), p.partitionEpoch())))).isEqualTo(ErrorCode.INVALID_UPDATE_VERSION);
        assertThat(failure(anyVoter().alterPartition(new AlterPartitionRequest(leader, epochs.get(leader), tp,
                p.leaderEpoch() - 1, p.isr(), after.partitionEpoch())))).isEqualTo(ErrorCode.FENCED_LEADER_EPOCH);
        assertThat(failure(anyVoter().alterPartition(new AlterPartitionRequest(follower, epochs.get(follower), tp,
                p.leaderEpoch(), p.isr(), after.partitionEpoch())))).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        assertThat(failure(anyVoter().alterPartition(new AlterPartitionRequest(leader, epochs.get(leader) - 1, tp,
                p.leaderEpoch(), p.isr(), after.partitionEpoch())))).isEqualTo(ErrorCode.STALE_BROKER_EPOCH);
        assertThat(failure(anyVoter().alterPartition(new AlterPartitionRequest(leader, epochs.get(leader), tp,
                p.leaderEpoch(), List.of(follower), after.partitionEpoch())))).isEqualTo(ErrorCode.INVALID_REQUEST);
        // The follower caught up again: the ISR expands.
        PartitionRecord expanded = get(anyVoter().alterPartition(new AlterPartitionRequest(leader, epochs.get(leader),
                tp, p.leaderEpoch(), p.isr(), after.partitionEpoch())));
        assertThat(expanded.isr()).containsExactlyInAnyOrderElementsOf(p.isr());
        awaitVotersAgree();
    }

    @Test
    void heartbeatsGoToTheActiveControllerOnly() throws Exception {
        QuorumMetadataStore controller = activeController();
        QuorumMetadataStore other = running.values().stream().filter(q -> q != controller).findFirst().orElseThrow();
        assertThat(failure(other.brokerHeartbeat(1, epochs.get(1)))).isEqualTo(ErrorCode.NOT_CONTROLLER);
        assertThat(get(controller.brokerHeartbeat(1, epochs.get(1)))).isFalse();
        assertThat(failure(controller.brokerHeartbeat(1, epochs.get(1) - 1))).isEqualTo(ErrorCode.STALE_BROKER_EPOCH);
    }

    @Test
    void restartingEveryVoterRecoversTheSameImageFromSnapshotAndLog() throws Exception {
        get(anyVoter().createTopic("snapshotted", 4, 3, Map.of("retention.ms", "1000")));
        get(anyVoter().allocateProducerIds(1000));
        awaitVotersAgree();
        for (QuorumMetadataStore q : running.values()) {
            assertThat(q.takeSnapshot()).isPositive();
        }
        // Changes after the snapshot come back from the Raft log.
        get(anyVoter().createTopic("logged", 2, 2, Map.of()));
        get(anyVoter().deleteTopic("snapshotted"));
        get(anyVoter().createTopic("snapshotted", 1, 1, Map.of()));
        long nextBlock = get(anyVoter().allocateProducerIds(10));
        awaitVotersAgree();
        ClusterImage before = running.get(1).imageCopy();
        String clusterId = running.get(1).clusterId();

        for (int id = 1; id <= 3; id++) {
            stop(id);
        }
        for (int id = 1; id <= 3; id++) {
            start(id);
        }
        awaitReady();
        awaitVotersAgree();
        for (QuorumMetadataStore q : running.values()) {
            ClusterImage after = q.imageCopy();
            // Fencing may have run meanwhile (no heartbeat reached a controller during the restart); the rest is equal.
            assertThat(after.topics()).containsExactlyElementsOf(before.topics());
            assertThat(after.allPartitions()).containsExactlyElementsOf(before.allPartitions());
            assertThat(after.clusterId()).isEqualTo(clusterId);
            assertThat(after.nextProducerId()).isEqualTo(nextBlock + 10);
            assertThat(after.brokers()).extracting(BrokerRegistration::brokerEpoch)
                    .containsExactlyElementsOf(before.brokers().stream().map(BrokerRegistration::brokerEpoch).toList());
        }
        assertThat(get(anyVoter().allocateProducerIds(1))).isEqualTo(nextBlock + 10);
    }

    @Test
    void aVoterThatLostItsDataGetsTheLeadersSnapshotInstalled() throws Exception {
        QuorumMetadataStore controller = activeController();
        int lost = running.values().stream().filter(q -> q != controller).findFirst().orElseThrow().nodeId();
        get(anyVoter().createTopic("before", 2, 3, Map.of()));
        awaitVotersAgree();
        stop(lost);
        deleteRecursively(dir.resolve("node-" + lost));
        // The survivors snapshot every few entries and purge their logs up to the snapshots.
        for (int id : running.keySet()) {
            stop(id);
        }
        snapshotEvery = 5;
        purgeGap = 1;
        for (int id = 1; id <= 3; id++) {
            if (id != lost) {
                start(id);
            }
        }
        awaitReady();
        for (int i = 0; i < 20; i++) {
            get(anyVoter().createTopic("during-" + i, 1, 2, Map.of()));
        }
        get(anyVoter().deleteTopic("before"));
        awaitVotersAgree();
        start(lost);
        running.get(lost).awaitReady(WAIT);
        awaitVotersAgree();
        assertThat(running.get(lost).topics()).extracting(TopicRecord::name).contains("during-19")
                .doesNotContain("before");
        assertThat(running.get(lost).snapshotInstalls()).isPositive();
        // And it keeps applying what comes after the snapshot.
        get(running.get(lost).createTopic("after", 1, 1, Map.of()));
        awaitVotersAgree();
    }

    // ---------------------------------------------------------------- an observer (node 4, not a voter)

    /** Starts observer {@code id} and waits until it is a listener that has caught up. */
    private QuorumMetadataStore startObserver(int id) throws InterruptedException {
        start(id);
        running.get(id).awaitReady(WAIT);
        return running.get(id);
    }

    /** Every running node knows the same Ratis configuration: voters 1, 2, 3 and the observers as listeners. */
    private void awaitMembers(Set<Integer> listeners) {
        await().atMost(WAIT).untilAsserted(() -> {
            for (QuorumMetadataStore q : running.values()) {
                assertThat(q.members()).as("node " + q.nodeId())
                        .isEqualTo(new QuorumMetadataStore.Members(Set.of(1, 2, 3), listeners));
            }
        });
    }

    @Test
    void anObserverFollowsTheMetadataAndIsNeverTheController() throws Exception {
        get(anyVoter().createTopic("before", 3, 3, Map.of()));
        QuorumMetadataStore observer = startObserver(4);
        awaitMembers(Set.of(4));
        assertThat(observer.isRatisListener()).isTrue();
        assertThat(observer.isActiveController()).isFalse();
        assertThat(observer.controllerId()).isEqualTo(activeController().nodeId());
        assertThat(observer.clusterId()).isEqualTo(running.get(1).clusterId()).isNotEmpty();
        assertThat(observer.topics()).extracting(TopicRecord::name).contains("before");
        assertThat(failure(observer.brokerHeartbeat(1, epochs.get(1)))).isEqualTo(ErrorCode.NOT_CONTROLLER);
        // It proposes through the voters: it registers, heartbeats to the controller, and a topic spreads onto it.
        BrokerRecord four = new BrokerRecord(4, "127.0.0.1", brokerListener.getLocalPort());
        epochs.put(4, get(observer.registerBroker(four, "test-4")));
        heartbeating.add(4);
        TopicRecord wide = get(observer.createTopic("four-wide", 4, 4, Map.of()));
        assertThat(wide.replicationFactor()).isEqualTo(4);
        assertThat(observer.partitions("four-wide")).extracting(PartitionRecord::leaderId).contains(4);
        awaitVotersAgree();
        assertThat(observer.imageCopy()).isEqualTo(running.get(1).imageCopy());
        assertThat(observer.isRatisListener()).isTrue();
    }

    @Test
    void anObserverFollowsANewControllerAndRejoinsAfterARestart() throws Exception {
        QuorumMetadataStore observer = startObserver(4);
        int old = activeController().nodeId();
        stop(old);
        await().atMost(WAIT).until(() -> activeController() != null);
        int next = activeController().nodeId();
        await().atMost(WAIT).until(() -> observer.controllerId() == next);
        get(observer.createTopic("after-failover", 2, 2, Map.of()));
        assertThat(observer.isActiveController()).isFalse();
        assertThat(observer.isRatisListener()).isTrue();
        start(old);
        running.get(old).awaitReady(WAIT);

        // A restart asks to be added again: a no-op, the configuration keeps one listener and the same voters.
        stop(4);
        get(anyVoter().createTopic("while-away", 1, 3, Map.of()));
        QuorumMetadataStore back = startObserver(4);
        awaitMembers(Set.of(4));
        awaitVotersAgree();
        assertThat(back.topics()).extracting(TopicRecord::name).contains("after-failover", "while-away");
        assertThat(back.isRatisListener()).isTrue();
        assertThat(back.controllerId()).isEqualTo(activeController().nodeId());
    }

    @Test
    void anObserverThatJoinsLateGetsTheLeadersSnapshotInstalled() throws Exception {
        get(anyVoter().createTopic("before", 2, 3, Map.of()));
        // The voters snapshot every few entries and purge their logs up to the snapshots.
        for (int id : List.copyOf(running.keySet())) {
            stop(id);
        }
        snapshotEvery = 5;
        purgeGap = 1;
        for (int id = 1; id <= 3; id++) {
            start(id);
        }
        awaitReady();
        for (int i = 0; i < 20; i++) {
            get(anyVoter().createTopic("during-" + i, 1, 2, Map.of()));
        }
        get(anyVoter().deleteTopic("before"));
        awaitVotersAgree();
        QuorumMetadataStore observer = startObserver(4);
        awaitVotersAgree();
        assertThat(observer.topics()).extracting(TopicRecord::name).contains("during-19").doesNotContain("before");
        assertThat(observer.snapshotInstalls()).isPositive();
        awaitMembers(Set.of(4));
        get(observer.createTopic("after", 1, 1, Map.of()));
        awaitVotersAgree();
        // The voters restart on purged logs: the configuration with the listener in it survives (Ratis keeps it
        // beside the snapshot), so the observer, still running, keeps getting the changes.
        for (int id = 1; id <= 3; id++) {
            stop(id);
        }
        for (int id = 1; id <= 3; id++) {
            start(id);
        }
        for (int id = 1; id <= 3; id++) {
            running.get(id).awaitReady(WAIT);
        }
        get(running.get(1).createTopic("after-voters-restarted", 1, 1, Map.of()));
        awaitVotersAgree();
        awaitMembers(Set.of(4));
        assertThat(observer.isRatisListener()).isTrue();
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
