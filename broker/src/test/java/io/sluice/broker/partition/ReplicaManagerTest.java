package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.HashedWheelTimer;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.log.LogManager;
import io.sluice.broker.producer.ProducerStateStore;
import io.sluice.broker.purgatory.DelayedOperation;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.testing.ManualClock;
import io.sluice.broker.testing.TestBatches;
import io.sluice.proto.TopicPartition;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leader side driven step by step: follower fetches and ISR checks under a manual clock, no network. */
class ReplicaManagerTest {
    @TempDir
    Path dir;

    private final TopicPartition tp = new TopicPartition("t", 0);
    private final ManualClock clock = new ManualClock(1_000_000);
    private final LogConfig config = LogConfig.DEFAULT.withSegmentBytes(1 << 20).withPrefillBytes(0);
    private LogManager logs;
    private BrokerStore store;
    private HashedWheelTimer timer;
    private ReplicaManager replicas;

    @BeforeEach
    void open() {
        logs = new LogManager(List.of(dir.resolve("data")), config, clock, 3_600_000, 3_600_000, 3_600_000);
        store = BrokerStore.open(dir.resolve("meta"));
        timer = new HashedWheelTimer();
        replicas = new ReplicaManager(1, logs, config, new ProducerStateStore(store), timer, PartitionObserver.NONE, clock,
                null);
        replicas.updateReplicationConfig(new ReplicationConfig(1_000, 2));
    }

    @AfterEach
    void close() {
        replicas.completeAllDelayed();
        timer.stop();
        logs.close();
        store.close();
    }

    /** Parks an operation on {@code tp} that completes once the high watermark reaches {@code offset}. */
    private AtomicInteger waitForHighWatermark(Partition p, long offset) {
        AtomicInteger completed = new AtomicInteger();
        replicas.producePurgatory().tryCompleteElseWatch(new DelayedOperation(60_000) {
            @Override
            public boolean tryComplete() {
                return p.highWatermark() >= offset && forceComplete();
            }

            @Override
            protected void onComplete() {
                completed.incrementAndGet();
            }

            @Override
            protected void onCompleteFailed(RuntimeException e) {
                throw e;
            }
        }, List.of(tp));
        return completed;
    }

    @Test
    void aFollowerFetchThatMovesTheHighWatermarkCompletesWaitingProduces() {
        Partition p = replicas.becomeLeader(tp, config, 1, List.of(1, 2), List.of(1, 2));
        p.appendAsLeader(TestBatches.batch(0, 10, 10, 1));
        AtomicInteger completed = waitForHighWatermark(p, 10);
        assertThat(completed).hasValue(0);
        assertThat(replicas.recordFollowerFetch(p, 2, 4)).isTrue();
        assertThat(completed).hasValue(0);
        replicas.recordFollowerFetch(p, 2, 10);
        assertThat(p.highWatermark()).isEqualTo(10);
        assertThat(completed).hasValue(1);
        assertThat(replicas.recordFollowerFetch(p, 3, 10)).as("not a replica").isFalse();
    }

    @Test
    void aLaggingFollowerIsShrunkOutOfTheIsrWhichReleasesTheHighWatermark() {
        Partition p = replicas.becomeLeader(tp, config, 1, List.of(1, 2, 3), List.of(1, 2, 3));
        p.appendAsLeader(TestBatches.batch(0, 10, 10, 1));
        replicas.recordFollowerFetch(p, 2, 10);
        AtomicInteger completed = waitForHighWatermark(p, 10);
        clock.advance(900);
        replicas.maybeShrinkIsr();
        assertThat(p.inSyncReplicas()).containsExactly(1, 2, 3);
        clock.advance(200);
        replicas.recordFollowerFetch(p, 2, 10);
        replicas.maybeShrinkIsr();
        assertThat(p.inSyncReplicas()).containsExactly(1, 2);
        assertThat(p.highWatermark()).isEqualTo(10);
        assertThat(completed).hasValue(1);

        // Broker 3 comes back and reaches the high watermark: it is in sync again.
        replicas.recordFollowerFetch(p, 3, 5);
        assertThat(p.inSyncReplicas()).containsExactly(1, 2);
        replicas.recordFollowerFetch(p, 3, 10);
        assertThat(p.inSyncReplicas()).containsExactly(1, 2, 3);
    }

    @Test
    void aReplicatedPartitionOpenedOnExistingDataWaitsForItsFollowersBeforeExposingIt() {
        Partition single = replicas.becomeLeader(tp, config, 1);
        single.appendAsLeader(TestBatches.batch(0, 10, 10, 1));
        assertThat(single.highWatermark()).isEqualTo(10);
        replicas.deletePartition(tp);
        logs.getOrCreateLog(tp, config).appendAsLeader(TestBatches.batch(0, 10, 10, 1), 1);
        Partition reopened = replicas.becomeLeader(tp, config, 2, List.of(1, 2), List.of(1, 2));
        assertThat(reopened.highWatermark()).as("not known to be committed").isZero();
        replicas.recordFollowerFetch(reopened, 2, 10);
        assertThat(reopened.highWatermark()).isEqualTo(10);
    }

    @Test
    void minInsyncReplicasComesFromTheTopicOrTheBroker() {
        assertThat(replicas.minInsyncReplicas("t")).isEqualTo(2);
        replicas.setTopicMinInsyncReplicas("t", 3);
        assertThat(replicas.minInsyncReplicas("t")).isEqualTo(3);
        assertThat(replicas.minInsyncReplicas("other")).isEqualTo(2);
    }

    @Test
    void becomingFollowerNeedsFetchersAndFencesOlderEpochs() {
        assertThatThrownBy(() -> replicas.becomeFollower(tp, config, 2, 1)).hasMessageContaining("no replica fetchers");
        Partition p = replicas.becomeLeader(tp, config, 5, List.of(1, 2), List.of(1, 2));
        replicas.becomeLeader(tp, config, 4, List.of(1, 2), List.of(1));
        assertThat(p.leaderEpoch()).isEqualTo(5);
        assertThat(p.inSyncReplicas()).containsExactly(1, 2);
    }
}
