package io.sluice.broker.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.TestBroker;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.InitProducerIdRequest;
import io.sluice.proto.message.InitProducerIdResponse;
import io.sluice.proto.message.PartitionProduceData;
import io.sluice.proto.message.PartitionProduceResponse;
import io.sluice.proto.message.ProduceRequest;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicProduceData;
import io.sluice.proto.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Idempotent producers against a real broker: a retried batch is answered with its original offset, never written twice. */
class IdempotentProduceIT {
    @TempDir
    Path dir;

    private TestBroker broker;
    private final TopicPartition tp = new TopicPartition("payments", 0);

    @BeforeEach
    void start() {
        broker = new TestBroker(dir.resolve("data"), Map.of());
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void retriesAreAnsweredWithTheOriginalOffsetAcrossARestartAndGapsAreRefused() throws Exception {
        TestTopics.create(broker.broker(), tp.topic(), 1);
        InitProducerIdResponse id = initProducerId();
        assertThat(id.getErrorCode()).isEqualTo(ErrorCode.NONE);
        long pid = id.getProducerId();
        short epoch = (short) id.getProducerEpoch();
        assertThat(initProducerId().getProducerId()).isNotEqualTo(pid);

        ByteBuffer b0 = batch(pid, epoch, 0, 3);
        ByteBuffer b1 = batch(pid, epoch, 3, 2);
        assertThat(produce(b0.duplicate())).satisfies(r -> assertThat(r.getBaseOffset()).isEqualTo(0));
        assertThat(produce(b1.duplicate())).satisfies(r -> assertThat(r.getBaseOffset()).isEqualTo(3));
        // The retry of b0 (its answer was "lost"): same offset, nothing written.
        PartitionProduceResponse retry = produce(b0.duplicate());
        assertThat(retry.getErrorCode()).isEqualTo(ErrorCode.NONE);
        assertThat(retry.getBaseOffset()).isEqualTo(0);
        assertThat(broker.broker().replicaManager().partition(tp).logEndOffset()).isEqualTo(5);
        // A gap: sequence 7 after 4.
        PartitionProduceResponse gap = produce(batch(pid, epoch, 7, 1));
        assertThat(gap.getErrorCode()).isEqualTo(ErrorCode.OUT_OF_ORDER_SEQUENCE);
        assertThat(gap.getErrorMessage()).contains("expected 5");

        broker.restart();
        PartitionProduceResponse afterRestart = produce(b1.duplicate());
        assertThat(afterRestart.getErrorCode()).isEqualTo(ErrorCode.NONE);
        assertThat(afterRestart.getBaseOffset()).isEqualTo(3);
        assertThat(produce(batch(pid, epoch, 5, 1)).getBaseOffset()).isEqualTo(5);
        assertThat(broker.broker().replicaManager().partition(tp).logEndOffset()).isEqualTo(6);
        // Producer ids are never handed out twice, restarts included.
        assertThat(initProducerId().getProducerId()).isGreaterThan(pid + 1);
    }

    private static ByteBuffer batch(long pid, short epoch, int baseSequence, int records) {
        RecordBatchBuilder b = new RecordBatchBuilder(256).producerId(pid).producerEpoch(epoch).baseSequence(baseSequence);
        for (int i = 0; i < records; i++) {
            b.append(1_000L, null, ("v" + (baseSequence + i)).getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    private InitProducerIdResponse initProducerId() throws InterruptedException {
        try (InboundFrame<Response> f = broker.connection().call(Request.newBuilder().setInitProducerId(
                InitProducerIdRequest.newBuilder().setProducerId(-1).setProducerEpoch(-1)))) {
            return f.message().getInitProducerId();
        }
    }

    private PartitionProduceResponse produce(ByteBuffer batch) throws InterruptedException {
        ProduceRequest.Builder req = ProduceRequest.newBuilder().setAcks(-1).setTimeoutMs(5000)
                .addTopics(TopicProduceData.newBuilder().setName(tp.topic())
                        .addPartitions(PartitionProduceData.newBuilder().setPartition(0).setRecordsSize(batch.remaining())));
        try (InboundFrame<Response> f = broker.connection().call(Request.newBuilder().setProduce(req), batch)) {
            return f.message().getProduce().getTopics(0).getPartitions(0);
        }
    }
}
