package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.producer.ProducerStateManager;
import io.sluice.broker.producer.ProducerStateStore;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.testing.TestBatches;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
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

    @BeforeEach
    void open() {
        log = Log.open(tp, dir.resolve(tp.dirName()), LogConfig.DEFAULT.withSegmentBytes(1 << 20).withPrefillBytes(0),
                Clock.SYSTEM, Runnable::run, false, 0);
        store = BrokerStore.open(dir.resolve("meta"));
        partition = new Partition(tp, log, 1, 0, new ProducerStateManager(tp, new ProducerStateStore(store)));
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
    void consumersReadNothingAboveTheHighWatermarkWhileAFollowerLags() throws Exception {
        partition.updateInSyncReplicas(List.of(1, 2));
        for (int i = 0; i < 4; i++) {
            partition.appendAsLeader(TestBatches.batch(i * 5L, 5, 10, 1));
        }
        assertThat(partition.logEndOffset()).isEqualTo(20);
        assertThat(partition.highWatermark()).isZero(); // replica 2 has nothing yet
        try (LogSlice slice = partition.read(0, 1 << 20, true)) {
            assertThat(slice.isEmpty()).isTrue();
        }
        partition.updateFollowerLogEnd(2, 10);
        assertThat(partition.highWatermark()).isEqualTo(10);
        assertThat(lastOffsetRead(partition.read(0, 1 << 20, true))).isEqualTo(9);
        assertThat(lastOffsetRead(partition.read(0, 1 << 20, false))).as("followers read to the log end").isEqualTo(19);
        partition.updateFollowerLogEnd(2, 7); // a stale report never moves it back
        assertThat(partition.highWatermark()).isEqualTo(10);
        partition.updateInSyncReplicas(List.of(1)); // replica 2 dropped out of the ISR
        assertThat(partition.highWatermark()).isEqualTo(20);
    }

    @Test
    void aNewerLeaderEpochStampsLaterAppendsAndAnOlderOneIsIgnored() throws Exception {
        partition.appendAsLeader(TestBatches.batch(0, 1, 10, 1));
        partition.updateLeaderEpoch(3);
        partition.updateLeaderEpoch(2);
        assertThat(partition.leaderEpoch()).isEqualTo(3);
        partition.appendAsLeader(TestBatches.batch(0, 1, 10, 1));
        try (LogSlice slice = partition.read(0, 1 << 20, false)) {
            ByteBuffer bytes = slice.readAll();
            RecordBatch first = RecordBatch.at(bytes, 0);
            assertThat(first.partitionLeaderEpoch()).isZero();
            assertThat(RecordBatch.at(bytes, first.sizeInBytes()).partitionLeaderEpoch()).isEqualTo(3);
        }
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
