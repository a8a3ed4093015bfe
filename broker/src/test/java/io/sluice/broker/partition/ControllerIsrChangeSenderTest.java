package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.metadata.AlterPartitionRequest;
import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.broker.metadata.MetadataListener;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.broker.producer.ProducerStateManager;
import io.sluice.broker.producer.ProducerStateStore;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.testing.ManualClock;
import io.sluice.broker.testing.TestBatches;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControllerIsrChangeSenderTest {
    @TempDir
    Path dir;

    private final TopicPartition tp = new TopicPartition("t", 0);
    private final ManualClock clock = new ManualClock(1_000_000);
    private final Controller controller = new Controller();
    private final AtomicInteger refusedCallbacks = new AtomicInteger();
    private Log log;
    private BrokerStore store;
    private Partition partition;
    private ControllerIsrChangeSender sender;

    @BeforeEach
    void open() {
        log = Log.open(tp, dir.resolve(tp.dirName()), LogConfig.DEFAULT.withSegmentBytes(1 << 20).withPrefillBytes(0),
                Clock.SYSTEM, Runnable::run, false, 0);
        store = BrokerStore.open(dir.resolve("meta"));
        partition = new Partition(tp, log, 1, 0, new ProducerStateManager(tp, new ProducerStateStore(store)),
                PartitionTraffic.NONE, clock);
        partition.makeLeader(3, 7, List.of(1, 2, 3), List.of(1, 2));
        sender = new ControllerIsrChangeSender(1, controller, () -> 42L, clock, 1_000,
                p -> refusedCallbacks.incrementAndGet());
    }

    @AfterEach
    void close() {
        log.close();
        store.close();
    }

    @Test
    void sendsTheLeaderAndPartitionEpochsAndKeepsOneChangeInFlight() {
        assertThat(sender.propose(partition, 3, List.of(1, 2, 3))).isTrue();
        // the next fetch proposes it again: dropped
        assertThat(sender.propose(partition, 3, List.of(1, 2, 3))).isFalse();
        assertThat(sender.propose(partition, 3, List.of(1))).as("a shrink meanwhile: dropped too").isFalse();
        assertThat(controller.requests).containsExactly(new AlterPartitionRequest(1, 42, tp, 3, List.of(1, 2, 3), 7));

        // Committed: the metadata brings the change (applyIsr), then the answer frees the partition.
        partition.applyIsr(3, 8, List.of(1, 2, 3));
        controller.answers.get(0).complete(new PartitionRecord(tp, 1, 3, List.of(1, 2, 3), List.of(1, 2, 3), 8));
        assertThat(sender.propose(partition, 3, List.of(1, 3))).isTrue();
        assertThat(controller.requests).hasSize(2);
        assertThat(controller.requests.get(1).partitionEpoch()).isEqualTo(8);
    }

    @Test
    void afterAStalePartitionEpochItWaitsForNewerMetadata() {
        sender.propose(partition, 3, List.of(1));
        controller.answers.get(0)
                .completeExceptionally(new MetadataException(ErrorCode.INVALID_UPDATE_VERSION, "stale"));
        sender.propose(partition, 3, List.of(1));
        assertThat(controller.requests).as("same partition epoch: nothing new to send").hasSize(1);

        partition.applyIsr(3, 9, List.of(1, 2)); // the newer record arrives
        sender.propose(partition, 3, List.of(1));
        assertThat(controller.requests).hasSize(2);
        assertThat(controller.requests.get(1).partitionEpoch()).isEqualTo(9);
    }

    @Test
    void otherFailuresAreRetriedAfterTheBackoff() {
        sender.propose(partition, 3, List.of(1));
        controller.answers.get(0).completeExceptionally(new MetadataException(ErrorCode.NOT_CONTROLLER, "election"));
        sender.propose(partition, 3, List.of(1));
        assertThat(controller.requests).hasSize(1);
        clock.advance(1_000);
        sender.propose(partition, 3, List.of(1));
        assertThat(controller.requests).hasSize(2);
    }

    @Test
    void aProposedFollowerHoldsTheHighWatermarkUntilTheControllerRefusesIt() {
        partition.appendAsLeader(TestBatches.batch(0, 10, 10, 1));
        recordFetch(2, 10);
        recordFetch(3, 4);
        assertThat(partition.highWatermark()).isEqualTo(10);
        // Follower 3 is proposed (it reached an earlier HW, say): until answered it counts for the HW.
        sender.propose(partition, 3, List.of(1, 2, 3));
        partition.appendAsLeader(TestBatches.batch(10, 10, 10, 1));
        recordFetch(2, 20);
        assertThat(partition.highWatermark()).as("held at follower 3's log end").isEqualTo(10);
        controller.answers.get(0).completeExceptionally(new MetadataException(ErrorCode.INVALID_REQUEST, "fenced"));
        assertThat(partition.highWatermark()).isEqualTo(20);
        assertThat(refusedCallbacks).hasValue(1);
    }

    private void recordFetch(int replica, long offset) {
        partition.updateFollowerFetchState(replica, offset, clock.milliseconds());
    }

    /** The controller's side of AlterPartition, answered by the test. */
    private static final class Controller implements MetadataStore {
        final List<AlterPartitionRequest> requests = new ArrayList<>();
        final List<CompletableFuture<PartitionRecord>> answers = new ArrayList<>();

        @Override
        public CompletableFuture<PartitionRecord> alterPartition(AlterPartitionRequest request) {
            requests.add(request);
            CompletableFuture<PartitionRecord> answer = new CompletableFuture<>();
            answers.add(answer);
            return answer;
        }

        @Override
        public CompletableFuture<TopicRecord> createTopic(String name, int partitions, int replicationFactor,
                                                          Map<String, String> configs) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<TopicRecord> createInternalTopic(String name, int partitions, int replicationFactor,
                                                                  Map<String, String> configs) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> deleteTopic(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<TopicRecord> topic(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<TopicRecord> topics() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<PartitionRecord> partition(TopicPartition tp) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<PartitionRecord> partitions(String topic) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<BrokerRecord> brokers() {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<BrokerRegistration> registrations() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int controllerId() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isActiveController() {
            throw new UnsupportedOperationException();
        }

        @Override
        public String clusterId() {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<List<io.sluice.broker.metadata.PreferredElection>> electPreferredLeaders(
                List<TopicPartition> partitions) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Long> allocateProducerIds(int blockSize) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Long> registerBroker(BrokerRecord broker, String incarnationId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Boolean> brokerHeartbeat(int brokerId, long brokerEpoch) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void brokerConnectionLost(int brokerId, long brokerEpoch, long graceMs) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> fenceBroker(int brokerId, long brokerEpoch) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> addListener(MetadataListener listener) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void removeListener(MetadataListener listener) {
            throw new UnsupportedOperationException();
        }
    }
}
