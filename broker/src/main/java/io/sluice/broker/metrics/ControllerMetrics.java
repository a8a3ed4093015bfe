package io.sluice.broker.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.sluice.broker.metadata.MetadataStore;

/**
 * The controller quorum as this broker sees it, read at scrape time: {@code sluice_controller_active}, 1 while this
 * broker is the active controller (the Ratis leader, ready) and 0 otherwise, and {@code sluice_controller_id}, the
 * node id of the quorum leader this broker knows of, or -1 while it knows none. Exactly one broker of a healthy
 * cluster reports {@code sluice_controller_active 1}; tools ({@code bin/sluice-cluster status}) and system tests find
 * the controller with it.
 *
 * <p>Thread-safety: stateless; the metadata store answers from the Ratis division's own thread-safe state.
 */
public final class ControllerMetrics implements MeterBinder {
    private final MetadataStore metadata;

    public ControllerMetrics(MetadataStore metadata) {
        this.metadata = metadata;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("sluice.controller.active", metadata, m -> m.isActiveController() ? 1 : 0)
                .description("1 if this broker is the active controller (the controller quorum's leader), else 0")
                .register(registry);
        Gauge.builder("sluice.controller.id", metadata, MetadataStore::controllerId)
                .description("Node id of the active controller as this broker knows it, -1 if none")
                .register(registry);
    }
}
