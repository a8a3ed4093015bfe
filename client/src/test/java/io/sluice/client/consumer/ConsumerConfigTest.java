package io.sluice.client.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsumerConfigTest {
    private static Map<String, Object> with(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", "127.0.0.1:9292");
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void defaultsAreKafkas() {
        ConsumerConfig c = new ConsumerConfig(with());
        assertThat(c.fetchMinBytes()).isEqualTo(1);
        assertThat(c.fetchMaxWaitMs()).isEqualTo(500);
        assertThat(c.fetchMaxBytes()).isEqualTo(52428800);
        assertThat(c.maxPartitionFetchBytes()).isEqualTo(1048576);
        assertThat(c.autoOffsetReset()).isEqualTo(ConsumerConfig.OffsetReset.LATEST);
        assertThat(c.maxPollRecords()).isEqualTo(500);
        assertThat(c.requestTimeoutMs()).isEqualTo(30000);
        assertThat(c.groupId()).isEmpty();
        assertThat(new ConsumerConfig(with("auto.offset.reset", "Earliest")).autoOffsetReset())
                .isEqualTo(ConsumerConfig.OffsetReset.EARLIEST);
    }

    @Test
    void refusesUnknownKeysAndBadValuesNamingTheKey() {
        assertThatThrownBy(() -> new ConsumerConfig(with("enable.auto.commit", "true")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("enable.auto.commit");
        assertThatThrownBy(() -> new ConsumerConfig(with("auto.offset.reset", "smallest")))
                .hasMessageContaining("auto.offset.reset");
        assertThatThrownBy(() -> new ConsumerConfig(with("max.poll.records", 0))).hasMessageContaining("max.poll.records");
        assertThatThrownBy(() -> new ConsumerConfig(with("fetch.max.bytes", "1MB"))).hasMessageContaining("fetch.max.bytes");
        assertThatThrownBy(() -> new ConsumerConfig(with("request.timeout.ms", 100)))
                .hasMessageContaining("request.timeout.ms");
        assertThatThrownBy(() -> new ConsumerConfig(new HashMap<>())).hasMessageContaining("bootstrap.servers");
    }
}
