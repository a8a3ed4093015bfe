package io.sluice.broker.partition;

import io.netty.util.Timer;
import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.log.LogManager;
import io.sluice.broker.metadata.MetadataListener;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.broker.producer.ProducerStateManager;
import io.sluice.broker.producer.ProducerStateStore;
import io.sluice.broker.purgatory.DelayedOperation;
import io.sluice.broker.purgatory.Purgatory;
import io.sluice.proto.TopicPartition;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the partitions this broker hosts and the purgatories of the requests waiting on them. It follows
 * the metadata: a partition this broker is named leader of is opened, a deleted topic's logs are removed.
 *
 * <p>Thread-safety: the partition map is concurrent; creating and deleting partitions happens on the
 * metadata thread, lookups on any request thread.
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

    public ReplicaManager(int nodeId, LogManager logManager, LogConfig defaultLogConfig,
                          ProducerStateStore producerStates, Timer timer) {
        this(nodeId, logManager, defaultLogConfig, producerStates, timer, PartitionObserver.NONE);
    }

    public ReplicaManager(int nodeId, LogManager logManager, LogConfig defaultLogConfig,
                          ProducerStateStore producerStates, Timer timer, PartitionObserver observer) {
        this.nodeId = nodeId;
        this.observer = observer;
        this.logManager = logManager;
        this.defaultLogConfig = defaultLogConfig;
        this.producerStates = producerStates;
        this.fetchPurgatory = new Purgatory<>("fetch", timer);
        this.producePurgatory = new Purgatory<>("produce", timer);
    }

    public int nodeId() {
        return nodeId;
    }

    @Override
    public void onTopicCreated(TopicRecord topic, List<PartitionRecord> partitions) {
        LogConfig config = LogConfig.fromProperties(topic.configs(), defaultLogConfig);
        topicConfigs.put(topic.name(), config);
        for (PartitionRecord p : partitions) {
            if (p.leaderId() == nodeId) {
                becomeLeader(p.tp(), config, p.leaderEpoch());
            }
        }
    }

    @Override
    public void onTopicDeleted(TopicRecord topic) {
        topicConfigs.remove(topic.name());
        for (int p = 0; p < topic.partitions(); p++) {
            deletePartition(new TopicPartition(topic.name(), p));
        }
    }

    /**
     * A partition whose leadership moved to this broker (its leader was fenced) is opened here; one it leads again
     * at a newer epoch takes that epoch. Following a leader, and stepping down when leadership moves away, come
     * with data replication.
     */
    @Override
    public void onPartitionChanged(PartitionRecord p) {
        if (p.leaderId() != nodeId) {
            return;
        }
        Partition hosted = partitions.get(p.tp());
        LogConfig config = topicConfigs.get(p.tp().topic());
        if (hosted != null) {
            hosted.updateLeaderEpoch(p.leaderEpoch());
        } else if (config != null) {
            becomeLeader(p.tp(), config, p.leaderEpoch());
        }
    }

    /** Opens (or creates) the partition's log and starts leading it at {@code leaderEpoch}. */
    public Partition becomeLeader(TopicPartition tp, LogConfig config, int leaderEpoch) {
        return partitions.computeIfAbsent(tp, k -> {
            Log partitionLog = logManager.getOrCreateLog(tp, config);
            // A log loaded at start was opened with the broker's defaults: the topic's own settings win.
            if (!partitionLog.config().equals(config)) {
                partitionLog.updateConfig(config);
            }
            Partition partition = new Partition(tp, partitionLog, nodeId, leaderEpoch, new ProducerStateManager(tp, producerStates),
                    trafficOf(tp));
            try {
                observer.onCreated(partition);
            } catch (RuntimeException e) {
                log.warn("{}: registering its metrics failed; it serves without them", tp, e);
            }
            return partition;
        });
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
        Partition removed = partitions.remove(tp);
        fetchPurgatory.removeKey(tp);
        producePurgatory.removeKey(tp);
        if (removed != null) {
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

    public Purgatory<DelayedOperation> fetchPurgatory() {
        return fetchPurgatory;
    }

    public Purgatory<DelayedOperation> producePurgatory() {
        return producePurgatory;
    }

    /** Wakes the requests waiting on {@code partition} after its log end or high watermark moved. */
    public void onLogAppended(Partition partition) {
        TopicPartition tp = partition.topicPartition();
        producePurgatory.checkAndComplete(tp);
        fetchPurgatory.checkAndComplete(tp);
    }

    /** Snapshots every partition's producer state (periodically, and at a clean shutdown before the logs close). */
    public void snapshotProducerStates() {
        for (Partition p : partitions.values()) {
            p.onRetention();
            p.snapshotProducerState();
        }
    }

    /** Answers every parked request now (shutdown). */
    public void completeAllDelayed() {
        producePurgatory.completeAll();
        fetchPurgatory.completeAll();
    }
}
