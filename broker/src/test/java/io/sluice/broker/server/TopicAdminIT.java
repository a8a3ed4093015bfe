package io.sluice.broker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.testing.TestBroker;
import io.sluice.broker.testing.TestBatches;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.CreatableTopic;
import io.sluice.proto.message.CreateTopicsRequest;
import io.sluice.proto.message.DeleteTopicsRequest;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.MetadataRequest;
import io.sluice.proto.message.MetadataResponse;
import io.sluice.proto.message.PartitionMetadata;
import io.sluice.proto.message.PartitionProduceData;
import io.sluice.proto.message.ProduceRequest;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicProduceData;
import io.sluice.proto.message.TopicResult;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CreateTopics, DeleteTopics and Metadata against a real broker, including a restart. */
class TopicAdminIT {
    @TempDir
    Path dir;

    private TestBroker broker;

    @BeforeEach
    void start() {
        broker = new TestBroker(dir.resolve("data"), Map.of(
                BrokerConfig.NUM_PARTITIONS, "3",
                BrokerConfig.LOG_SEGMENT_BYTES, Integer.toString(1 << 20),
                BrokerConfig.LOG_SEGMENT_PREFILL_BYTES, "0"));
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void createDescribeProduceDeleteAndTheTopicSurvivesARestart() throws Exception {
        List<TopicResult> created = create(CreatableTopic.newBuilder().setName("clicks").setNumPartitions(2)
                        .putConfigs("segment.bytes", "65536"),
                CreatableTopic.newBuilder().setName("views"), // broker default: 3 partitions
                CreatableTopic.newBuilder().setName("clicks"),
                CreatableTopic.newBuilder().setName("bad/name"),
                CreatableTopic.newBuilder().setName("rf").setReplicationFactor(2),
                CreatableTopic.newBuilder().setName("cfg").putConfigs("segment.bytes", "ten"),
                CreatableTopic.newBuilder().setName("__mine"));
        assertThat(created).extracting(TopicResult::getErrorCode).containsExactly(
                ErrorCode.NONE, ErrorCode.NONE, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_TOPIC,
                ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_TOPIC);
        assertThat(created.get(5).getErrorMessage()).contains("segment.bytes");
        assertThat(create(CreatableTopic.newBuilder().setName("clicks")).get(0).getErrorCode())
                .isEqualTo(ErrorCode.TOPIC_ALREADY_EXISTS);

        ByteBuffer batch = TestBatches.batch(0, 7, 20, 1);
        try (InboundFrame<Response> f = broker.connection().call(Request.newBuilder().setProduce(ProduceRequest.newBuilder().setAcks(-1)
                .setTimeoutMs(5000).addTopics(TopicProduceData.newBuilder().setName("clicks")
                        .addPartitions(PartitionProduceData.newBuilder().setPartition(1).setRecordsSize(batch.remaining())))), batch)) {
            assertThat(f.message().getProduce().getTopics(0).getPartitions(0).getErrorCode()).isEqualTo(ErrorCode.NONE);
        }

        MetadataResponse md = metadata(List.of("clicks", "views", "missing"));
        assertThat(md.getBrokersList()).singleElement().satisfies(b -> {
            assertThat(b.getNodeId()).isEqualTo(1);
            assertThat(b.getPort()).isEqualTo(broker.broker().port());
        });
        assertThat(md.getTopics(0).getPartitionsList()).hasSize(2);
        PartitionMetadata p1 = md.getTopics(0).getPartitions(1);
        assertThat(p1.getLeaderId()).isEqualTo(1);
        assertThat(p1.getReplicasList()).containsExactly(1);
        assertThat(p1.getIsrList()).containsExactly(1);
        assertThat(p1.getLogEndOffset()).isEqualTo(7);
        assertThat(p1.getHighWatermark()).isEqualTo(7);
        assertThat(md.getTopics(1).getPartitionsList()).hasSize(3);
        assertThat(md.getTopics(2).getErrorCode()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(broker.broker().replicaManager().partition(new TopicPartition("clicks", 1)).log().config().segmentBytes())
                .isEqualTo(65536);

        broker.restart();
        md = metadata(List.of());
        assertThat(md.getTopicsList()).extracting(t -> t.getName()).contains("clicks", "views");
        assertThat(metadata(List.of("clicks")).getTopics(0).getPartitions(1).getLogEndOffset()).isEqualTo(7);
        assertThat(broker.broker().replicaManager().partition(new TopicPartition("clicks", 1)).log().config().segmentBytes())
                .as("the topic's own settings after a restart").isEqualTo(65536);

        try (InboundFrame<Response> f = broker.connection().call(Request.newBuilder().setDeleteTopics(
                DeleteTopicsRequest.newBuilder().addTopics("clicks").addTopics("missing")))) {
            assertThat(f.message().getDeleteTopics().getTopicsList()).extracting(TopicResult::getErrorCode)
                    .containsExactly(ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        assertThat(metadata(List.of("clicks")).getTopics(0).getErrorCode()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(broker.broker().replicaManager().partition(new TopicPartition("clicks", 1))).isNull();
        // The directories are renamed at once and removed in the background.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            try (var files = Files.list(dir.resolve("data"))) {
                assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("clicks-"));
            }
        });
    }

    private List<TopicResult> create(CreatableTopic.Builder... topics) throws InterruptedException {
        CreateTopicsRequest.Builder req = CreateTopicsRequest.newBuilder().setTimeoutMs(5000);
        for (CreatableTopic.Builder t : topics) {
            req.addTopics(t);
        }
        try (InboundFrame<Response> f = broker.connection().call(Request.newBuilder().setCreateTopics(req))) {
            assertThat(f.message().getErrorCode()).isEqualTo(ErrorCode.NONE);
            return f.message().getCreateTopics().getTopicsList();
        }
    }

    private MetadataResponse metadata(List<String> topics) throws InterruptedException {
        try (InboundFrame<Response> f = broker.connection().call(Request.newBuilder().setMetadata(
                MetadataRequest.newBuilder().addAllTopics(topics).setAllTopics(topics.isEmpty())))) {
            return f.message().getMetadata();
        }
    }
}
