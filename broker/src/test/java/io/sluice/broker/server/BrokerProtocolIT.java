package io.sluice.broker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.broker.testing.FreePorts;
import io.sluice.broker.testing.RawConnection;
import io.sluice.broker.testing.TestBatches;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.FetchPartition;
import io.sluice.proto.message.FetchPartitionResponse;
import io.sluice.proto.message.FetchRequest;
import io.sluice.proto.message.FetchTopic;
import io.sluice.proto.message.ListOffsetsPartition;
import io.sluice.proto.message.ListOffsetsRequest;
import io.sluice.proto.message.ListOffsetsTopic;
import io.sluice.proto.message.PartitionProduceData;
import io.sluice.proto.message.PartitionProduceResponse;
import io.sluice.proto.message.ProduceRequest;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicProduceData;
import io.sluice.proto.record.RecordBatch;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real broker on an ephemeral port, spoken to frame by frame. */
class BrokerProtocolIT {
    @TempDir
    Path dir;

    private SluiceBroker broker;
    private RawConnection conn;
    private final TopicPartition tp = new TopicPartition("orders", 0);

    @BeforeEach
    void start() throws Exception {
        broker = SluiceBroker.start(BrokerConfig.of(Map.of(
                BrokerConfig.LISTENERS, "127.0.0.1:0",
                BrokerConfig.METRICS_PORT, "0",
                BrokerConfig.CONTROLLER_QUORUM_VOTERS, "1@127.0.0.1:" + FreePorts.next(),
                BrokerConfig.LOG_DIRS, dir.resolve("data").toString(),
                BrokerConfig.SOCKET_REQUEST_MAX_BYTES, Integer.toString(4 << 20),
                BrokerConfig.LOG_SEGMENT_BYTES, Integer.toString(8 << 20),
                BrokerConfig.LOG_SEGMENT_PREFILL_BYTES, Integer.toString(1 << 20))));
        TestTopics.create(broker, tp.topic(), 1);
        conn = new RawConnection("127.0.0.1", broker.port());
    }

