package io.sluice.broker.partition;

import io.netty.util.Timer;
import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.log.LogManager;
import io.sluice.broker.metadata.MetadataListener;
import io.sluice.broker.metadata.Topics;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.broker.producer.ProducerStateManager;
import io.sluice.broker.producer.ProducerStateStore;
import io.sluice.broker.purgatory.DelayedOperation;
import io.sluice.broker.purgatory.Purgatory;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the partitions this broker hosts, as leader or follower, and the purgatories of the requests waiting on
 * them. It follows the metadata: a partition this broker is named leader of is opened, a deleted topic's logs
 * are removed. {@link #becomeLeader} and {@link #becomeFollower} are the leadership changes, made as the
 * controller's partition changes arrive ({@link #onPartitionChanged}; tests may call them by hand).
 *
 * <p>Leader side of replication: follower fetches are recorded with {@link #recordFollowerFetch}; a periodic
 * task on the purgatory timer (every half {@code replica.lag.time.max.ms}) proposes ISR shrinks, and a follower
 * that reaches the high watermark is proposed for expansion, both through the {@link IsrChangeSender}. Whenever
 * the high watermark or the ISR moves, the produce and fetch purgatories are rechecked.
 *
 * <p>Thread-safety: the partition map is concurrent; creating and deleting partitions happens on the
 * metadata thread, lookups on any request thread. Role changes are serialized by {@code this}' monitor
 * (never held across I/O other than opening a log). {@code fetchers} and {@code replicationConfig} are volatile.
 */
public final class ReplicaManager implements MetadataListener {
    private static final Logger log = LoggerFactory.getLogger(ReplicaManager.class);

    private final int nodeId;
    private final LogManager logManager;
    private final LogConfig defaultLogConfig;
    private final ProducerStateStore producerStates;
    private final ConcurrentHashMap<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    /** The log settings of every topic the metadata knows (metadata thread writes, any thread reads). */
    private final ConcurrentHashMap<String, LogConfig> topicConfigs = new ConcurrentHashMap<>();
    private final Purgatory<DelayedOperation> fetchPurgatory;
    private final Purgatory<DelayedOperation> producePurgatory;
    private final PartitionObserver observer;
    private final Clock clock;
    private final Timer timer;
    private volatile IsrChangeSender isrChanges;
    /** Topic-level min.insync.replicas, for topics that set it. */
    private final ConcurrentHashMap<String, Integer> topicMinInsyncReplicas = new ConcurrentHashMap<>();
    private volatile ReplicationConfig replicationConfig = ReplicationConfig.DEFAULT;
    private volatile ReplicaFetchers fetchers;
    /** Told of every leadership change made here (copy-on-write: added at start, read under the role monitor). */
    private final List<LeadershipListener> leadershipListeners = new CopyOnWriteArrayList<>();
    private volatile boolean stopped;
    /** The ISR-check chain that is current: a settings change starts a new one at the new interval. */
    private final AtomicLong isrCheckGeneration = new AtomicLong();
    private final AtomicLong isrShrinks = new AtomicLong();
    private final AtomicLong isrExpands = new AtomicLong();

    public ReplicaManager(int nodeId, LogManager logManager, LogConfig defaultLogConfig,
                          ProducerStateStore producerStates, Timer timer) {
        this(nodeId, logManager, defaultLogConfig, producerStates, timer, PartitionObserver.NONE);
    }

    public ReplicaManager(int nodeId, LogManager logManager, LogConfig defaultLogConfig,
                          ProducerStateStore producerStates, Timer timer, PartitionObserver observer) {
        this(nodeId, logManager, defaultLogConfig, producerStates, timer, observer, Clock.SYSTEM, null);
    }

    /**
     * @param isrChanges where ISR changes go; null applies them locally ({@link LocalIsrChangeSender}), for tests
     *                   that drive leadership without a controller
     */
    public ReplicaManager(int nodeId, LogManager logManager, LogConfig defaultLogConfig,
                          ProducerStateStore producerStates, Timer timer, PartitionObserver observer, Clock clock,
                          IsrChangeSender isrChanges) {
        this(nodeId, logManager, defaultLogConfig, producerStates, timer, observer, clock, isrChanges,
                ReplicationConfig.DEFAULT);
    }

    /**
     * @param isrChanges         where ISR changes go (the broker: AlterPartition to the controller); null applies them
     *                           locally ({@link LocalIsrChangeSender}), for tests that drive leadership by hand
     * @param replicationConfig  the broker's {@code replica.lag.time.max.ms} and {@code min.insync.replicas}
     */
    public ReplicaManager(int nodeId, LogManager logManager, LogConfig defaultLogConfig,
                          ProducerStateStore producerStates, Timer timer, PartitionObserver observer, Clock clock,
                          IsrChangeSender isrChanges, ReplicationConfig replicationConfig) {
        this.nodeId = nodeId;
        this.replicationConfig = replicationConfig;
        this.observer = observer;
        this.logManager = logManager;
        this.defaultLogConfig = defaultLogConfig;
        this.producerStates = producerStates;
        this.clock = clock;
        this.timer = timer;
        this.isrChanges = isrChanges != null ? isrChanges : new LocalIsrChangeSender(this::onHighWatermarkOrIsrChanged);
        this.fetchPurgatory = new Purgatory<>("fetch", timer);
        this.producePurgatory = new Purgatory<>("produce", timer);
        scheduleIsrCheck(isrCheckGeneration.get());
    }

    /** Replaces the replication settings (at start, from the broker config); the ISR check follows the new lag time. */
    public void updateReplicationConfig(ReplicationConfig config) {
        this.replicationConfig = config;
        scheduleIsrCheck(isrCheckGeneration.incrementAndGet());
    }

    public ReplicationConfig replicationConfig() {
        return replicationConfig;
    }

    /**
     * Replaces where ISR changes go. For tests that drive leadership by hand, without the controller knowing the
     * partition: they apply the changes locally ({@link LocalIsrChangeSender}).
     */
    public void attachIsrChangeSender(IsrChangeSender sender) {
        this.isrChanges = sender;
    }

    /** Attaches the follower side: without it this broker can lead but not follow. */
    public void attachFetchers(ReplicaFetchers fetchers) {
        this.fetchers = fetchers;
    }

    /**
     * Tells {@code listener} of every leadership change from now on, and right away of the partitions this broker
     * leads already (under the role monitor, so no change falls between the two).
     */
    public synchronized void addLeadershipListener(LeadershipListener listener) {
        leadershipListeners.add(listener);
        for (Partition p : partitions.values()) {
            if (p.isLeader()) {
                listener.onBecameLeader(p.topicPartition(), p.leaderEpoch());
            }
        }
    }

    /** min.insync.replicas of {@code topic}: its own setting, else the broker's. */
    public int minInsyncReplicas(String topic) {
        Integer own = topicMinInsyncReplicas.get(topic);
        return own != null ? own : replicationConfig.minInsyncReplicas();
    }

    /** Sets (or, with null, clears) the topic-level min.insync.replicas of {@code topic}. */
    public void setTopicMinInsyncReplicas(String topic, Integer value) {
        if (value == null) {
            topicMinInsyncReplicas.remove(topic);
        } else {
            topicMinInsyncReplicas.put(topic, value);
        }
    }

    public int nodeId() {
        return nodeId;
    }

    @Override
    public void onTopicCreated(TopicRecord topic, List<PartitionRecord> partitions) {
        LogConfig config = LogConfig.fromProperties(topic.configs(), defaultLogConfig);
        topicConfigs.put(topic.name(), config);
        String minIsr = topic.configs().get(Topics.MIN_INSYNC_REPLICAS);
        setTopicMinInsyncReplicas(topic.name(), minIsr == null ? null : Integer.valueOf(minIsr.trim()));
        for (PartitionRecord p : partitions) {
            onPartitionChanged(p);
        }
    }

    @Override
    public void onTopicDeleted(TopicRecord topic) {
        topicConfigs.remove(topic.name());
        topicMinInsyncReplicas.remove(topic.name());
        for (int p = 0; p < topic.partitions(); p++) {
            deletePartition(new TopicPartition(topic.name(), p));
        }
    }

    /**
     * Follows the controller's decisions: leader here at a newer epoch → lead; leader here at the same epoch → take
     * the committed ISR (leading again would forget what is known of the followers); another replica leads → follow
     * it. A partition this broker is not a replica of is left alone (deletion comes with the topic).
     */
    @Override
    public void onPartitionChanged(PartitionRecord p) {
        LogConfig config = topicConfigs.get(p.tp().topic());
        if (config == null || !p.replicas().contains(nodeId)) {
            return;
        }
        Partition hosted = partitions.get(p.tp());
        if (p.leaderId() == nodeId) {
            if (hosted != null && hosted.isLeader() && hosted.leaderEpoch() == p.leaderEpoch()) {
                List<Integer> before = hosted.inSyncReplicas();
                if (hosted.applyIsr(p.leaderEpoch(), p.partitionEpoch(), p.isr())) {
                    countIsrChange(before, hosted.inSyncReplicas());
                    log.info("{}: ISR is now {} (partition epoch {})", p.tp(), hosted.inSyncReplicas(),
                            p.partitionEpoch());
                }
                // The high watermark may have moved, or the ISR fallen below min.insync.replicas.
                onHighWatermarkOrIsrChanged(hosted);
            } else {
                becomeLeader(p.tp(), config, p.leaderEpoch(), p.partitionEpoch(), p.replicas(), p.isr());
            }
        } else if (p.leaderId() >= 0) {
            if (fetchers == null) {
                log.warn("{}: broker {} leads at epoch {}, but this broker has no replica fetchers to follow it", p.tp(),
                        p.leaderId(), p.leaderEpoch());
                return;
            }
            if (hosted != null && !hosted.isLeader() && hosted.leaderId() == p.leaderId()
                    && hosted.leaderEpoch() == p.leaderEpoch()) {
                return; // only the ISR changed: the fetcher carries on (a restart would truncate again)
            }
            becomeFollower(p.tp(), config, p.leaderId(), p.leaderEpoch());
        }
    }

    /** Opens (or creates) the partition's log and leads it alone (single node) at {@code leaderEpoch}. */
    public Partition becomeLeader(TopicPartition tp, LogConfig config, int leaderEpoch) {
        return becomeLeader(tp, config, leaderEpoch, List.of(nodeId), List.of(nodeId));
    }

    /**
     * Opens (or creates) the partition's log and leads it at {@code leaderEpoch} with {@code replicas} and the
     * in-sync set {@code isr}: its fetcher (if it was a follower) stops, requests of older epochs are fenced from
     * now on, and what was known of the followers starts afresh. An epoch older than the partition's is ignored.
     */
    public Partition becomeLeader(TopicPartition tp, LogConfig config, int leaderEpoch, List<Integer> replicas,
                                  List<Integer> isr) {
        return becomeLeader(tp, config, leaderEpoch, -1, replicas, isr);
    }

    /**
     * {@link #becomeLeader(TopicPartition, LogConfig, int, List, List)} with the controller's partition epoch of the
     * record (sent back with the ISR changes this leader proposes).
     */
    public synchronized Partition becomeLeader(TopicPartition tp, LogConfig config, int leaderEpoch, int partitionEpoch,
                                               List<Integer> replicas, List<Integer> isr) {
        Partition partition = partitions.computeIfAbsent(tp, k -> {
            Partition created = create(tp, config, leaderEpoch);
            if (replicas.size() > 1) {
                created.startReplicated(logManager.checkpointedHighWatermark(tp));
            }
            return created;
        });
        ReplicaFetchers f = fetchers;
        if (f != null) {
            f.removePartition(tp);
        }
        if (!partition.makeLeader(leaderEpoch, partitionEpoch, replicas, isr)) {
            log.info("{}: not leading at epoch {}: the partition is already at epoch {}", tp, leaderEpoch,
                    partition.leaderEpoch());
        } else {
            for (LeadershipListener l : leadershipListeners) {
                notify(tp, () -> l.onBecameLeader(tp, leaderEpoch));
            }
        }
        onHighWatermarkOrIsrChanged(partition);
        return partition;
    }

    /**
     * Opens (or creates) the partition's log and follows {@code leaderId} at {@code leaderEpoch}: produces are
     * refused, waiting ones answered NOT_LEADER_OR_FOLLOWER, and the fetcher first truncates the log to where it
     * agrees with the leader's (OffsetsForLeaderEpoch), then copies from it. An epoch older than the partition's is
     * ignored.
     *
     * @throws IllegalStateException when no fetchers are attached
     */
    public synchronized Partition becomeFollower(TopicPartition tp, LogConfig config, int leaderId, int leaderEpoch) {
        ReplicaFetchers f = fetchers;
        if (f == null) {
            throw new IllegalStateException(tp + ": cannot follow broker " + leaderId + ": no replica fetchers attached");
        }
        Partition partition = partitions.computeIfAbsent(tp, k -> {
            Partition created = create(tp, config, leaderEpoch);
            created.startReplicated(logManager.checkpointedHighWatermark(tp));
            created.makeFollower(leaderEpoch, leaderId);
            return created;
        });
        if (!partition.makeFollower(leaderEpoch, leaderId)) {
            log.info("{}: not following {} at epoch {}: the partition is already at epoch {}", tp, leaderId, leaderEpoch,
                    partition.leaderEpoch());
            return partition;
        }
        for (LeadershipListener l : leadershipListeners) {
            notify(tp, () -> l.onStoppedLeading(tp));
        }
        onHighWatermarkOrIsrChanged(partition);
        f.addPartition(partition, leaderId, leaderEpoch);
        return partition;
    }

    private static void notify(TopicPartition tp, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.error("{}: a leadership listener failed; the role change stands", tp, e);
        }
    }

    private Partition create(TopicPartition tp, LogConfig config, int leaderEpoch) {
        Log partitionLog = logManager.getOrCreateLog(tp, config);
        // A log loaded at start was opened with the broker's defaults: the topic's own settings win.
        if (!partitionLog.config().equals(config)) {
            partitionLog.updateConfig(config);
        }
        Partition partition = new Partition(tp, partitionLog, nodeId, leaderEpoch, new ProducerStateManager(tp, producerStates),
                trafficOf(tp), clock);
        try {
            observer.onCreated(partition);
        } catch (RuntimeException e) {
            log.warn("{}: registering its metrics failed; it serves without them", tp, e);
        }
        return partition;
    }

    private PartitionTraffic trafficOf(TopicPartition tp) {
        try {
            return observer.trafficOf(tp);
        } catch (RuntimeException e) {
            log.warn("{}: creating its traffic counters failed; its traffic goes uncounted", tp, e);
            return PartitionTraffic.NONE;
        }
    }

    /** Stops hosting the partition and deletes its log; requests waiting on it are answered now. */
    public void deletePartition(TopicPartition tp) {
        ReplicaFetchers f = fetchers;
        if (f != null) {
            f.removePartition(tp);
        }
        Partition removed = partitions.remove(tp);
        fetchPurgatory.removeKey(tp);
        producePurgatory.removeKey(tp);
        if (removed != null) {
            if (removed.isLeader()) {
                for (LeadershipListener l : leadershipListeners) {
                    notify(tp, () -> l.onStoppedLeading(tp));
                }
            }
            try {
                observer.onDeleted(removed);
            } catch (RuntimeException e) {
                log.warn("{}: removing its metrics failed", tp, e);
            }
            removed.clearProducerState();
            logManager.deleteLog(tp);
        }
    }

    /** The partition, or null when this broker does not host it. */
    public Partition partition(TopicPartition tp) {
        return partitions.get(tp);
    }

    public Collection<Partition> partitions() {
        return Collections.unmodifiableCollection(partitions.values());
    }

    /** Committed ISR changes of partitions this broker led that removed a replica (Kafka's IsrShrinksPerSec). */
    public long isrShrinks() {
        return isrShrinks.get();
    }

    /** Committed ISR changes of partitions this broker led that added a replica (Kafka's IsrExpandsPerSec). */
    public long isrExpands() {
        return isrExpands.get();
    }

    private void countIsrChange(List<Integer> before, List<Integer> after) {
        if (!before.containsAll(after)) {
            isrExpands.incrementAndGet();
        }
        if (!after.containsAll(before)) {
            isrShrinks.incrementAndGet();
        }
    }

    /** The high watermark of every hosted partition now, for the log manager's checkpoint. */
    public Map<TopicPartition, Long> highWatermarks() {
        Map<TopicPartition, Long> out = new HashMap<>();
        partitions.forEach((tp, p) -> out.put(tp, p.highWatermark()));
        return out;
    }

    public Purgatory<DelayedOperation> fetchPurgatory() {
        return fetchPurgatory;
    }

    public Purgatory<DelayedOperation> producePurgatory() {
        return producePurgatory;
    }

    /** Wakes the requests waiting on {@code partition} after its log end or high watermark moved. */
    public void onLogAppended(Partition partition) {
        onHighWatermarkOrIsrChanged(partition);
    }

    /** Rechecks the requests waiting on {@code partition}: its high watermark, ISR or role changed. */
    public void onHighWatermarkOrIsrChanged(Partition partition) {
        TopicPartition tp = partition.topicPartition();
        producePurgatory.checkAndComplete(tp);
        fetchPurgatory.checkAndComplete(tp);
    }

    /**
     * Records a fetch by follower {@code replicaId} from {@code fetchOffset} (its log end): the high watermark may
     * move (waiting requests are woken) and a follower that reached it is proposed for the ISR.
     *
     * @return false when this broker does not lead {@code partition} or {@code replicaId} is not one of its followers
     */
    public boolean recordFollowerFetch(Partition partition, int replicaId, long fetchOffset) {
        Partition.FollowerFetch result = partition.updateFollowerFetchState(replicaId, fetchOffset, clock.milliseconds());
        if (result == null) {
            return false;
        }
        if (result.highWatermarkMoved()) {
            onHighWatermarkOrIsrChanged(partition);
        }
        if (result.proposedIsr() != null && isrChanges.propose(partition, result.leaderEpoch(), result.proposedIsr())) {
            log.info("{}: follower {} caught up to the high watermark {}; proposed ISR {}", partition.topicPartition(),
                    replicaId, partition.highWatermark(), result.proposedIsr());
        }
        return true;
    }

    /**
     * Proposes, for every partition this broker leads, an ISR without the followers that have not caught up within
     * {@code replica.lag.time.max.ms}. Runs on the purgatory timer every half that time; tests call it directly.
     */
    public void maybeShrinkIsr() {
        long now = clock.milliseconds();
        long lagMax = replicationConfig.replicaLagTimeMaxMs();
        for (Partition p : partitions.values()) {
            int epoch = p.leaderEpoch();
            List<Integer> proposal = p.shrinkIsrProposal(now, lagMax);
            List<Integer> was = p.inSyncReplicas();
            if (proposal != null && isrChanges.propose(p, epoch, proposal)) {
                log.info("{}: followers not caught up within {} ms; proposed ISR {} (was {})", p.topicPartition(), lagMax,
                        proposal, was);
            }
        }
    }

    /** Schedules the next ISR check of the chain {@code generation}; a chain replaced by a newer one stops. */
    private void scheduleIsrCheck(long generation) {
        if (timer == null || stopped || generation != isrCheckGeneration.get()) {
            return;
        }
        long delay = Math.max(10, replicationConfig.replicaLagTimeMaxMs() / 2);
        try {
            timer.newTimeout(t -> {
                try {
                    maybeShrinkIsr();
                } catch (RuntimeException e) {
                    log.warn("ISR check failed; retrying at the next one", e);
                }
                scheduleIsrCheck(generation);
            }, delay, TimeUnit.MILLISECONDS);
        } catch (IllegalStateException e) {
            // The timer was stopped: the broker is shutting down.
        }
    }

    /** Snapshots every partition's producer state (periodically, and at a clean shutdown before the logs close). */
    public void snapshotProducerStates() {
        for (Partition p : partitions.values()) {
            p.onRetention();
            p.snapshotProducerState();
        }
    }

    /** Shutdown: stops the replica fetchers and the ISR checks, then answers every parked request now. */
    public void completeAllDelayed() {
        stopped = true;
        ReplicaFetchers f = fetchers;
        if (f != null) {
            try {
                f.close();
            } catch (RuntimeException e) {
                log.warn("stopping the replica fetchers failed", e);
            }
        }
        producePurgatory.completeAll();
        fetchPurgatory.completeAll();
    }
}
