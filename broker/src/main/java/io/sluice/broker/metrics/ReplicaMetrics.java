package io.sluice.broker.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.ReplicaManager;

/**
 * The replica manager's gauges, read at scrape time: {@code sluice_purgatory_size{purgatory="produce"|"fetch"}},
 * requests parked waiting for the high watermark ({@code acks=all}) or for data (long-poll fetches), and
 * {@code sluice_partitions_led}, the partitions this broker leads, {@code sluice_partitions_followed}, those it
 * follows, {@code sluice_partitions_under_replicated}, those it leads with fewer in-sync replicas than replicas,
 * {@code sluice_isr_shrinks_total} / {@code sluice_isr_expands_total}, committed ISR changes of partitions it leads,
 * and {@code sluice_replica_max_lag_records}, the worst replication lag among its partitions (per partition:
 * {@code sluice_partition_replica_lag_records}).
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
        FunctionCounter.builder("sluice.isr.shrinks", replicas, ReplicaManager::isrShrinks)
                .description("Committed ISR changes that removed a replica from a partition this broker leads")
                .register(registry);
        FunctionCounter.builder("sluice.isr.expands", replicas, ReplicaManager::isrExpands)
                .description("Committed ISR changes that added a replica to a partition this broker leads")
                .register(registry);
        Gauge.builder("sluice.replica.max.lag", replicas, r -> r.partitions().stream()
                        .mapToLong(Partition::replicaLag).max().orElse(0))
                .description("Most records any replica of a partition hosted here is behind its leader "
                        + "(on leaders: their followers; on followers: themselves)")
                .baseUnit("records").register(registry);
    }
}