    @AfterEach
    void stop() {
        if (conn != null) {
            conn.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void producedBatchesComeBackByteForByteWithTheirOffsets() throws Exception {
        ByteBuffer[] sent = new ByteBuffer[50];
        for (int i = 0; i < sent.length; i++) {
            sent[i] = TestBatches.batch(i * 10L, 10, 100, 1_000 + i);
            PartitionProduceResponse r = produce(1, sent[i]);
            assertThat(r.getErrorCode()).isEqualTo(ErrorCode.NONE);
            assertThat(r.getBaseOffset()).isEqualTo(i * 10L);
        }
        long offset = 0;
        int batches = 0;
        while (offset < 500) {
            try (InboundFrame<Response> f = fetchFrame(offset, 1 << 20, 0, 1)) {
                FetchPartitionResponse p = f.message().getFetch().getTopics(0).getPartitions(0);
                assertThat(p.getErrorCode()).isEqualTo(ErrorCode.NONE);
                assertThat(p.getHighWatermark()).isEqualTo(500);
                ByteBuffer records = f.raw().nioBuffer();
                assertThat(records.remaining()).isEqualTo(p.getRecordsSize());
                int pos = 0;
                while (pos < records.limit()) {
                    RecordBatch batch = RecordBatch.at(records, pos);
                    batch.ensureValid();
                    assertThat(batch.baseOffset()).isEqualTo(offset);
                    ByteBuffer expected = sent[batches].duplicate();
                    ByteBuffer actual = batch.slice();
                    // The broker assigns baseOffset and sets the leader epoch; every byte from magic on is the producer's.
                    assertThat(actual.position(16)).isEqualTo(expected.position(16));
                    assertThat(batch.partitionLeaderEpoch()).isZero();
                    offset = batch.nextOffset();
                    pos += batch.sizeInBytes();
                    batches++;
                }
            }
        }
        assertThat(batches).isEqualTo(50);
    }

    @Test
    void aBatchWithABadCrcIsRefusedWithTheReasonAndNothingReachesTheLog() throws Exception {
        produce(1, TestBatches.batch(0, 5, 50, 1));
        ByteBuffer bad = TestBatches.batch(5, 5, 50, 1);
        bad.put(bad.limit() - 3, (byte) (bad.get(bad.limit() - 3) ^ 0x55));
        PartitionProduceResponse r = produce(1, bad);
        assertThat(r.getErrorCode()).isEqualTo(ErrorCode.CORRUPT_MESSAGE);
        assertThat(r.getErrorMessage()).containsIgnoringCase("crc").contains("orders-0");
        assertThat(broker.replicaManager().partition(tp).logEndOffset()).isEqualTo(5);
    }

    @Test
    void recordsSizesThatDoNotAddUpAreAnInvalidRequest() throws Exception {
        ByteBuffer batch = TestBatches.batch(0, 1, 10, 1);
        ProduceRequest.Builder req = ProduceRequest.newBuilder().setAcks(1).setTimeoutMs(1000)
                .addTopics(TopicProduceData.newBuilder().setName(tp.topic())
                        .addPartitions(PartitionProduceData.newBuilder().setPartition(0).setRecordsSize(batch.remaining() + 7)));
        try (InboundFrame<Response> f = conn.call(Request.newBuilder().setProduce(req), batch)) {
            PartitionProduceResponse p = f.message().getProduce().getTopics(0).getPartitions(0);
            assertThat(p.getErrorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(p.getErrorMessage()).contains("records_size");
        }
        assertThat(broker.replicaManager().partition(tp).logEndOffset()).isZero();
    }

    @Test
    void unknownPartitionsAndBadAcksGetTheirCodes() throws Exception {
        ByteBuffer batch = TestBatches.batch(0, 1, 10, 1);
        ProduceRequest.Builder req = ProduceRequest.newBuilder().setAcks(1).setTimeoutMs(1000)
                .addTopics(TopicProduceData.newBuilder().setName("nope")
                        .addPartitions(PartitionProduceData.newBuilder().setPartition(3).setRecordsSize(batch.remaining())));
        try (InboundFrame<Response> f = conn.call(Request.newBuilder().setProduce(req), batch)) {
            assertThat(f.message().getProduce().getTopics(0).getPartitions(0).getErrorCode())
                    .isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        ProduceRequest.Builder badAcks = req.clone().setAcks(2);
        try (InboundFrame<Response> f = conn.call(Request.newBuilder().setProduce(badAcks), batch)) {
            assertThat(f.message().getProduce().getTopics(0).getPartitions(0).getErrorCode())
                    .isEqualTo(ErrorCode.INVALID_REQUIRED_ACKS);
        }
    }

    @Test
    void unsupportedVersionAndMissingBodyAreAnswered() throws Exception {
        try (InboundFrame<Response> f = conn.call(Request.newBuilder().setApiVersion(7)
                .setFetch(FetchRequest.newBuilder().setReplicaId(-1)))) {
            assertThat(f.message().getErrorCode()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
        }
        try (InboundFrame<Response> f = conn.call(Request.newBuilder())) {
            assertThat(f.message().getErrorCode()).isEqualTo(ErrorCode.UNKNOWN_API);
        }
        try (InboundFrame<Response> f = conn.call(Request.newBuilder().setApiVersions(
                io.sluice.proto.message.ApiVersionsRequest.getDefaultInstance()))) {
            assertThat(f.message().getApiVersions().getApisList())
                    .extracting(a -> a.getApiKey())
                    .contains(Request.BodyCase.PRODUCE.getNumber(), Request.BodyCase.FETCH.getNumber());
        }
    }

    @Test
    void aFrameOverTheLimitIsRefusedBeforeItIsBufferedAndTheConnectionClosed() throws Exception {
        ByteBuf header = Unpooled.buffer(8);
        header.writeInt(64 << 20).writeInt(10);
        conn.sendBytes(header);
        InboundFrame<Response> f = conn.receive(5_000);
        assertThat(f).isNotNull();
        try {
            assertThat(f.message().getErrorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(f.message().getErrorMessage()).contains("socket.request.max.bytes");
        } finally {
            f.release();
        }
        assertThat(conn.awaitClosed(5_000)).isTrue();
        // The broker itself is fine.
        try (RawConnection other = new RawConnection("127.0.0.1", broker.port())) {
            conn = other;
            assertThat(produce(1, TestBatches.batch(0, 1, 10, 1)).getErrorCode()).isEqualTo(ErrorCode.NONE);
            conn = null;
        }
    }

    @Test
    void aLongPollWaitsForDataAndAnswersWhenItArrives() throws Exception {
        int id = conn.send(fetchRequest(0, 1 << 20, 10_000, 1));
        assertThat(conn.receive(200)).isNull(); // nothing yet: parked
        RawConnection producer = new RawConnection("127.0.0.1", broker.port());
        try {
            RawConnection mine = conn;
            conn = producer;
            produce(1, TestBatches.batch(0, 3, 10, 1));
            conn = mine;
        } finally {
            producer.close();
        }
        try (InboundFrame<Response> f = conn.receive(5_000)) {
            assertThat(f).isNotNull();
            assertThat(f.message().getCorrelationId()).isEqualTo(id);
            assertThat(f.message().getFetch().getTopics(0).getPartitions(0).getRecordsSize()).isPositive();
        }
    }

    @Test
    void aLongPollWithNothingToReadAnswersEmptyAtItsDeadline() throws Exception {
        long start = System.nanoTime();
        try (InboundFrame<Response> f = fetchFrame(0, 1 << 20, 300, 1)) {
            assertThat(f.message().getFetch().getTopics(0).getPartitions(0).getRecordsSize()).isZero();
        }
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(250);
    }

    @Test
    void aLongPollWhoseConnectionClosesLeavesThePurgatoryAtOnce() {
        conn.send(fetchRequest(0, 1 << 20, 600_000, 1));
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.replicaManager().fetchPurgatory().size() == 1);
        conn.close();
        conn = null;
        // Not at the ten-minute max wait, nor at an append that may never come to this partition.
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.replicaManager().fetchPurgatory().size() == 0);
    }

    @Test
    void minBytesZeroIsAnsweredAtOnceWhateverTheWait() throws Exception {
        long start = System.nanoTime();
        try (InboundFrame<Response> f = fetchFrame(0, 1 << 20, 10_000, 0)) {
            assertThat(f.message().getFetch().getTopics(0).getPartitions(0).getRecordsSize()).isZero();
        }
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
    }

    @Test
    void aFetchFromADeletedPartitionIsAnsweredNotSpunOn() throws Exception {
        produce(1, TestBatches.batch(0, 3, 10, 1));
        var partition = broker.replicaManager().partition(tp);
        broker.metadata().deleteTopic(tp.topic()).join();
        // A reader that looked the partition up just before the deletion reads a closed log.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> partition.read(0, 1 << 20, true))
                .isInstanceOf(io.sluice.broker.log.LogClosedException.class);
        try (InboundFrame<Response> f = fetchFrame(0, 1 << 20, 0, 1)) {
            assertThat(f.message().getFetch().getTopics(0).getPartitions(0).getErrorCode())
                    .isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
    }

    @Test
    void acksZeroIsNotAnsweredButAppended() throws Exception {
        ByteBuffer batch = TestBatches.batch(0, 4, 10, 1);
        conn.send(Request.newBuilder().setProduce(produceRequest(0, batch.remaining())), batch);
        assertThat(conn.receive(300)).isNull();
        assertThat(broker.replicaManager().partition(tp).logEndOffset()).isEqualTo(4);
    }

    @Test
    void listOffsetsGivesEarliestLatestAndByTimestamp() throws Exception {
        produce(1, TestBatches.batch(0, 5, 10, 1_000));
        produce(1, TestBatches.batch(5, 5, 10, 2_000));
        assertThat(listOffset(-2)).isEqualTo(0);
        assertThat(listOffset(-1)).isEqualTo(10);
        assertThat(listOffset(1_500)).isEqualTo(5);
        assertThat(listOffset(5_000)).isEqualTo(-1);
    }

    @Test
    void fetchedPayloadLeavesOnlyAsFileRegionsAndBrokerHeapDoesNotGrowWithIt() throws Exception {
        for (int i = 0; i < 64; i++) {
            produce(1, TestBatches.batch(i * 16L, 16, 1000, 1)); // ~1 MiB in all
        }
        long payloadPerPass = 0;
        long regionBefore = broker.traffic().regionBytes();
        long bufferBefore = broker.traffic().bufferBytes();
        long allocatedBefore = brokerThreadsAllocatedBytes();
        int passes = 100;
        for (int pass = 0; pass < passes; pass++) {
            long offset = 0;
            while (offset < 1024) {
                try (InboundFrame<Response> f = fetchFrame(offset, 256 << 10, 0, 1)) {
                    FetchPartitionResponse p = f.message().getFetch().getTopics(0).getPartitions(0);
                    ByteBuffer records = f.raw().nioBuffer();
                    int pos = 0;
                    while (pos < records.limit()) {
                        RecordBatch b = RecordBatch.at(records, pos);
                        offset = b.nextOffset();
                        pos += b.sizeInBytes();
                    }
                    payloadPerPass += pass == 0 ? p.getRecordsSize() : 0;
                }
            }
        }
        long payload = payloadPerPass * passes;
        long regionBytes = broker.traffic().regionBytes() - regionBefore;
        long bufferBytes = broker.traffic().bufferBytes() - bufferBefore;
        long allocated = brokerThreadsAllocatedBytes() - allocatedBefore;
        assertThat(regionBytes).isEqualTo(payload);
        assertThat(bufferBytes).as("only headers go out as buffers").isLessThan(payload / 100);
        assertThat(allocated).as("broker heap allocation while serving %d fetched bytes", payload).isLessThan(payload / 10);
    }

    private static long brokerThreadsAllocatedBytes() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] ids = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("sluice-"))
                .mapToLong(Thread::getId)
                .toArray();
        return Arrays.stream(mx.getThreadAllocatedBytes(ids)).filter(b -> b > 0).sum();
    }

    private long listOffset(long timestamp) throws InterruptedException {
        ListOffsetsRequest.Builder req = ListOffsetsRequest.newBuilder().setReplicaId(-1)
                .addTopics(ListOffsetsTopic.newBuilder().setName(tp.topic())
                        .addPartitions(ListOffsetsPartition.newBuilder().setPartition(0).setTimestamp(timestamp).setCurrentLeaderEpoch(-1)));
        try (InboundFrame<Response> f = conn.call(Request.newBuilder().setListOffsets(req))) {
            var p = f.message().getListOffsets().getTopics(0).getPartitions(0);
            assertThat(p.getErrorCode()).isEqualTo(ErrorCode.NONE);
            return p.getOffset();
        }
    }

    private PartitionProduceResponse produce(int acks, ByteBuffer batch) throws InterruptedException {
        try (InboundFrame<Response> f = conn.call(Request.newBuilder().setProduce(produceRequest(acks, batch.remaining())), batch)) {
            assertThat(f.message().getErrorCode()).isEqualTo(ErrorCode.NONE);
            return f.message().getProduce().getTopics(0).getPartitions(0);
        }
    }

    private ProduceRequest.Builder produceRequest(int acks, int size) {
        return ProduceRequest.newBuilder().setAcks(acks).setTimeoutMs(5000)
                .addTopics(TopicProduceData.newBuilder().setName(tp.topic())
                        .addPartitions(PartitionProduceData.newBuilder().setPartition(tp.partition()).setRecordsSize(size)));
    }

    private Request.Builder fetchRequest(long offset, int maxBytes, int maxWaitMs, int minBytes) {
        return Request.newBuilder().setFetch(FetchRequest.newBuilder()
                .setReplicaId(-1).setMaxWaitMs(maxWaitMs).setMinBytes(minBytes).setMaxBytes(maxBytes)
                .addTopics(FetchTopic.newBuilder().setName(tp.topic())
                        .addPartitions(FetchPartition.newBuilder().setPartition(tp.partition()).setFetchOffset(offset)
                                .setPartitionMaxBytes(maxBytes).setCurrentLeaderEpoch(-1))));
    }

    private InboundFrame<Response> fetchFrame(long offset, int maxBytes, int maxWaitMs, int minBytes) throws InterruptedException {
        return conn.call(fetchRequest(offset, maxBytes, maxWaitMs, minBytes));
    }
}
