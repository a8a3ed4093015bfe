package io.sluice.client.consumer;

import io.sluice.client.ClientConfig;
import io.sluice.client.Settings;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The consumer's settings, with Kafka's key names and defaults; an unknown key or a bad value is an
 * {@link IllegalArgumentException} naming the key.
 *
 * <table>
 *   <caption>keys</caption>
 *   <tr><td>bootstrap.servers</td><td>required</td></tr>
 *   <tr><td>client.id</td><td>"sluice-consumer-N"</td></tr>
 *   <tr><td>group.id</td><td>none: then commits and committed offsets are refused</td></tr>
 *   <tr><td>fetch.min.bytes</td><td>1</td></tr>
 *   <tr><td>fetch.max.wait.ms</td><td>500</td></tr>
 *   <tr><td>fetch.max.bytes</td><td>52428800 per fetch response</td></tr>
 *   <tr><td>max.partition.fetch.bytes</td><td>1048576</td></tr>
 *   <tr><td>auto.offset.reset</td><td>earliest, latest (default) or none</td></tr>
 *   <tr><td>max.poll.records</td><td>500</td></tr>
 *   <tr><td>request.timeout.ms</td><td>30000</td></tr>
 *   <tr><td>retry.backoff.ms</td><td>100</td></tr>
 * </table>
 *
 * Immutable.
 */
public final class ConsumerConfig {
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String CLIENT_ID = "client.id";
    public static final String GROUP_ID = "group.id";
    public static final String FETCH_MIN_BYTES = "fetch.min.bytes";
    public static final String FETCH_MAX_WAIT_MS = "fetch.max.wait.ms";
    public static final String FETCH_MAX_BYTES = "fetch.max.bytes";
    public static final String MAX_PARTITION_FETCH_BYTES = "max.partition.fetch.bytes";
    public static final String AUTO_OFFSET_RESET = "auto.offset.reset";
    public static final String MAX_POLL_RECORDS = "max.poll.records";
    public static final String REQUEST_TIMEOUT_MS = "request.timeout.ms";
    public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";

    /** What to do when a partition has no valid position. */
    public enum OffsetReset { EARLIEST, LATEST, NONE }

    private static final Map<String, String> DEFAULTS;
    private static final AtomicInteger IDS = new AtomicInteger();

    static {
        Map<String, String> d = new LinkedHashMap<>();
        d.put(BOOTSTRAP_SERVERS, null);
        d.put(CLIENT_ID, "");
        d.put(GROUP_ID, "");
        d.put(FETCH_MIN_BYTES, "1");
        d.put(FETCH_MAX_WAIT_MS, "500");
        d.put(FETCH_MAX_BYTES, "52428800");
        d.put(MAX_PARTITION_FETCH_BYTES, "1048576");
        d.put(AUTO_OFFSET_RESET, "latest");
        d.put(MAX_POLL_RECORDS, "500");
        d.put(REQUEST_TIMEOUT_MS, "30000");
        d.put(RETRY_BACKOFF_MS, "100");
        DEFAULTS = Collections.unmodifiableMap(d);
    }

    private final String bootstrapServers;
    private final String clientId;
    private final String groupId;
    private final int fetchMinBytes;
    private final int fetchMaxWaitMs;
    private final int fetchMaxBytes;
    private final int maxPartitionFetchBytes;
    private final OffsetReset autoOffsetReset;
    private final int maxPollRecords;
    private final int requestTimeoutMs;
    private final int retryBackoffMs;

    public ConsumerConfig(Map<String, ?> settings) {
        Settings s = new Settings("consumer", settings, DEFAULTS);
        bootstrapServers = s.string(BOOTSTRAP_SERVERS);
        try {
            ClientConfig.parseBootstrap(bootstrapServers);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        String id = s.string(CLIENT_ID);
        clientId = id.isEmpty() ? "sluice-consumer-" + IDS.incrementAndGet() : id;
        groupId = s.string(GROUP_ID);
        fetchMinBytes = s.intValue(FETCH_MIN_BYTES, 0, Integer.MAX_VALUE);
        fetchMaxWaitMs = s.intValue(FETCH_MAX_WAIT_MS, 0, Integer.MAX_VALUE);
        fetchMaxBytes = s.intValue(FETCH_MAX_BYTES, 1, Integer.MAX_VALUE - (64 << 20));
        maxPartitionFetchBytes = s.intValue(MAX_PARTITION_FETCH_BYTES, 1, Integer.MAX_VALUE);
        autoOffsetReset = OffsetReset.valueOf(s.oneOf(AUTO_OFFSET_RESET, "earliest", "latest", "none")
                .toUpperCase(java.util.Locale.ROOT));
        maxPollRecords = s.intValue(MAX_POLL_RECORDS, 1, Integer.MAX_VALUE);
        requestTimeoutMs = s.intValue(REQUEST_TIMEOUT_MS, 1, Integer.MAX_VALUE);
        retryBackoffMs = s.intValue(RETRY_BACKOFF_MS, 0, Integer.MAX_VALUE);
        if (requestTimeoutMs <= fetchMaxWaitMs) {
            throw new IllegalArgumentException(REQUEST_TIMEOUT_MS + " (" + requestTimeoutMs + ") must be larger than "
                    + FETCH_MAX_WAIT_MS + " (" + fetchMaxWaitMs + ")");
        }
    }

    public static ConsumerConfig of(Properties properties) {
        Map<String, Object> map = new HashMap<>();
        properties.forEach((k, v) -> map.put(String.valueOf(k), v));
        return new ConsumerConfig(map);
    }

    public static Set<String> keys() {
        return DEFAULTS.keySet();
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String clientId() {
        return clientId;
    }

    /** The group id, or "" when none was given. */
    public String groupId() {
        return groupId;
    }

    public int fetchMinBytes() {
        return fetchMinBytes;
    }

    public int fetchMaxWaitMs() {
        return fetchMaxWaitMs;
    }

    public int fetchMaxBytes() {
        return fetchMaxBytes;
    }

    public int maxPartitionFetchBytes() {
        return maxPartitionFetchBytes;
    }

    public OffsetReset autoOffsetReset() {
        return autoOffsetReset;
    }

    public int maxPollRecords() {
        return maxPollRecords;
    }

    public int requestTimeoutMs() {
        return requestTimeoutMs;
    }

    public int retryBackoffMs() {
        return retryBackoffMs;
    }
}
