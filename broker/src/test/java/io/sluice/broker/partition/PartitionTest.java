package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.producer.ProducerStateManager;
import io.sluice.broker.producer.ProducerStateStore;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.testing.ManualClock;
import io.sluice.broker.testing.TestBatches;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionTest {
    @TempDir
    Path dir;

    private final TopicPartition tp = new TopicPartition("t", 0);
    private Log log;
    private BrokerStore store;
    private Partition partition;
    private final ManualClock clock = new ManualClock(1_000_000);

    @BeforeEach
    void open() {
        log = Log.open(tp, dir.resolve(tp.dirName()), LogConfig.DEFAULT.withSegmentBytes(1 << 20).withPrefillBytes(0),
                Clock.SYSTEM, Runnable::run, false, 0);
        store = BrokerStore.open(dir.resolve("meta"));
        partition = new Partition(tp, log, 1, 0, new ProducerStateManager(tp, new ProducerStateStore(store)),
                PartitionTraffic.NONE, clock);
    }

    @AfterEach
    void close() {
        log.close();
        store.close();
    }

    @Test
    void aloneInTheIsrTheHighWatermarkFollowsEveryAppend() {
        partition.appendAsLeader(TestBatches.batch(0, 5, 10, 1));
        assertThat(partition.highWatermark()).isEqualTo(5);
        assertThat(partition.logEndOffset()).isEqualTo(5);
    }

    @Test
    void aReplicatedPartitionStartsFromItsCheckpointedHighWatermarkBoundedByItsLogEnd() {
        partition.appendAsLeader(TestBatches.batch(0, 10, 10, 1));
        partition.startReplicated(-1);
        assertThat(partition.highWatermark()).isZero();
        partition.startReplicated(6);
        assertThat(partition.highWatermark()).isEqualTo(6);
        partition.startReplicated(25); // a checkpoint past a log that lost its unflushed tail
        assertThat(partition.highWatermark()).isEqualTo(10);
    }

    @Test
    void theReplicaLagIsTheFurthestFollowerOnALeaderAndTheDistanceToTheLeaderOnAFollower() {
        partition.makeLeader(1, List.of(1, 2, 3), List.of(1, 2, 3));
        partition.appendAsLeader(TestBatches.batch(0, 8, 10, 1));
        assertThat(partition.replicaLag()).isEqualTo(8); // neither follower heard from yet
        partition.updateFollowerFetchState(2, 8, clock.milliseconds());
        partition.updateFollowerFetchState(3, 5, clock.milliseconds());
        assertThat(partition.replicaLag()).isEqualTo(3);

        partition.makeFollower(2, 2);
        assertThat(partition.replicaLag()).isZero();
        partition.recordLeaderLogEnd(20);
        assertThat(partition.replicaLag()).isEqualTo(12);
    }

    @Test
    void consumersReadNothingAboveTheHighWatermarkWhileAFollowerLags() throws Exception {
        partition.makeLeader(1, List.of(1, 2), List.of(1, 2));
        for (int i = 0; i < 4; i++) {
            partition.appendAsLeader(TestBatches.batch(i * 5L, 5, 10, 1));
        }
        assertThat(partition.logEndOffset()).isEqualTo(20);
        assertThat(partition.highWatermark()).isZero(); // replica 2 has nothing yet
        try (LogSlice slice = partition.read(0, 1 << 20, true)) {
            assertThat(slice.isEmpty()).isTrue();
        }
        partition.updateFollowerFetchState(2, 10, clock.milliseconds());
        assertThat(partition.highWatermark()).isEqualTo(10);
        assertThat(lastOffsetRead(partition.read(0, 1 << 20, true))).isEqualTo(9);
        assertThat(lastOffsetRead(partition.read(0, 1 << 20, false))).as("followers read to the log end").isEqualTo(19);
        partition.updateFollowerFetchState(2, 7, clock.milliseconds()); // a stale report never moves it back
        assertThat(partition.highWatermark()).isEqualTo(10);
        assertThat(partition.applyIsr(1, List.of(1))).isTrue(); // replica 2 dropped out of the ISR
        assertThat(partition.highWatermark()).isEqualTo(20);
    }

    @Test
    void aNewerLeaderEpochStampsLaterAppendsAndAnOlderOneIsIgnored() throws Exception {
        partition.appendAsLeader(TestBatches.batch(0, 1, 10, 1));
        partition.makeLeader(3, List.of(1), List.of(1));
        partition.makeLeader(2, List.of(1), List.of(1));
        assertThat(partition.leaderEpoch()).isEqualTo(3);
        partition.appendAsLeader(TestBatches.batch(0, 1, 10, 1));
        try (LogSlice slice = partition.read(0, 1 << 20, false)) {
            ByteBuffer bytes = slice.readAll();
            RecordBatch first = RecordBatch.at(bytes, 0);
            assertThat(first.partitionLeaderEpoch()).isZero();
            assertThat(RecordBatch.at(bytes, first.sizeInBytes()).partitionLeaderEpoch()).isEqualTo(3);
        }
    }

    @Test
    void theHighWatermarkIsTheSmallestLogEndInTheIsr() {
        partition.makeLeader(1, List.of(1, 2, 3), List.of(1, 2, 3));
        partition.appendAsLeader(TestBatches.batch(0, 10, 10, 1));
        partition.updateFollowerFetchState(2, 10, clock.milliseconds());
        assertThat(partition.highWatermark()).as("replica 3 has not fetched").isZero();
        partition.updateFollowerFetchState(3, 4, clock.milliseconds());
        assertThat(partition.highWatermark()).isEqualTo(4);
        partition.updateFollowerFetchState(3, 10, clock.milliseconds());
        assertThat(partition.highWatermark()).isEqualTo(10);
    }

    @Test
    void aFollowerThatDoesNotCatchUpWithinTheLagTimeIsProposedOutOfTheIsr() {
        partition.makeLeader(1, List.of(1, 2, 3), List.of(1, 2, 3));
        partition.appendAsLeader(TestBatches.batch(0, 10, 10, 1));
        assertThat(partition.shrinkIsrProposal(clock.milliseconds(), 1000)).as("in sync when leadership began").isNull();
        clock.advance(600);
        partition.updateFollowerFetchState(2, 10, clock.milliseconds()); // caught up
        partition.updateFollowerFetchState(3, 3, clock.milliseconds()); // behind
        clock.advance(600);
        assertThat(partition.shrinkIsrProposal(clock.milliseconds(), 1000)).containsExactly(1, 2);
        assertThat(partition.applyIsr(1, List.of(1, 2))).isTrue();
        assertThat(partition.highWatermark()).as("3 no longer holds it back").isEqualTo(10);
        assertThat(partition.applyIsr(0, List.of(1))).as("a change from an older epoch").isFalse();
    }

    @Test
    void aFollowerKeepingPaceWithASteadyStreamStaysInSync() {
        partition.makeLeader(1, List.of(1, 2), List.of(1, 2));
        long offset = 0;
        for (int i = 0; i < 10; i++) {
            partition.appendAsLeader(TestBatches.batch(offset, 5, 10, 1));
            // Each fetch reaches the log end the leader had at the previous fetch, never the current one.
            partition.updateFollowerFetchState(2, offset, clock.milliseconds());
            offset += 5;
            clock.advance(400);
        }
        assertThat(partition.shrinkIsrProposal(clock.milliseconds(), 1000)).isNull();
    }

    @Test
    void aFollowerReachingTheHighWatermarkIsProposedBackIntoTheIsr() {
        partition.makeLeader(1, List.of(1, 2), List.of(1));
        partition.appendAsLeader(TestBatches.batch(0, 10, 10, 1));
        assertThat(partition.highWatermark()).isEqualTo(10);
        assertThat(partition.updateFollowerFetchState(2, 5, clock.milliseconds()).proposedIsr()).isNull();
        Partition.FollowerFetch caughtUp = partition.updateFollowerFetchState(2, 10, clock.milliseconds());
        assertThat(caughtUp.proposedIsr()).containsExactly(1, 2);
        assertThat(partition.applyIsr(caughtUp.leaderEpoch(), caughtUp.proposedIsr())).isTrue();
        assertThat(partition.inSyncReplicas()).containsExactly(1, 2);
        assertThat(partition.updateFollowerFetchState(4, 10, clock.milliseconds())).as("not a replica").isNull();
    }

    @Test
    void acksAllIsRefusedBeforeAppendingWhileTheIsrIsBelowTheMinimum() {
        partition.makeLeader(1, List.of(1, 2), List.of(1));
        AppendResult refused = partition.appendAsLeader(TestBatches.batch(0, 5, 10, 1), -1, 2);
        assertThat(refused.error()).isEqualTo(ErrorCode.NOT_ENOUGH_REPLICAS);
        assertThat(partition.logEndOffset()).isZero();
        assertThat(partition.appendAsLeader(TestBatches.batch(0, 5, 10, 1), 1, 2).isError()).as("acks=1 is not held").isFalse();
        partition.updateFollowerFetchState(2, 5, clock.milliseconds());
        partition.applyIsr(1, List.of(1, 2));
        assertThat(partition.appendAsLeader(TestBatches.batch(0, 5, 10, 1), -1, 2).isError()).isFalse();
    }

    @Test
    void aFollowerRefusesProducesAndAppendsFromAnOlderEpoch() {
        partition.appendAsLeader(TestBatches.batch(0, 5, 10, 1));
        assertThat(partition.makeFollower(3, 2)).isTrue();
        assertThat(partition.appendAsLeader(TestBatches.batch(0, 5, 10, 1)).error()).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        assertThat(partition.makeLeader(2, List.of(1, 2), List.of(1, 2))).as("older epoch").isFalse();
        ByteBuffer leaderBatch = TestBatches.batch(0, 5, 10, 1);
        RecordBatch.at(leaderBatch, 0);
        assertThat(partition.appendAsFollower(leaderBatch.duplicate(), 2)).isNull();
    }

    private static long lastOffsetRead(LogSlice slice) throws Exception {
        try (slice) {
            ByteBuffer bytes = slice.readAll();
            long last = -1;
            for (int pos = 0; pos < bytes.limit(); ) {
                RecordBatch b = RecordBatch.at(bytes, pos);
                last = b.lastOffset();
                pos += b.sizeInBytes();
            }
            return last;
        }
    }
}
