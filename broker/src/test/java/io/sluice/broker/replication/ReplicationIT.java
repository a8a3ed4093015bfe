package io.sluice.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.log.EpochEntry;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.LocalIsrChangeSender;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.broker.server.BrokerConfig;
import io.sluice.broker.testing.LogBytes;
import io.sluice.broker.testing.RawConnection;
import io.sluice.broker.testing.TestBatches;
import io.sluice.broker.testing.TestBroker;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.EpochEndOffset;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.FetchPartition;
import io.sluice.proto.message.FetchPartitionResponse;
import io.sluice.proto.message.FetchRequest;
import io.sluice.proto.message.FetchTopic;
import io.sluice.proto.message.OffsetForLeaderPartition;
import io.sluice.proto.message.OffsetForLeaderTopic;
import io.sluice.proto.message.OffsetsForLeaderEpochRequest;
import io.sluice.proto.message.PartitionProduceData;
import io.sluice.proto.message.PartitionProduceResponse;
import io.sluice.proto.message.ProduceRequest;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicProduceData;
import io.sluice.proto.record.RecordBatchBuilder;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two or three real brokers in this JVM replicating one partition, with the test in the controller's place: it
 * names leaders and followers through {@link ReplicaManager#becomeLeader} and {@link ReplicaManager#becomeFollower}.
 */
class ReplicationIT {
    private static final FetcherSettings FAST = new FetcherSettings(100, 1, 1 << 20, 1 << 20, 5_000, 50);
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final Map<Integer, TestBroker> brokers = new ConcurrentHashMap<>();
    private final TopicPartition tp = new TopicPartition("replicated", 0);

    @AfterEach
    void stopAll() {
        brokers.values().forEach(TestBroker::close);
    }

    private void start(Map<String, String> overrides, int... ids) {
        for (int id : ids) {
            Map<String, String> settings = new HashMap<>(overrides);
            settings.put(BrokerConfig.NODE_ID, Integer.toString(id));
            brokers.put(id, new TestBroker(dir.resolve("broker-" + id), settings));
            attachFetchers(id);
        }
    }

    private void attachFetchers(int id) {
        replicas(id).attachFetchers(new ReplicaFetcherManager(id, this::address, FAST, Clock.SYSTEM));
        // The controller does not know this partition (the test leads it by hand): ISR changes apply locally.
        ReplicaManager manager = replicas(id);
        manager.attachIsrChangeSender(new LocalIsrChangeSender(manager::onHighWatermarkOrIsrChanged));
    }

    private InetSocketAddress address(int id) {
        TestBroker b = brokers.get(id);
        return b == null || b.broker() == null ? null : new InetSocketAddress("127.0.0.1", b.broker().port());
    }

    private ReplicaManager replicas(int id) {
        return brokers.get(id).broker().replicaManager();
    }

    private Partition partition(int id) {
        return replicas(id).partition(tp);
    }

    private LogConfig config(int id) {
        return brokers.get(id).broker().config().logConfig();
    }

    private void lead(int id, int epoch, List<Integer> replicaIds, List<Integer> isr) {
        replicas(id).becomeLeader(tp, config(id), epoch, replicaIds, isr);
    }

    private void follow(int id, int leader, int epoch) {
        replicas(id).becomeFollower(tp, config(id), leader, epoch);
    }

    @Test
    void acksAllProducesReachEveryReplicaByteForByteAndFollowersAreServedWithFileRegions() throws Exception {
        start(Map.of(), 1, 2, 3);
        lead(1, 1, List.of(1, 2, 3), List.of(1, 2, 3));
        follow(2, 1, 1);
        follow(3, 1, 1);
        for (int i = 0; i < 40; i++) {
            PartitionProduceResponse r = produce(1, -1, TestBatches.batch(i * 10L, 10, 200, 1_000 + i));
            assertThat(r.getErrorCode()).as(r.getErrorMessage()).isEqualTo(ErrorCode.NONE);
            assertThat(r.getBaseOffset()).isEqualTo(i * 10L);
            // acks=all answered: every ISR member has the batch.
            assertThat(partition(2).logEndOffset()).isGreaterThanOrEqualTo(i * 10L + 10);
            assertThat(partition(3).logEndOffset()).isGreaterThanOrEqualTo(i * 10L + 10);
        }
        ByteBuffer idempotent = idempotentBatch(4242, 0, 3);
        assertThat(produce(1, -1, idempotent.duplicate()).getBaseOffset()).isEqualTo(400);
        awaitInSync(403, 1, 2, 3);
        assertThat(partition(2).log().epochEntries()).containsExactly(new EpochEntry(1, 0));

        double regionBytes = payload(1, "follower", "file_region");
        assertThat(regionBytes).as("follower fetch bytes sent with sendfile").isGreaterThan(400 * 200);
        assertThat(payload(1, "follower", "copied")).isZero();
        assertThat(brokers.get(1).broker().traffic().regionBytes()).isGreaterThanOrEqualTo((long) regionBytes);

        // Failover to broker 2: it rebuilt the idempotent producer's state from the replicated batches.
        lead(2, 2, List.of(1, 2, 3), List.of(1, 2, 3));
        follow(1, 2, 2);
        follow(3, 2, 2);
        PartitionProduceResponse retry = produce(2, -1, idempotent.duplicate());
        assertThat(retry.getErrorCode()).isEqualTo(ErrorCode.NONE);
        assertThat(retry.getBaseOffset()).as("the retry is answered with the original offset").isEqualTo(400);
        assertThat(partition(2).logEndOffset()).isEqualTo(403);
        assertThat(produce(2, -1, TestBatches.batch(403, 5, 200, 5_000)).getErrorCode()).isEqualTo(ErrorCode.NONE);
        awaitInSync(408, 2, 1, 3);
        assertThat(partition(1).log().epochEntries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(2, 403));
        // The old leader now refuses producers.
        assertThat(produce(1, 1, TestBatches.batch(0, 1, 10, 1)).getErrorCode()).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }

    @Test
    void aFollowerWithATailFromAnOldEpochIsTruncatedToWhereItAgreesWithTheNewLeader() throws Exception {
        start(Map.of(), 1, 2);
        lead(1, 1, List.of(1, 2), List.of(1, 2));
        follow(2, 1, 1);
        for (int i = 0; i < 3; i++) {
            assertThat(produce(1, -1, TestBatches.batch(i * 10L, 10, 100, 1)).getErrorCode()).isEqualTo(ErrorCode.NONE);
        }
        await().atMost(PATIENCE).until(() -> partition(2).logEndOffset() == 30);
        // Broker 2 is made leader at epoch 2 while broker 1, cut off, still leads at epoch 1 and takes writes.
        lead(2, 2, List.of(1, 2), List.of(2));
        assertThat(produce(1, 1, TestBatches.batch(30, 20, 100, 2)).getErrorCode()).isEqualTo(ErrorCode.NONE);
        assertThat(produce(2, 1, TestBatches.batch(100, 5, 100, 3)).getErrorCode()).isEqualTo(ErrorCode.NONE);
        assertThat(partition(1).logEndOffset()).isEqualTo(50);
        assertThat(partition(2).logEndOffset()).isEqualTo(35);

        // The new leader fences the old epoch, refuses a newer one, and fetches from non-replicas.
        assertThat(followerFetch(2, 1, 1, 30).getErrorCode()).isEqualTo(ErrorCode.FENCED_LEADER_EPOCH);
        assertThat(followerFetch(2, 1, 3, 30).getErrorCode()).isEqualTo(ErrorCode.UNKNOWN_LEADER_EPOCH);
        FetchPartitionResponse stranger = followerFetch(2, 9, 2, 30);
        assertThat(stranger.getErrorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(stranger.getErrorMessage()).contains("broker 9");
        EpochEndOffset epoch1 = offsetForEpoch(2, 1);
        assertThat(epoch1.getLeaderEpoch()).isEqualTo(1);
        assertThat(epoch1.getEndOffset()).isEqualTo(30);

        follow(1, 2, 2);
        await().atMost(PATIENCE).until(() -> partition(1).logEndOffset() == 35
                && partition(2).inSyncReplicas().contains(1));
        assertThat(bytes(1, 35)).isEqualTo(bytes(2, 35));
        assertThat(partition(1).log().epochEntries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(2, 30));
        assertThat(partition(1).log().epochEntries()).isEqualTo(partition(2).log().epochEntries());
        assertThat(produce(1, 1, TestBatches.batch(0, 1, 10, 1)).getErrorCode()).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER);

        // A follower asked at a newer epoch than it knows may be the new leader whose metadata has not arrived:
        // UNKNOWN_LEADER_EPOCH (its fetchers retry within milliseconds), checked before its role, as Kafka does.
        assertThat(followerFetch(1, 2, 3, 35).getErrorCode()).isEqualTo(ErrorCode.UNKNOWN_LEADER_EPOCH);
        assertThat(followerFetch(1, 2, 2, 35).getErrorCode()).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        assertThat(followerFetch(1, 2, 1, 35).getErrorCode()).isEqualTo(ErrorCode.FENCED_LEADER_EPOCH);
    }

    @Test
    void aStoppedFollowerLeavesTheIsrAndRejoinsAfterCatchingUpAndMinIsrIsEnforced() throws Exception {
        start(Map.of(BrokerConfig.REPLICA_LAG_TIME_MAX_MS, "1000", BrokerConfig.MIN_INSYNC_REPLICAS, "2"), 1, 2, 3);
        lead(1, 1, List.of(1, 2, 3), List.of(1, 2, 3));
        follow(2, 1, 1);
        follow(3, 1, 1);
        long offset = 0;
        for (int i = 0; i < 5; i++, offset += 10) {
            assertThat(produce(1, -1, TestBatches.batch(offset, 10, 100, 1)).getErrorCode()).isEqualTo(ErrorCode.NONE);
        }
        brokers.get(3).close();
        await().atMost(PATIENCE).until(() -> partition(1).inSyncReplicas().equals(List.of(1, 2)));
        for (int i = 0; i < 5; i++, offset += 10) {
            assertThat(produce(1, -1, TestBatches.batch(offset, 10, 100, 1)).getErrorCode()).isEqualTo(ErrorCode.NONE);
        }
        brokers.get(2).close();
        await().atMost(PATIENCE).until(() -> partition(1).inSyncReplicas().equals(List.of(1)));
        assertThat(gauge(1, "sluice.partitions.under_replicated")).isEqualTo(1);
        PartitionProduceResponse refused = produce(1, -1, TestBatches.batch(offset, 10, 100, 1));
        assertThat(refused.getErrorCode()).isEqualTo(ErrorCode.NOT_ENOUGH_REPLICAS);
        assertThat(refused.getErrorMessage()).contains("min.insync.replicas=2");
        assertThat(partition(1).logEndOffset()).as("nothing appended").isEqualTo(offset);
        assertThat(produce(1, 1, TestBatches.batch(offset, 10, 100, 1)).getErrorCode()).as("acks=1 still works")
                .isEqualTo(ErrorCode.NONE);
        offset += 10;

        for (int id : new int[] {2, 3}) {
            brokers.get(id).restart();
            attachFetchers(id);
            follow(id, 1, 1);
        }
        await().atMost(PATIENCE).until(() -> partition(1).inSyncReplicas().size() == 3);
        PartitionProduceResponse recovered = produce(1, -1, TestBatches.batch(offset, 10, 100, 1));
        assertThat(recovered.getErrorCode()).isEqualTo(ErrorCode.NONE);
        offset += 10;
        awaitInSync(offset, 1, 2, 3);
        assertThat(gauge(1, "sluice.partitions.under_replicated")).isZero();
        assertThat(gauge(2, "sluice.partitions.followed")).isEqualTo(1);
    }

    private double gauge(int id, String name) {
        return brokers.get(id).broker().metrics().registry().get(name).gauge().value();
    }

    @Test
    void anIsrShrinkingBelowTheMinimumWhileAProduceWaitsAnswersNotEnoughReplicasAfterAppend() throws Exception {
        start(Map.of(BrokerConfig.REPLICA_LAG_TIME_MAX_MS, "500", BrokerConfig.MIN_INSYNC_REPLICAS, "2"), 1);
        // Broker 2 is named in sync but never fetches: the produce waits until the ISR check drops it.
        lead(1, 1, List.of(1, 2), List.of(1, 2));
        PartitionProduceResponse r = produce(1, -1, TestBatches.batch(0, 10, 100, 1));
        assertThat(r.getErrorCode()).as(r.getErrorMessage()).isEqualTo(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
        assertThat(r.getErrorMessage()).contains("min.insync.replicas=2");
        assertThat(partition(1).inSyncReplicas()).containsExactly(1);
        assertThat(partition(1).highWatermark()).as("written and committed by the smaller ISR").isEqualTo(10);
        assertThat(produce(1, -1, TestBatches.batch(10, 10, 100, 1)).getErrorCode()).isEqualTo(ErrorCode.NOT_ENOUGH_REPLICAS);
    }

    // ---------------------------------------------------------------- helpers

    /** Waits until every replica has {@code end} records and the leader's high watermark, then compares their bytes. */
    private void awaitInSync(long end, int leader, int... followers) throws Exception {
        await().atMost(PATIENCE).until(() -> {
            if (partition(leader).highWatermark() != end) {
                return false;
            }
            for (int f : followers) {
                if (partition(f).logEndOffset() != end || partition(f).highWatermark() != end) {
                    return false;
                }
            }
            return true;
        });
        byte[] expected = bytes(leader, end);
        assertThat(expected.length).isPositive();
        for (int f : followers) {
            assertThat(bytes(f, end)).as("broker %d's log below the high watermark", f).isEqualTo(expected);
        }
    }

    /** The bytes of broker {@code id}'s log below {@code end}, as stored. */
    private byte[] bytes(int id, long end) throws Exception {
        return LogBytes.below(partition(id), end);
    }


    private double payload(int id, String path, String mode) {
        var counter = brokers.get(id).broker().metrics().registry().find("sluice.fetch.payload")
                .tags("path", path, "mode", mode).counter();
        return counter == null ? 0 : counter.count();
    }

    private PartitionProduceResponse produce(int id, int acks, ByteBuffer batch) throws Exception {
        ProduceRequest.Builder req = ProduceRequest.newBuilder().setAcks(acks).setTimeoutMs(20_000)
                .addTopics(TopicProduceData.newBuilder().setName(tp.topic())
                        .addPartitions(PartitionProduceData.newBuilder().setPartition(tp.partition())
                                .setRecordsSize(batch.remaining())));
        try (InboundFrame<Response> f = connection(id).call(Request.newBuilder().setProduce(req), batch)) {
            return f.message().getProduce().getTopics(0).getPartitions(0);
        }
    }

    private FetchPartitionResponse followerFetch(int id, int replicaId, int epoch, long offset) throws Exception {
        FetchRequest.Builder req = FetchRequest.newBuilder().setReplicaId(replicaId).setMaxBytes(1 << 20)
                .addTopics(FetchTopic.newBuilder().setName(tp.topic()).addPartitions(FetchPartition.newBuilder()
                        .setPartition(tp.partition()).setFetchOffset(offset).setCurrentLeaderEpoch(epoch)));
        try (InboundFrame<Response> f = connection(id).call(Request.newBuilder().setFetch(req))) {
            return f.message().getFetch().getTopics(0).getPartitions(0);
        }
    }

    private EpochEndOffset offsetForEpoch(int id, int epoch) throws Exception {
        OffsetsForLeaderEpochRequest.Builder req = OffsetsForLeaderEpochRequest.newBuilder().setReplicaId(1)
                .addTopics(OffsetForLeaderTopic.newBuilder().setName(tp.topic()).addPartitions(
                        OffsetForLeaderPartition.newBuilder().setPartition(tp.partition()).setCurrentLeaderEpoch(-1)
                                .setLeaderEpoch(epoch)));
        try (InboundFrame<Response> f = connection(id).call(Request.newBuilder().setOffsetsForLeaderEpoch(req))) {
            return f.message().getOffsetsForLeaderEpoch().getTopics(0).getPartitions(0);
        }
    }

    private RawConnection connection(int id) throws InterruptedException {
        return brokers.get(id).connection();
    }

    private static ByteBuffer idempotentBatch(long pid, int baseSequence, int records) {
        RecordBatchBuilder b = new RecordBatchBuilder(256).producerId(pid).producerEpoch((short) 0).baseSequence(baseSequence);
        for (int i = 0; i < records; i++) {
            b.append(1_000L, null, ("v" + (baseSequence + i)).getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }
}
