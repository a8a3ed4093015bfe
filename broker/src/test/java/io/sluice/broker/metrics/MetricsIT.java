package io.sluice.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.server.BrokerConfig;
import io.sluice.broker.testing.RawConnection;
import io.sluice.broker.testing.TestBatches;
import io.sluice.broker.testing.TestBroker;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.FetchPartition;
import io.sluice.proto.message.FetchPartitionResponse;
import io.sluice.proto.message.FetchRequest;
import io.sluice.proto.message.FetchTopic;
import io.sluice.proto.message.PartitionProduceData;
import io.sluice.proto.message.ProduceRequest;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicProduceData;
import io.sluice.proto.record.RecordBatch;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real broker, produced to and fetched from frame by frame, then scraped over HTTP: every scrape must
 * parse strictly, and the numbers must be the ones the test can count itself.
 */
class MetricsIT {
    private static final String TOPIC = "metered";

    @TempDir
    Path dir;

    private TestBroker broker;
    private RawConnection conn;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        broker = new TestBroker(dir, Map.of());
        broker.broker().metadata().createTopic(TOPIC, 2, 1, Map.of()).join();
        conn = broker.connection();
    }

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void trafficRequestsAndPartitionsAreCountedAsTheyHappened() throws Exception {
        long bytesIn = 0;
        long[] recordsPerPartition = new long[2];
        long[] bytesPerPartition = new long[2];
        for (int i = 0; i < 40; i++) {
            int partition = i % 4 == 0 ? 1 : 0; // 30 batches to partition 0, 10 to partition 1
            int count = 5 + i % 7;
            ByteBuffer batch = TestBatches.batch(i * 100L, count, 2000, 1_000 + i);
            bytesIn += batch.remaining();
            bytesPerPartition[partition] += batch.remaining();
            assertThat(produce(partition, batch)).isEqualTo(ErrorCode.NONE);
            recordsPerPartition[partition] += count;
        }
        // Consumers read both partitions to the end, in small fetches; a follower reads partition 0 once.
        long[] consumerBytes = new long[1];
        long[] consumerRecords = new long[1];
        int consumerFetches = 0;
        for (int p = 0; p < 2; p++) {
            long offset = 0;
            while (offset < recordsPerPartition[p]) {
                offset = fetch(p, offset, 64 << 10, -1, 0, consumerBytes, consumerRecords);
                consumerFetches++;
            }
        }
        long[] followerBytes = new long[1];
        long[] followerRecords = new long[1];
        // Only a replica may fetch as a follower: broker 2 is named one (outside the ISR, so the HW is unchanged).
        var replicas = broker.broker().replicaManager();
        var p0 = replicas.partition(new io.sluice.proto.TopicPartition(TOPIC, 0));
        replicas.becomeLeader(p0.topicPartition(), p0.log().config(), p0.leaderEpoch(), List.of(1, 2), List.of(1));
        fetch(0, 0, 16 << 20, 2, 0, followerBytes, followerRecords);
        assertThat(consumerBytes[0]).isEqualTo(bytesIn);
        assertThat(followerBytes[0]).isEqualTo(bytesPerPartition[0]);
        // A long poll parks in the purgatory: its latency includes the wait.
        long end = recordsPerPartition[0];
        assertThat(fetch(0, end, 1 << 20, -1, 300, new long[1], new long[1])).isEqualTo(end);
        consumerFetches++;
        // An error in a partition's answer is counted by API and code.
        assertThat(produce(7, TestBatches.batch(0, 1, 10, 1))).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

        PrometheusText m = scrape();

        assertThat(m.value("sluice_topic_bytes_in_total", "topic", TOPIC)).isEqualTo(bytesIn);
        assertThat(m.value("sluice_topic_records_in_total", "topic", TOPIC))
                .isEqualTo(recordsPerPartition[0] + recordsPerPartition[1]);
        assertThat(m.value("sluice_topic_bytes_out_total", "topic", TOPIC, "path", "consumer")).isEqualTo(consumerBytes[0]);
        assertThat(m.value("sluice_topic_records_out_total", "topic", TOPIC, "path", "consumer")).isEqualTo(consumerRecords[0]);
        assertThat(consumerRecords[0]).isEqualTo(recordsPerPartition[0] + recordsPerPartition[1]);
        assertThat(m.value("sluice_topic_bytes_out_total", "topic", TOPIC, "path", "follower")).isEqualTo(followerBytes[0]);
        assertThat(m.value("sluice_topic_records_out_total", "topic", TOPIC, "path", "follower")).isEqualTo(recordsPerPartition[0]);

        // The zero-copy promise, per path: consumer payload goes out as file regions, nothing is copied.
        double consumerPayload = m.sum("sluice_topic_bytes_out_total", "path", "consumer");
        double zeroCopy = m.value("sluice_fetch_payload_bytes_total", "path", "consumer", "mode", "file_region");
        double queued = m.value("sluice_fetch_payload_queued_bytes_total", "path", "consumer");
        assertThat(consumerPayload).isPositive();
        assertThat(queued).as("payload handed to the channel").isEqualTo(consumerBytes[0]);
        assertThat(zeroCopy).as("zero-copy share of the queued payload").isGreaterThanOrEqualTo(0.99 * queued);
        assertThat(m.value("sluice_fetch_payload_bytes_total", "path", "consumer", "mode", "copied")).isZero();
        assertThat(m.value("sluice_fetch_payload_bytes_total", "path", "follower", "mode", "file_region")).isEqualTo(followerBytes[0]);
        // ... and the socket-level totals are TrafficCounter's.
        assertThat(m.value("sluice_network_sent_bytes_total", "kind", "file_region")).isEqualTo(broker.broker().traffic().regionBytes());
        assertThat(m.value("sluice_network_sent_bytes_total", "kind", "file_region")).isEqualTo(consumerBytes[0] + followerBytes[0]);
        assertThat(m.value("sluice_network_sent_bytes_total", "kind", "buffer")).isEqualTo(broker.broker().traffic().bufferBytes());
        // The test's connection, and the broker's own heartbeat connection to the controller (itself) once it is made.
        assertThat(m.value("sluice_connections_open")).isBetween(1.0, 2.0);
        assertThat(m.value("sluice_connections_accepted_total")).isEqualTo(m.value("sluice_connections_open"));

        // Requests and latency per API.
        assertThat(m.value("sluice_requests_total", "api", "produce")).isEqualTo(41);
        assertThat(m.value("sluice_requests_total", "api", "fetch")).isEqualTo(consumerFetches + 1);
        assertThat(m.type("sluice_request_latency_seconds")).isEqualTo("histogram");
        assertHistogram(m, "produce", 41);
        assertHistogram(m, "fetch", consumerFetches + 1);
        assertThat(m.value("sluice_request_latency_seconds_sum", "api", "fetch")).as("the long poll's wait").isGreaterThan(0.25);
        assertThat(m.value("sluice_request_latency_seconds_bucket", "api", "fetch", "le", "0.25"))
                .as("the long poll is not in the 250 ms bucket").isLessThan(consumerFetches + 1);
        assertThat(m.value("sluice_request_errors_total", "api", "produce", "error", "UNKNOWN_TOPIC_OR_PARTITION")).isEqualTo(1);
        assertThat(m.find("sluice_request_errors_total", "api", "fetch")).isEmpty();

        // Partition gauges.
        for (int p = 0; p < 2; p++) {
            String partition = Integer.toString(p);
            assertThat(m.value("sluice_partition_log_end_offset", "topic", TOPIC, "partition", partition))
                    .isEqualTo(recordsPerPartition[p]);
            assertThat(m.value("sluice_partition_high_watermark", "topic", TOPIC, "partition", partition))
                    .isEqualTo(recordsPerPartition[p]);
            assertThat(m.value("sluice_partition_log_size_bytes", "topic", TOPIC, "partition", partition))
                    .isEqualTo(bytesPerPartition[p]);
            assertThat(m.value("sluice_partition_segments", "topic", TOPIC, "partition", partition)).isEqualTo(1);
        }
        assertThat(m.value("sluice_purgatory_size", "purgatory", "fetch")).isZero();
        assertThat(m.value("sluice_purgatory_size", "purgatory", "produce")).isZero();
        assertThat(m.value("sluice_partitions_led")).as("2 of %s and the offsets topic's 2", TOPIC).isEqualTo(4);
        // A single node is a one-voter quorum: it is the active controller.
        assertThat(m.value("sluice_controller_active")).isEqualTo(1);
        assertThat(m.value("sluice_controller_id")).isEqualTo(broker.broker().config().nodeId());

        // JVM and process: memory, the mapped buffer pool (segments and indexes), GC, threads, classes, fds, CPU, uptime.
        assertThat(m.value("jvm_buffer_count_buffers", "id", "mapped")).isPositive();
        assertThat(m.value("jvm_buffer_memory_used_bytes", "id", "mapped")).isPositive();
        assertThat(m.sum("jvm_memory_used_bytes", "area", "heap")).isPositive();
        assertThat(m.value("process_files_open_files")).isPositive();
        assertThat(m.value("jvm_threads_live_threads")).isPositive();
        assertThat(m.value("jvm_classes_loaded_classes")).isPositive();
        assertThat(m.find("process_cpu_usage")).hasSize(1);
        assertThat(m.value("process_uptime_seconds")).isPositive();
        assertThat(m.value("jvm_gc_max_data_size_bytes")).isPositive();
    }

    @Test
    void aDeletedTopicLeavesTheScrape() throws Exception {
        assertThat(produce(0, TestBatches.batch(0, 3, 100, 1))).isEqualTo(ErrorCode.NONE);
        assertThat(scrape().find("sluice_partition_log_end_offset", "topic", TOPIC)).hasSize(2);
        broker.broker().metadata().deleteTopic(TOPIC).join();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            PrometheusText m = scrape();
            assertThat(m.samples()).noneMatch(s -> TOPIC.equals(s.label("topic")));
        });
    }

    @Test
    void otherPathsAndMethodsAreRefused() throws Exception {
        String base = "http://127.0.0.1:" + broker.broker().metricsPort();
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/metricsx")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(405);
    }

    @Test
    void aTakenMetricsPortStopsTheStartNamingTheKey() {
        int taken = broker.broker().metricsPort();
        assertThatThrownBy(() -> new TestBroker(dir.resolve("second"), Map.of(BrokerConfig.METRICS_PORT, Integer.toString(taken))))
                .hasMessageStartingWith("metrics.port").hasMessageContaining(Integer.toString(taken));
    }

    private static void assertHistogram(PrometheusText m, String api, long count) {
        assertThat(m.value("sluice_request_latency_seconds_count", "api", api)).isEqualTo(count);
        assertThat(m.value("sluice_request_latency_seconds_bucket", "api", api, "le", "+Inf")).isEqualTo(count);
        List<PrometheusText.Sample> buckets = m.find("sluice_request_latency_seconds_bucket", "api", api);
        assertThat(buckets).hasSizeGreaterThan(10);
        double previous = 0;
        double previousLe = 0;
        for (PrometheusText.Sample b : buckets) {
            double le = b.label("le").equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(b.label("le"));
            assertThat(le).isGreaterThan(previousLe);
            assertThat(b.value()).as("cumulative buckets").isGreaterThanOrEqualTo(previous);
            previous = b.value();
            previousLe = le;
        }
        assertThat(m.value("sluice_request_latency_seconds_sum", "api", api)).isPositive();
    }

    private PrometheusText scrape() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + broker.broker().metricsPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return PrometheusText.parse(r.body());
    }

    private ErrorCode produce(int partition, ByteBuffer batch) throws InterruptedException {
        ProduceRequest.Builder req = ProduceRequest.newBuilder().setAcks(-1).setTimeoutMs(5000)
                .addTopics(TopicProduceData.newBuilder().setName(TOPIC)
                        .addPartitions(PartitionProduceData.newBuilder().setPartition(partition).setRecordsSize(batch.remaining())));
        try (InboundFrame<Response> f = conn.call(Request.newBuilder().setProduce(req), batch)) {
            assertThat(f.message().getErrorCode()).isEqualTo(ErrorCode.NONE);
            return f.message().getProduce().getTopics(0).getPartitions(0).getErrorCode();
        }
    }

    /** Fetches once; adds the payload bytes and records received; returns the offset to fetch next. */
    private long fetch(int partition, long offset, int maxBytes, int replicaId, int maxWaitMs, long[] bytes, long[] records)
            throws InterruptedException {
        Request.Builder req = Request.newBuilder().setFetch(FetchRequest.newBuilder()
                .setReplicaId(replicaId).setMaxWaitMs(maxWaitMs).setMinBytes(1).setMaxBytes(maxBytes)
                .addTopics(FetchTopic.newBuilder().setName(TOPIC)
                        .addPartitions(FetchPartition.newBuilder().setPartition(partition).setFetchOffset(offset)
                                .setPartitionMaxBytes(maxBytes).setCurrentLeaderEpoch(-1))));
        try (InboundFrame<Response> f = conn.call(req)) {
            FetchPartitionResponse p = f.message().getFetch().getTopics(0).getPartitions(0);
            assertThat(p.getErrorCode()).isEqualTo(ErrorCode.NONE);
            ByteBuffer data = f.raw().nioBuffer();
            assertThat(data.remaining()).isEqualTo(p.getRecordsSize());
            bytes[0] += data.remaining();
            long next = offset;
            for (int pos = 0; pos < data.limit(); ) {
                RecordBatch b = RecordBatch.at(data, pos);
                records[0] += b.nextOffset() - b.baseOffset();
                next = b.nextOffset();
                pos += b.sizeInBytes();
            }
            return next;
        }
    }
}
