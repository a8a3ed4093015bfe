/**
 * The broker's metrics (ARCHITECTURE.md §12): {@link io.sluice.broker.metrics.BrokerMetrics} owns the
 * Micrometer Prometheus registry and one meter class per component; {@link io.sluice.broker.metrics.MetricsServer}
 * serves it at {@code /metrics} over the broker's own Netty. The hot paths count through references
 * resolved once (per API, per partition), never through registry lookups.
 */
package io.sluice.broker.metrics;
