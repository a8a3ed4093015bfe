package io.sluice.client.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProducerConfigTest {
    private static Map<String, Object> base() {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", "127.0.0.1:9292");
        return m;
    }

    private static Map<String, Object> with(String key, Object value) {
        Map<String, Object> m = base();
        m.put(key, value);
        return m;
    }

    @Test
    void defaultsAreKafkas() {
        ProducerConfig c = new ProducerConfig(base());
        assertThat(c.acks()).isEqualTo((short) -1);
        assertThat(c.batchSize()).isEqualTo(16384);
        assertThat(c.lingerMs()).isEqualTo(5);
        assertThat(c.bufferMemory()).isEqualTo(33554432L);
        assertThat(c.maxBlockMs()).isEqualTo(60000);
        assertThat(c.maxRequestSize()).isEqualTo(1048576);
        assertThat(c.retries()).isEqualTo(Integer.MAX_VALUE);
        assertThat(c.retryBackoffMs()).isEqualTo(100);
        assertThat(c.requestTimeoutMs()).isEqualTo(30000);
        assertThat(c.deliveryTimeoutMs()).isEqualTo(120000);
        assertThat(c.idempotence()).isTrue();
        assertThat(c.maxInFlight()).isEqualTo(5);
        assertThat(c.clientId()).startsWith("sluice-producer-");
    }

    @Test
    void acceptsNumbersAndStrings() {
        assertThat(new ProducerConfig(with("batch.size", 1024)).batchSize()).isEqualTo(1024);
        assertThat(new ProducerConfig(with("linger.ms", "0")).lingerMs()).isZero();
        assertThat(new ProducerConfig(with("acks", "all")).acks()).isEqualTo((short) -1);
        assertThat(new ProducerConfig(with("acks", -1)).acks()).isEqualTo((short) -1);
    }

    @Test
    void acksBelowAllTurnsDefaultIdempotenceOff() {
        ProducerConfig c = new ProducerConfig(with("acks", "1"));
        assertThat(c.acks()).isEqualTo((short) 1);
        assertThat(c.idempotence()).isFalse();
        Map<String, Object> both = with("acks", "0");
        both.put("enable.idempotence", "true");
        assertThatThrownBy(() -> new ProducerConfig(both)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("enable.idempotence");
    }

    @Test
    void refusesUnknownKeysAndBadValuesNamingTheKey() {
        assertThatThrownBy(() -> new ProducerConfig(with("batch.sise", 1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch.sise");
        assertThatThrownBy(() -> new ProducerConfig(with("batch.size", "big"))).hasMessageContaining("batch.size");
        assertThatThrownBy(() -> new ProducerConfig(with("linger.ms", -1))).hasMessageContaining("linger.ms");
        assertThatThrownBy(() -> new ProducerConfig(with("acks", "2"))).hasMessageContaining("acks");
        assertThatThrownBy(() -> new ProducerConfig(with("enable.idempotence", "yes"))).hasMessageContaining("enable.idempotence");
        assertThatThrownBy(() -> new ProducerConfig(with("bootstrap.servers", "nohost"))).hasMessageContaining("bootstrap.servers");
        assertThatThrownBy(() -> new ProducerConfig(new HashMap<>())).hasMessageContaining("bootstrap.servers");
        assertThatThrownBy(() -> new ProducerConfig(with("max.in.flight.requests.per.connection", 0)))
                .hasMessageContaining("max.in.flight.requests.per.connection");
        assertThatThrownBy(() -> new ProducerConfig(with("delivery.timeout.ms", 1000)))
                .hasMessageContaining("delivery.timeout.ms");
    }
}
