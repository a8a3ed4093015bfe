package io.sluice.broker.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.ReplicaManager;

/**
 * The replica manager's gauges, read at scrape time: {@code sluice_purgatory_size{purgatory="produce"|"fetch"}},
 * requests parked waiting for the high watermark ({@code acks=all}) or for data (long-poll fetches), and
 * {@code sluice_partitions_led}, the partitions this broker leads, {@code sluice_partitions_followed}, those it
 * follows, and {@code sluice_partitions_under_replicated}, those it leads with fewer in-sync replicas than replicas.
 *
 * <p>Thread-safety: stateless; the purgatories' sizes are atomics and the partition map is concurrent.
 */
public final class ReplicaMetrics implements MeterBinder {
    private final ReplicaManager replicas;

    public ReplicaMetrics(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("sluice.purgatory.size", replicas, r -> r.producePurgatory().size())
                .description("Requests parked in a purgatory").tag("purgatory", "produce").register(registry);
        Gauge.builder("sluice.purgatory.size", replicas, r -> r.fetchPurgatory().size())
                .description("Requests parked in a purgatory").tag("purgatory", "fetch").register(registry);
        Gauge.builder("sluice.partitions.led", replicas, r -> r.partitions().stream().filter(Partition::isLeader).count())
                .description("Partitions this broker leads").register(registry);
        Gauge.builder("sluice.partitions.followed", replicas, r -> r.partitions().stream().filter(p -> !p.isLeader()).count())
                .description("Partitions this broker follows").register(registry);
        Gauge.builder("sluice.partitions.under_replicated", replicas, r -> r.partitions().stream()
                        .filter(p -> p.isLeader() && p.inSyncReplicas().size() < p.replicas().size()).count())
                .description("Partitions this broker leads whose in-sync set is smaller than their replica set")
                .register(registry);
    }
}
