package io.sluice.broker.metrics;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The broker's meters (ARCHITECTURE.md §12), in one {@link PrometheusMeterRegistry} that
 * {@link MetricsServer} renders. It owns the registry and the JVM and process binders, and hands the
 * components their observers: {@link #requests()} for the listener, {@link #partitions()} for the
 * replica manager; gauges over other components are added with {@link #bind}.
 *
 * <p>Meter names are Micrometer's dotted names; the Prometheus registry turns them into snake case with
 * the unit and {@code _total} suffixes ({@code sluice.topic.bytes.in} → {@code sluice_topic_bytes_in_total}).
 *
 * <p>Thread-safety: the registry is thread-safe; {@link #bind} and {@link #close()} are called by the
 * broker's starting and stopping thread.
 */
public final class BrokerMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final RequestMetrics requests;
    private final PartitionMetrics partitions;

    public BrokerMetrics() {
        new JvmMemoryMetrics().bindTo(registry); // heap, non-heap, and the buffer pools: "direct" and "mapped"
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        requests = new RequestMetrics(registry);
        partitions = new PartitionMetrics(registry);
    }

    /** The observer of every request the listener reads and answers. */
    public RequestMetrics requests() {
        return requests;
    }

    /** The observer of the partitions this broker hosts: their traffic counters and gauges. */
    public PartitionMetrics partitions() {
        return partitions;
    }

    /** Registers a component's meters. */
    public void bind(MeterBinder binder) {
        binder.bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Writes every meter in the Prometheus text format 0.0.4 to {@code out}. */
    public void scrape(OutputStream out) throws IOException {
        registry.scrape(out);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
