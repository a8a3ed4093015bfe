package io.sluice.client.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.errors.OffsetOutOfRangeException;
import io.sluice.client.errors.RecordVerificationException;
import io.sluice.client.testing.MiniBroker;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.RecordBatchBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConsumerTest {
    private static final TopicPartition TP = new TopicPartition("t", 0);
    private MiniBroker broker;

    @BeforeEach
    void start() throws Exception {
        broker = new MiniBroker();
        broker.createTopic("t", 2);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private Map<String, Object> config(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", broker.bootstrap());
        m.put("request.timeout.ms", 5000);
        m.put("fetch.max.wait.ms", 50);
        m.put("retry.backoff.ms", 10);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Appends batches of {@code perBatch} records "v<offset>" until {@code total} records are in the log. */
    private void fill(TopicPartition tp, int total, int perBatch) {
        int offset = (int) broker.log(tp.topic(), tp.partition()).logEnd;
        while (offset < total) {
            RecordBatchBuilder b = new RecordBatchBuilder(256);
            for (int i = 0; i < perBatch && offset < total; i++, offset++) {
                b.append(System.currentTimeMillis(), null, ("v" + offset).getBytes(StandardCharsets.UTF_8));
            }
            broker.append(tp, b.build());
        }
    }

    private static List<String> drain(Consumer consumer, int expected) {
        List<String> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (out.size() < expected && System.nanoTime() < deadline) {
            for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
                assertThat(r.offset()).isEqualTo(Long.parseLong(StandardCharsets.UTF_8.decode(r.value()).toString().substring(1)));
                out.add(StandardCharsets.UTF_8.decode(r.value()).toString());
            }
        }
        return out;
    }

    private static List<String> values(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add("v" + i);
        }
        return out;
    }

    @Test
    void readsEverythingFromTheBeginningInPollsOfAtMostMaxPollRecords() {
        fill(TP, 1000, 7);
        try (Consumer consumer = Consumer.create(config("max.poll.records", 100))) {
            consumer.assign(List.of(TP));
            consumer.seekToBeginning(List.of(TP));
            List<String> got = new ArrayList<>();
            while (got.size() < 1000) {
                ConsumerRecords records = consumer.poll(Duration.ofSeconds(5));
                assertThat(records.count()).isBetween(1, 100);
                records.forEach(r -> got.add(StandardCharsets.UTF_8.decode(r.value()).toString()));
            }
            assertThat(got).isEqualTo(values(0, 1000));
            assertThat(consumer.position(TP)).isEqualTo(1000);
            assertThat(consumer.poll(Duration.ofMillis(100)).isEmpty()).isTrue();
            // New data arrives while the consumer waits.
            fill(TP, 1010, 3);
            assertThat(drain(consumer, 10)).isEqualTo(values(1000, 1010));
        }
    }

    @Test
    void aSeekIntoTheMiddleOfABatchSkipsTheRecordsBeforeIt() {
        fill(TP, 100, 10);
        try (Consumer consumer = Consumer.create(config())) {
            consumer.assign(List.of(TP));
            consumer.seek(TP, 55);
            assertThat(drain(consumer, 45)).isEqualTo(values(55, 100));
            consumer.seek(TP, 3);
            assertThat(drain(consumer, 97)).isEqualTo(values(3, 100));
        }
    }

    @Test
    void autoOffsetResetDecidesWhereAPartitionWithoutPositionStarts() {
        fill(TP, 20, 5);
        try (Consumer consumer = Consumer.create(config("auto.offset.reset", "earliest"))) {
            consumer.assign(List.of(TP));
            assertThat(consumer.position(TP)).isZero();
        }
        try (Consumer consumer = Consumer.create(config())) {
            consumer.assign(List.of(TP));
            assertThat(consumer.position(TP)).isEqualTo(20);
        }
        try (Consumer consumer = Consumer.create(config("auto.offset.reset", "none"))) {
            consumer.assign(List.of(TP));
            assertThatThrownBy(() -> consumer.poll(Duration.ofMillis(100))).isInstanceOf(OffsetOutOfRangeException.class)
                    .hasMessageContaining("t-0");
            consumer.seek(TP, 50);
            assertThatThrownBy(() -> drain(consumer, 1)).isInstanceOf(OffsetOutOfRangeException.class)
                    .hasMessageContaining("50");
        }
        try (Consumer consumer = Consumer.create(config("auto.offset.reset", "earliest"))) {
            consumer.assign(List.of(TP));
            consumer.seek(TP, 500);
            assertThat(drain(consumer, 20)).isEqualTo(values(0, 20));
        }
    }

    @Test
    void commitsAndReadsBackCommittedOffsets() {
        fill(TP, 30, 10);
        TopicPartition other = new TopicPartition("t", 1);
        try (Consumer consumer = Consumer.create(config("group.id", "g", "auto.offset.reset", "earliest"))) {
            consumer.assign(List.of(TP, other));
            assertThat(consumer.committed(Set.of(TP, other))).isEmpty();
            assertThat(drain(consumer, 30)).hasSize(30);
            consumer.commitSync();
            assertThat(consumer.committed(Set.of(TP, other))).isEqualTo(Map.of(TP, 30L, other, 0L));
            consumer.commitSync(Map.of(TP, 12L));
        }
        try (Consumer consumer = Consumer.create(config("group.id", "g"))) {
            consumer.assign(List.of(TP));
            assertThat(consumer.position(TP)).isEqualTo(12);
        }
        try (Consumer consumer = Consumer.create(config())) {
            assertThatThrownBy(consumer::commitSync).hasMessageContaining("group.id");
        }
    }

    @Test
    void aCorruptBatchFailsThePollNamingPartitionAndOffset() {
        fill(TP, 30, 10);
        byte[] second = broker.log("t", 0).batches.get(10L);
        second[second.length - 1] ^= 0x40;
        try (Consumer consumer = Consumer.create(config("auto.offset.reset", "earliest"))) {
            consumer.assign(List.of(TP));
            assertThatThrownBy(() -> drain(consumer, 30)).isInstanceOf(RecordVerificationException.class)
                    .hasMessageContaining("t-0").hasMessageContaining("offset 10");
        }
    }

    @Test
    void aGapInTheLogFailsThePoll() {
        fill(TP, 20, 10);
        synchronized (broker) {
            // Renumber the second batch so that offsets 10..14 are missing.
            byte[] second = broker.log("t", 0).batches.remove(10L);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(second);
            io.sluice.proto.record.RecordBatch.setBaseOffset(b, 0, 15);
            broker.log("t", 0).batches.put(15L, second);
        }
        try (Consumer consumer = Consumer.create(config("auto.offset.reset", "earliest"))) {
            consumer.assign(List.of(TP));
            assertThatThrownBy(() -> drain(consumer, 25)).isInstanceOf(RecordVerificationException.class)
                    .hasMessageContaining("gap").hasMessageContaining("10..14");
        }
    }
}
