package io.sluice.client;

import io.sluice.client.metadata.Node;
import io.sluice.client.network.ConnectionConfig;
import io.sluice.client.network.Transport;
import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link SluiceClient} needs: where to start, who it is, how long to wait and how to retry.
 *
 * @param bootstrap        the bootstrap brokers, with ids -1, -2, ... until metadata names them
 * @param requestTimeoutMs how long one request may wait for its response
 * @param retryBackoffMs   the pause before a retriable request is tried again
 * @param connection       per-connection settings (frame limit, in-flight bound, connect timeout)
 * @param transport        event loops and channel class; {@link Transport#shared()} by default
 */
public record ClientConfig(List<Node> bootstrap, String clientId, int requestTimeoutMs, int retryBackoffMs,
                           ConnectionConfig connection, Transport transport) {

    public ClientConfig {
        bootstrap = List.copyOf(bootstrap);
        if (bootstrap.isEmpty()) {
            throw new IllegalArgumentException("bootstrap.servers: no broker given");
        }
    }

    /** Defaults for {@code bootstrapServers} ("host:port,host:port"). */
    public static ClientConfig of(String bootstrapServers) {
        return new ClientConfig(parseBootstrap(bootstrapServers), "sluice-client", 30_000, 100,
                ConnectionConfig.defaults("sluice-client"), Transport.shared());
    }

    public ClientConfig withClientId(String id) {
        return new ClientConfig(bootstrap, id, requestTimeoutMs, retryBackoffMs,
                new ConnectionConfig(id, connection.maxFrameBytes(), connection.maxInFlight(),
                        connection.connectTimeoutMs(), connection.writeBufferLowMark(), connection.writeBufferHighMark()),
                transport);
    }

    public ClientConfig withRequestTimeoutMs(int ms) {
        return new ClientConfig(bootstrap, clientId, ms, retryBackoffMs, connection, transport);
    }

    public ClientConfig withRetryBackoffMs(int ms) {
        return new ClientConfig(bootstrap, clientId, requestTimeoutMs, ms, connection, transport);
    }

    public ClientConfig withConnection(ConnectionConfig c) {
        return new ClientConfig(bootstrap, clientId, requestTimeoutMs, retryBackoffMs, c, transport);
    }

    public ClientConfig withTransport(Transport t) {
        return new ClientConfig(bootstrap, clientId, requestTimeoutMs, retryBackoffMs, connection, t);
    }

    /**
     * Parses "host:port,host:port".
     *
     * @throws IllegalArgumentException naming {@code bootstrap.servers} when an entry is not host:port
     */
    public static List<Node> parseBootstrap(String servers) {
        if (servers == null || servers.isBlank()) {
            throw new IllegalArgumentException("bootstrap.servers: no broker given (expected host:port[,host:port...])");
        }
        List<Node> nodes = new ArrayList<>();
        for (String entry : servers.split(",")) {
            String s = entry.trim();
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || colon == s.length() - 1) {
                throw new IllegalArgumentException("bootstrap.servers: '" + s + "' is not host:port");
            }
            String host = s.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bootstrap.servers: '" + s + "' has no numeric port");
            }
            if (port <= 0 || port > 65535) {
                throw new IllegalArgumentException("bootstrap.servers: port " + port + " of '" + s + "' is out of range");
            }
            nodes.add(new Node(-1 - nodes.size(), host, port));
        }
        return nodes;
    }
}
