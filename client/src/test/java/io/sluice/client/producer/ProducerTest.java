package io.sluice.client.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.errors.CorruptMessageException;
import io.sluice.client.errors.NotEnoughReplicasException;
import io.sluice.client.testing.MiniBroker;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.record.Record;
import io.sluice.proto.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProducerTest {
    private MiniBroker broker;

    @BeforeEach
    void start() throws Exception {
        broker = new MiniBroker();
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private Map<String, Object> config(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", broker.bootstrap());
        m.put("request.timeout.ms", 2000);
        m.put("delivery.timeout.ms", 20000);
        m.put("retry.backoff.ms", 20);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The values in the partition's log, in offset order, checking offsets are contiguous from 0. */
    private List<String> values(String topic, int partition) {
        MiniBroker.PartitionLog log = broker.log(topic, partition);
        List<String> out = new ArrayList<>();
        synchronized (broker) {
            long expected = 0;
            for (byte[] bytes : log.batches.values()) {
                RecordBatch batch = RecordBatch.at(ByteBuffer.wrap(bytes), 0);
                batch.validate();
                for (Record r : batch) {
                    assertThat(r.offset()).isEqualTo(expected++);
                    out.add(StandardCharsets.UTF_8.decode(r.value()).toString());
                }
            }
        }
        return out;
    }

    private static List<String> expected(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("v" + i);
        }
        return out;
    }

    private static List<CompletableFuture<RecordMetadata>> sendAll(Producer producer, String topic, int n) {
        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(producer.send(new ProducerRecord(topic, 0, null, b("v" + i))));
        }
        return futures;
    }

    @Test
    void sendsRecordsAndReportsTheirOffsets() throws Exception {
        broker.createTopic("t", 3);
        try (Producer producer = Producer.create(config())) {
            List<CompletableFuture<RecordMetadata>> futures = sendAll(producer, "t", 100);
            producer.flush();
            for (int i = 0; i < 100; i++) {
                RecordMetadata md = futures.get(i).get(5, TimeUnit.SECONDS);
                assertThat(md.topic()).isEqualTo("t");
                assertThat(md.partition()).isZero();
                assertThat(md.offset()).isEqualTo(i);
            }
            // Keys go where Kafka's partitioner puts them.
            RecordMetadata keyed = producer.send("t", b("foobar"), b("x")).get(5, TimeUnit.SECONDS);
            assertThat(keyed.partition()).isEqualTo(Partitioner.partition(b("foobar"), 3));
            // Null keys stick to one partition while its batch fills.
            List<CompletableFuture<RecordMetadata>> sticky = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                sticky.add(producer.send("t", null, b("s" + i)));
            }
            producer.flush();
            assertThat(sticky).extracting(f -> f.join().partition()).containsOnly(sticky.get(0).join().partition());
        }
        assertThat(values("t", 0).subList(0, 100)).isEqualTo(expected(100));
        // Idempotent by default: batches carry a producer id and sequences from 0.
        assertThat(broker.received.get(0)).contains("seq=0");
    }

    @Test
    void retriesResendTheSameBatchWithTheSameSequenceAndKeepOrder() throws Exception {
        broker.createTopic("t", 1);
        AtomicInteger refusals = new AtomicInteger(3);
        broker.produceFault = (tp, batch) -> batch.baseSequence() == 0 && refusals.getAndDecrement() > 0
                ? ErrorCode.NOT_LEADER_OR_FOLLOWER : null;
        try (Producer producer = Producer.create(config("batch.size", 200, "linger.ms", 0))) {
            List<CompletableFuture<RecordMetadata>> futures = sendAll(producer, "t", 300);
            producer.flush();
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).get(5, TimeUnit.SECONDS).offset()).isEqualTo(i);
            }
        }
        assertThat(values("t", 0)).isEqualTo(expected(300));
        // The first batch was refused three times, then accepted: four times the same sequence and the same CRC.
        String first = broker.received.get(0);
        assertThat(broker.received.stream().filter(first::equals).count()).isEqualTo(4);
    }

    @Test
    void aRefusedBatchInTheMiddleOfSeveralInFlightIsRetriedFirstAndTheOthersFollowInOrder() throws Exception {
        broker.createTopic("t", 1);
        AtomicInteger batches = new AtomicInteger();
        // The fifth batch the broker sees is refused once; the ones in flight behind it come back out of sequence.
        broker.produceFault = (tp, batch) -> batches.incrementAndGet() == 5 ? ErrorCode.REQUEST_TIMED_OUT : null;
        try (Producer producer = Producer.create(config("batch.size", 120, "linger.ms", 0))) {
            List<CompletableFuture<RecordMetadata>> futures = sendAll(producer, "t", 500);
            producer.flush();
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).get(5, TimeUnit.SECONDS).offset()).isEqualTo(i);
            }
        }
        assertThat(values("t", 0)).isEqualTo(expected(500));
    }

    @Test
    void aLostAnswerIsRetriedAndTheBrokerDeduplicatesIt() throws Exception {
        broker.createTopic("t", 1);
        broker.dropProduceResponses.set(1);
        try (Producer producer = Producer.create(config("linger.ms", 0, "request.timeout.ms", 300))) {
            List<CompletableFuture<RecordMetadata>> futures = sendAll(producer, "t", 50);
            producer.flush();
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).get(5, TimeUnit.SECONDS).offset()).isEqualTo(i);
            }
        }
        assertThat(values("t", 0)).isEqualTo(expected(50));
    }

    @Test
    void aNonRetriableErrorFailsTheRecordsWithItsException() {
        broker.createTopic("t", 1);
        broker.produceFault = (tp, batch) -> ErrorCode.CORRUPT_MESSAGE;
        try (Producer producer = Producer.create(config())) {
            CompletableFuture<RecordMetadata> f = producer.send("t", null, b("x"));
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(CorruptMessageException.class);
        }
    }

    @Test
    void aBatchRefusedUnwrittenGivesItsSequenceBackSoTheNextOneIsAccepted() throws Exception {
        broker.createTopic("t", 1);
        AtomicInteger refusals = new AtomicInteger(1);
        broker.produceFault = (tp, batch) -> refusals.getAndDecrement() > 0 ? ErrorCode.NOT_ENOUGH_REPLICAS : null;
        try (Producer producer = Producer.create(config("retries", 0, "linger.ms", 0))) {
            CompletableFuture<RecordMetadata> refused = producer.send("t", null, b("refused"));
            assertThatThrownBy(() -> refused.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(NotEnoughReplicasException.class);
            // Without the sequence given back the broker would expect 0 and see 1: OUT_OF_ORDER_SEQUENCE forever.
            assertThat(producer.send("t", null, b("v0")).get(5, TimeUnit.SECONDS).offset()).isZero();
            assertThat(producer.send("t", null, b("v1")).get(5, TimeUnit.SECONDS).offset()).isEqualTo(1);
        }
        assertThat(values("t", 0)).isEqualTo(expected(2));
        assertThat(broker.received).filteredOn(r -> r.contains("seq=0")).hasSize(2);
    }

    @Test
    void acksZeroAndAcksOneDeliver() throws Exception {
        broker.createTopic("t", 1);
        try (Producer producer = Producer.create(config("acks", "0"))) {
            RecordMetadata md = producer.send(new ProducerRecord("t", 0, null, b("v0"))).get(5, TimeUnit.SECONDS);
            assertThat(md.offset()).isEqualTo(-1);
        }
        try (Producer producer = Producer.create(config("acks", "1"))) {
            List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
            for (int i = 1; i < 20; i++) {
                futures.add(producer.send(new ProducerRecord("t", 0, null, b("v" + i))));
            }
            producer.flush();
            assertThat(futures.get(18).get(5, TimeUnit.SECONDS).offset()).isEqualTo(19);
        }
        assertThat(values("t", 0)).isEqualTo(expected(20));
        assertThat(broker.received).allMatch(s -> s.contains("seq=-1"));
    }

    @Test
    void closeSendsWhatIsBufferedAndCallbacksRun() throws Exception {
        broker.createTopic("t", 1);
        List<RecordMetadata> acked = new java.util.concurrent.CopyOnWriteArrayList<>();
        Producer producer = Producer.create(config("linger.ms", 10_000, "delivery.timeout.ms", 60_000));
        for (int i = 0; i < 10; i++) {
            producer.send(new ProducerRecord("t", 0, null, b("v" + i)), (md, e) -> acked.add(md));
        }
        producer.close();
        assertThat(acked).hasSize(10).extracting(RecordMetadata::offset).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThatThrownBy(() -> producer.send("t", null, b("late"))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closeWithZeroTimeoutFailsWhatIsPending() throws Exception {
        broker.createTopic("t", 1);
        Producer producer = Producer.create(config("linger.ms", 10_000, "delivery.timeout.ms", 60_000));
        CompletableFuture<RecordMetadata> f = producer.send("t", null, b("x"));
        producer.close(Duration.ZERO);
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOf(io.sluice.client.errors.TimeoutException.class);
    }

    @Test
    void recordsFailAfterDeliveryTimeoutWhenTheBrokerIsGone() throws Exception {
        broker.createTopic("t", 1);
        try (Producer producer = Producer.create(config("linger.ms", 0, "request.timeout.ms", 300,
                "delivery.timeout.ms", 1500, "max.block.ms", 1000))) {
            assertThat(producer.send("t", null, b("before")).get(5, TimeUnit.SECONDS).offset()).isZero();
            // In flight when the broker goes (its answer never comes), then queued while it is gone.
            broker.dropProduceResponses.set(1);
            CompletableFuture<RecordMetadata> inFlight = producer.send("t", null, b("in flight"));
            Thread.sleep(100);
            broker.close();
            CompletableFuture<RecordMetadata> queued = producer.send("t", null, b("queued"));
            for (CompletableFuture<RecordMetadata> f : List.of(inFlight, queued)) {
                assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).cause()
                        .isInstanceOf(io.sluice.client.errors.TimeoutException.class)
                        .hasMessageContaining("delivery.timeout.ms");
            }
            producer.close(Duration.ZERO);
        }
    }

    @Test
    void anUnknownTopicFailsAfterMaxBlock() {
        try (Producer producer = Producer.create(config("max.block.ms", 300))) {
            CompletableFuture<RecordMetadata> f = producer.send("nope", null, b("x"));
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).cause()
                    .isInstanceOf(io.sluice.client.errors.SluiceException.class).hasMessageContaining("nope");
        }
    }
}
