package io.sluice.broker.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.TestBroker;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.OffsetCommitPartition;
import io.sluice.proto.message.OffsetCommitRequest;
import io.sluice.proto.message.OffsetCommitTopic;
import io.sluice.proto.message.OffsetFetchPartitionResponse;
import io.sluice.proto.message.OffsetFetchRequest;
import io.sluice.proto.message.OffsetFetchResponse;
import io.sluice.proto.message.OffsetFetchTopic;
import io.sluice.proto.message.PartitionError;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OffsetCommit and OffsetFetch against a real broker; committed offsets survive a restart. */
class CommittedOffsetsIT {
    @TempDir
    Path dir;

    private TestBroker broker;

    @BeforeEach
    void start() {
        broker = new TestBroker(dir.resolve("data"), Map.of(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, "4"));
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void commitsAreFetchedBackAndSurviveARestart() throws Exception {
        assertThat(commit("billing", "orders", 0, 42, "m0")).extracting(PartitionError::getErrorCode).isEqualTo(ErrorCode.NONE);
        assertThat(commit("billing", "orders", 1, 7, "")).extracting(PartitionError::getErrorCode).isEqualTo(ErrorCode.NONE);
        assertThat(commit("billing", "orders", 0, 50, "m1").getErrorCode()).isEqualTo(ErrorCode.NONE);
        assertThat(commit("", "orders", 0, 1, "").getErrorCode()).isEqualTo(ErrorCode.INVALID_GROUP_ID);
        PartitionError tooLarge = commit("billing", "orders", 2, 1, "x".repeat(5000));
        assertThat(tooLarge.getErrorCode()).isEqualTo(ErrorCode.OFFSET_METADATA_TOO_LARGE);
        assertThat(tooLarge.getErrorMessage()).contains("offset.metadata.max.bytes");

        OffsetFetchResponse asked = fetch("billing", "orders", 0, 1, 2);
        assertThat(asked.getTopics(0).getPartitionsList()).extracting(OffsetFetchPartitionResponse::getCommittedOffset)
                .containsExactly(50L, 7L, -1L);
        assertThat(asked.getTopics(0).getPartitions(0).getMetadata()).isEqualTo("m1");
        assertThat(fetch("other", "orders", 0).getTopics(0).getPartitions(0).getCommittedOffset()).isEqualTo(-1);

        broker.restart();
        OffsetFetchResponse all = fetch("billing", null);
        assertThat(all.getErrorCode()).isEqualTo(ErrorCode.NONE);
        assertThat(all.getTopics(0).getPartitionsList()).extracting(OffsetFetchPartitionResponse::getCommittedOffset)
                .containsExactlyInAnyOrder(50L, 7L);
    }

    private PartitionError commit(String group, String topic, int partition, long offset, String metadata) throws InterruptedException {
        OffsetCommitRequest.Builder req = OffsetCommitRequest.newBuilder().setGroupId(group)
                .addTopics(OffsetCommitTopic.newBuilder().setName(topic).addPartitions(OffsetCommitPartition.newBuilder()
                        .setPartition(partition).setCommittedOffset(offset).setCommittedLeaderEpoch(0).setMetadata(metadata)));
        try (InboundFrame<Response> f = broker.connection().call(Request.newBuilder().setOffsetCommit(req))) {
            return f.message().getOffsetCommit().getTopics(0).getPartitions(0);
        }
    }

    private OffsetFetchResponse fetch(String group, String topic, int... partitions) throws InterruptedException {
        OffsetFetchRequest.Builder req = OffsetFetchRequest.newBuilder().setGroupId(group);
        if (topic != null) {
            OffsetFetchTopic.Builder t = OffsetFetchTopic.newBuilder().setName(topic);
            for (int p : partitions) {
                t.addPartitions(p);
            }
            req.addTopics(t);
        }
        try (InboundFrame<Response> f = broker.connection().call(Request.newBuilder().setOffsetFetch(req))) {
            return f.message().getOffsetFetch();
        }
    }
}
