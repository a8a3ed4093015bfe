package io.sluice.broker.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.sluice.broker.network.SocketServer;
import io.sluice.broker.network.TrafficCounter;

/**
 * The listener's meters, read at scrape time: what went to the sockets by kind
 * ({@code sluice_network_sent_bytes_total{kind="file_region"|"buffer"}},
 * {@code sluice_network_file_regions_total}: {@link TrafficCounter}'s totals, every response included) and
 * the connections ({@code sluice_connections_open}, {@code sluice_connections_accepted_total}).
 *
 * <p>Thread-safety: stateless; the functions read the server's lock-free counters.
 */
public final class NetworkMetrics implements MeterBinder {
    private final SocketServer server;

    public NetworkMetrics(SocketServer server) {
        this.server = server;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        TrafficCounter traffic = server.traffic();
        FunctionCounter.builder("sluice.network.sent", traffic, TrafficCounter::regionBytes)
                .description("Bytes handed to the sockets, as file regions (sendfile) or buffers (headers, copies)")
                .baseUnit("bytes").tag("kind", "file_region").register(registry);
        FunctionCounter.builder("sluice.network.sent", traffic, TrafficCounter::bufferBytes)
                .description("Bytes handed to the sockets, as file regions (sendfile) or buffers (headers, copies)")
                .baseUnit("bytes").tag("kind", "buffer").register(registry);
        FunctionCounter.builder("sluice.network.file.regions", traffic, TrafficCounter::regions)
                .description("File regions handed to the sockets").register(registry);
        Gauge.builder("sluice.connections.open", server, SocketServer::openConnections)
                .description("Client and replica connections open").register(registry);
        FunctionCounter.builder("sluice.connections.accepted", server, SocketServer::connectionsAccepted)
                .description("Connections accepted since the start").register(registry);
    }
}
