package io.sluice.broker.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.PartitionObserver;
import io.sluice.broker.partition.PartitionTraffic;
import io.sluice.proto.TopicPartition;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The meters of the partitions this broker hosts.
 *
 * <ul>
 *   <li>per topic, counted by every partition of it: {@code sluice_topic_bytes_in_total},
 *   {@code sluice_topic_records_in_total} (produce appends), {@code sluice_topic_bytes_out_total{path}},
 *   {@code sluice_topic_records_out_total{path}} (fetch answers as they reach the socket; {@code path} is
 *   {@code consumer} or {@code follower});
 *   <li>per fetch path, {@code sluice_fetch_payload_bytes_total{path,mode}}: payload bytes sent as a
 *   {@code file_region} ({@code sendfile}) or {@code copied}, counted where they reach the socket, and
 *   {@code sluice_fetch_payload_queued_bytes_total{path}}, counted where fetch answers hand them to the channel:
 *   the zero-copy share is the first over the second;
 *   <li>per partition, gauges read at scrape time: {@code sluice_partition_log_size_bytes},
 *   {@code sluice_partition_segments}, {@code sluice_partition_log_end_offset},
 *   {@code sluice_partition_high_watermark}; registered when the partition is created, removed when it
 *   is deleted (and a topic's counters with its last partition).
 * </ul>
 *
 * <p>Thread-safety: {@link PartitionObserver} calls come from the metadata thread; the maps are concurrent
 * so that a scrape may run meanwhile. The {@link PartitionTraffic} handed out is lock-free.
 */
public final class PartitionMetrics implements PartitionObserver {
    private final MeterRegistry registry;
    /** [follower ? 1 : 0][zeroCopy ? 0 : 1]. */
    private final Counter[][] payload = new Counter[2][2];
    /** [follower ? 1 : 0]. */
    private final Counter[] queued = new Counter[2];
    private final ConcurrentHashMap<String, TopicMeters> topics = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<TopicPartition, List<Meter>> gauges = new ConcurrentHashMap<>();

    PartitionMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (int path = 0; path < 2; path++) {
            queued[path] = Counter.builder("sluice.fetch.payload.queued")
                    .description("Fetched record bytes handed to the channel, by fetch path: the zero-copy share is "
                            + "sluice_fetch_payload_bytes_total{mode=\"file_region\"} over this")
                    .baseUnit("bytes")
                    .tag("path", pathName(path == 1))
                    .register(registry);
            for (int mode = 0; mode < 2; mode++) {
                payload[path][mode] = Counter.builder("sluice.fetch.payload")
                        .description("Fetched record bytes handed to the socket, by fetch path and by how they were sent")
                        .baseUnit("bytes")
                        .tag("path", pathName(path == 1))
                        .tag("mode", mode == 0 ? "file_region" : "copied")
                        .register(registry);
            }
        }
    }

    @Override
    public PartitionTraffic trafficOf(TopicPartition tp) {
        return topics.computeIfAbsent(tp.topic(), TopicMeters::new);
    }

    @Override
    public void onCreated(Partition partition) {
        TopicPartition tp = partition.topicPartition();
        topics.computeIfAbsent(tp.topic(), TopicMeters::new).partitions++;
        Tags tags = Tags.of("topic", tp.topic(), "partition", Integer.toString(tp.partition()));
        List<Meter> meters = List.of(
                gauge("sluice.partition.log.size", "bytes", "Bytes of data in the partition's segments", partition,
                        p -> p.log().size(), tags),
                gauge("sluice.partition.segments", null, "Segments of the partition's log", partition,
                        p -> p.log().segmentCount(), tags),
                gauge("sluice.partition.log.end.offset", null, "Offset the next appended record gets", partition,
                        Partition::logEndOffset, tags),
                gauge("sluice.partition.high.watermark", null, "Offset below which records are committed", partition,
                        Partition::highWatermark, tags),
                gauge("sluice.partition.replica.lag", "records", "Records the partition's replication lags: on the "
                        + "leader, its furthest-behind follower; on a follower, itself", partition,
                        Partition::replicaLag, tags));
        List<Meter> old = gauges.put(tp, meters);
        if (old != null) {
            old.forEach(registry::remove);
        }
    }

    @Override
    public void onDeleted(Partition partition) {
        TopicPartition tp = partition.topicPartition();
        List<Meter> meters = gauges.remove(tp);
        if (meters != null) {
            meters.forEach(registry::remove);
        }
        topics.computeIfPresent(tp.topic(), (name, t) -> {
            if (--t.partitions > 0) {
                return t;
            }
            t.remove();
            return null;
        });
    }

    private Gauge gauge(String name, String unit, String description, Partition partition,
                        ToDoubleFunction<Partition> f, Tags tags) {
        return Gauge.builder(name, partition, f).description(description).baseUnit(unit).tags(tags).register(registry);
    }

    private static String pathName(boolean follower) {
        return follower ? "follower" : "consumer";
    }

    /**
     * One topic's counters, shared by its partitions. Thread-safety: the counters are lock-free;
     * {@code partitions} is only touched inside the map's compute functions.
     */
    private final class TopicMeters implements PartitionTraffic {
        private final Counter bytesIn;
        private final Counter recordsIn;
        private final Counter[] bytesOut = new Counter[2];
        private final Counter[] recordsOut = new Counter[2];
        private int partitions;

        TopicMeters(String topic) {
            bytesIn = Counter.builder("sluice.topic.bytes.in").description("Bytes of record batches appended by producers")
                    .tag("topic", topic).register(registry);
            recordsIn = Counter.builder("sluice.topic.records.in").description("Records appended by producers")
                    .tag("topic", topic).register(registry);
            for (int path = 0; path < 2; path++) {
                bytesOut[path] = Counter.builder("sluice.topic.bytes.out")
                        .description("Bytes of record batches sent in fetch answers, by fetch path")
                        .tag("topic", topic).tag("path", pathName(path == 1)).register(registry);
                recordsOut[path] = Counter.builder("sluice.topic.records.out")
                        .description("Records sent in fetch answers (whole batches), by fetch path")
                        .tag("topic", topic).tag("path", pathName(path == 1)).register(registry);
            }
        }

        @Override
        public void appended(int records, int bytes) {
            recordsIn.increment(records);
            bytesIn.increment(bytes);
        }

        @Override
        public void queued(long bytes, boolean follower) {
            queued[follower ? 1 : 0].increment(bytes);
        }

        @Override
        public void fetched(long records, long bytes, boolean follower, boolean zeroCopy) {
            int path = follower ? 1 : 0;
            bytesOut[path].increment(bytes);
            recordsOut[path].increment(records);
            payload[path][zeroCopy ? 0 : 1].increment(bytes);
        }

        void remove() {
            registry.remove(bytesIn);
            registry.remove(recordsIn);
            for (int path = 0; path < 2; path++) {
                registry.remove(bytesOut[path]);
                registry.remove(recordsOut[path]);
            }
        }
    }
}
