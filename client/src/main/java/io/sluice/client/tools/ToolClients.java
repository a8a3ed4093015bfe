package io.sluice.client.tools;

import io.sluice.client.errors.TopicExistsException;
import io.sluice.client.errors.UnknownTopicException;

import io.sluice.client.ClientConfig;
import io.sluice.client.admin.Admin;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** What the tools share to reach a cluster: a bootstrap list checked as a usage error, and a bounded admin client. */
public final class ToolClients {
    /** The request timeout of the tools' admin calls unless --request-timeout-ms says otherwise. */
    public static final int DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

    private ToolClients() {
    }

    /**
     * An admin client for {@code bootstrap}, each call bounded by {@code requestTimeoutMs} (an unreachable broker is
     * reported after it).
     *
     * @throws CommandLine.ParameterException (exit 2) when {@code bootstrap} is not host:port[,host:port...]
     */
    public static Admin admin(CommandSpec spec, String bootstrap, String clientId, int requestTimeoutMs) {
        ClientConfig config;
        try {
            config = ClientConfig.of(bootstrap);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--bootstrap: " + e.getMessage());
        }
        return new Admin(config.withClientId(clientId).withRequestTimeoutMs(requestTimeoutMs));
    }

    /**
     * Creates {@code topic} with {@code partitions} partitions (0: the broker's default) and the broker's default
     * replication factor, unless it exists (a tool that writes makes its topic, as Kafka's perf tools rely on).
     */
    public static void ensureTopic(String bootstrap, String clientId, String topic, int partitions) {
        try (Admin admin = new Admin(ClientConfig.of(bootstrap).withClientId(clientId)
                .withRequestTimeoutMs(DEFAULT_REQUEST_TIMEOUT_MS))) {
            try {
                admin.describeTopic(topic);
            } catch (UnknownTopicException e) {
                try {
                    admin.createTopic(topic, partitions, 0, java.util.Map.of());
                } catch (TopicExistsException raced) {
                    // created meanwhile
                }
            }
        }
    }

    /** Checks that {@code ms} is positive, else a usage error naming {@code flag}. */
    public static void requirePositive(CommandSpec spec, String flag, long value) {
        if (value <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), flag + " must be positive, not " + value);
        }
    }
}
