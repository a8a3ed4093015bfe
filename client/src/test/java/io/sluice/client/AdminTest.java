package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.admin.Admin;
import io.sluice.client.admin.TopicDescription;
import io.sluice.client.errors.BrokerUnavailableException;
import io.sluice.client.errors.TopicExistsException;
import io.sluice.client.errors.UnknownTopicException;
import io.sluice.client.testing.MiniBroker;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.RecordBatchBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdminTest {
    @Test
    void createsListsAndDescribesTopics() throws Exception {
        try (MiniBroker broker = new MiniBroker(); Admin admin = Admin.create(broker.bootstrap())) {
            admin.createTopic("a", 3, 1, Map.of());
            assertThatThrownBy(() -> admin.createTopic("a", 3, 1, Map.of())).isInstanceOf(TopicExistsException.class)
                    .hasMessageContaining("a");
            admin.createTopic("b", 0, 0, Map.of());
            assertThat(admin.listTopics()).containsExactly("a", "b");
            broker.append(new TopicPartition("a", 1), new RecordBatchBuilder(64).append(1, null, new byte[1])
                    .append(2, null, new byte[1]).build());
            TopicDescription a = admin.describeTopic("a");
            assertThat(a.partitions()).hasSize(3);
            assertThat(a.partitions().get(1).leader()).isEqualTo(MiniBroker.NODE_ID);
            assertThat(a.partitions().get(1).logEndOffset()).isEqualTo(2);
            assertThat(a.partitions().get(1).highWatermark()).isEqualTo(2);
            assertThat(a.partitions().get(1).isr()).containsExactly(MiniBroker.NODE_ID);
            assertThatThrownBy(() -> admin.describeTopics(List.of("a", "missing"))).isInstanceOf(UnknownTopicException.class)
                    .hasMessageContaining("missing");
            assertThat(admin.describeCluster().nodes()).extracting(n -> n.id()).containsExactly(MiniBroker.NODE_ID);
            assertThat(admin.describeCluster().clusterId()).isEqualTo("mini");
        }
    }

    @Test
    void anUnreachableBrokerIsAClearError() throws Exception {
        int port;
        try (MiniBroker broker = new MiniBroker()) {
            port = broker.server().port();
        }
        ClientConfig config = ClientConfig.of("127.0.0.1:" + port).withRequestTimeoutMs(500).withRetryBackoffMs(50);
        try (Admin admin = new Admin(config)) {
            assertThatThrownBy(admin::listTopics).isInstanceOf(BrokerUnavailableException.class)
                    .hasMessageContaining("127.0.0.1:" + port);
        }
    }

    @Test
    void bootstrapServersAreParsedStrictly() {
        assertThat(ClientConfig.parseBootstrap("a:1, b:2")).extracting(n -> n.address()).containsExactly("a:1", "b:2");
        assertThatThrownBy(() -> ClientConfig.parseBootstrap("a")).hasMessageContaining("bootstrap.servers");
        assertThatThrownBy(() -> ClientConfig.parseBootstrap("a:x")).hasMessageContaining("bootstrap.servers");
        assertThatThrownBy(() -> ClientConfig.parseBootstrap("a:70000")).hasMessageContaining("bootstrap.servers");
    }
}
