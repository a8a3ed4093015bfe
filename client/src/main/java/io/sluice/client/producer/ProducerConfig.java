package io.sluice.client.producer;

import io.sluice.client.ClientConfig;
import io.sluice.client.Settings;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The producer's settings, with Kafka's key names and defaults. Values may be given as strings or as numbers.
 * Unknown keys and bad values are refused with an {@link IllegalArgumentException} naming the key.
 *
 * <table>
 *   <caption>keys</caption>
 *   <tr><td>bootstrap.servers</td><td>required, host:port[,host:port...]</td></tr>
 *   <tr><td>client.id</td><td>"sluice-producer-N"</td></tr>
 *   <tr><td>acks</td><td>all (= -1), 0 or 1; default all</td></tr>
 *   <tr><td>batch.size</td><td>16384 bytes per partition batch</td></tr>
 *   <tr><td>linger.ms</td><td>5</td></tr>
 *   <tr><td>buffer.memory</td><td>33554432; send() blocks up to max.block.ms when it is used up</td></tr>
 *   <tr><td>max.block.ms</td><td>60000</td></tr>
 *   <tr><td>max.request.size</td><td>1048576</td></tr>
 *   <tr><td>retries</td><td>2147483647</td></tr>
 *   <tr><td>retry.backoff.ms</td><td>100</td></tr>
 *   <tr><td>request.timeout.ms</td><td>30000</td></tr>
 *   <tr><td>delivery.timeout.ms</td><td>120000, at least linger.ms + request.timeout.ms</td></tr>
 *   <tr><td>enable.idempotence</td><td>true; as in Kafka, turned off silently when acks is set to 0 or 1 and this key
 *       is not given, and refused when given as true with acks 0 or 1</td></tr>
 *   <tr><td>max.in.flight.requests.per.connection</td><td>5; at most 5 with idempotence</td></tr>
 * </table>
 *
 * Immutable.
 */
public final class ProducerConfig {
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String CLIENT_ID = "client.id";
    public static final String ACKS = "acks";
    public static final String BATCH_SIZE = "batch.size";
    public static final String LINGER_MS = "linger.ms";
    public static final String BUFFER_MEMORY = "buffer.memory";
    public static final String MAX_BLOCK_MS = "max.block.ms";
    public static final String MAX_REQUEST_SIZE = "max.request.size";
    public static final String RETRIES = "retries";
    public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
    public static final String REQUEST_TIMEOUT_MS = "request.timeout.ms";
    public static final String DELIVERY_TIMEOUT_MS = "delivery.timeout.ms";
    public static final String ENABLE_IDEMPOTENCE = "enable.idempotence";
    public static final String MAX_IN_FLIGHT = "max.in.flight.requests.per.connection";

    private static final Map<String, String> DEFAULTS;

    static {
        Map<String, String> d = new LinkedHashMap<>();
        d.put(BOOTSTRAP_SERVERS, null);
        d.put(CLIENT_ID, "");
        d.put(ACKS, "all");
        d.put(BATCH_SIZE, "16384");
        d.put(LINGER_MS, "5");
        d.put(BUFFER_MEMORY, "33554432");
        d.put(MAX_BLOCK_MS, "60000");
        d.put(MAX_REQUEST_SIZE, "1048576");
        d.put(RETRIES, String.valueOf(Integer.MAX_VALUE));
        d.put(RETRY_BACKOFF_MS, "100");
        d.put(REQUEST_TIMEOUT_MS, "30000");
        d.put(DELIVERY_TIMEOUT_MS, "120000");
        d.put(ENABLE_IDEMPOTENCE, "true");
        d.put(MAX_IN_FLIGHT, "5");
        DEFAULTS = Collections.unmodifiableMap(d);
    }

    private static final java.util.concurrent.atomic.AtomicInteger IDS = new java.util.concurrent.atomic.AtomicInteger();

    private final String bootstrapServers;
    private final String clientId;
    private final short acks;
    private final int batchSize;
    private final long lingerMs;
    private final long bufferMemory;
    private final long maxBlockMs;
    private final int maxRequestSize;
    private final int retries;
    private final int retryBackoffMs;
    private final int requestTimeoutMs;
    private final long deliveryTimeoutMs;
    private final boolean idempotence;
    private final int maxInFlight;

    /** @throws IllegalArgumentException naming the key, for an unknown key or a bad value */
    public ProducerConfig(Map<String, ?> settings) {
        Settings s = new Settings("producer", settings, DEFAULTS);
        bootstrapServers = s.string(BOOTSTRAP_SERVERS);
        ClientConfig.parseBootstrap(bootstrapServers);
        String id = s.string(CLIENT_ID);
        clientId = id.isEmpty() ? "sluice-producer-" + IDS.incrementAndGet() : id;
        String a = s.oneOf(ACKS, "all", "-1", "0", "1");
        acks = a.equals("all") ? -1 : Short.parseShort(a);
        batchSize = s.intValue(BATCH_SIZE, 1, Integer.MAX_VALUE);
        lingerMs = s.longValue(LINGER_MS, 0, Integer.MAX_VALUE);
        bufferMemory = s.longValue(BUFFER_MEMORY, 1, Long.MAX_VALUE);
        maxBlockMs = s.longValue(MAX_BLOCK_MS, 0, Long.MAX_VALUE);
        maxRequestSize = s.intValue(MAX_REQUEST_SIZE, 1, Integer.MAX_VALUE);
        retries = s.intValue(RETRIES, 0, Integer.MAX_VALUE);
        retryBackoffMs = s.intValue(RETRY_BACKOFF_MS, 0, Integer.MAX_VALUE);
        requestTimeoutMs = s.intValue(REQUEST_TIMEOUT_MS, 1, Integer.MAX_VALUE);
        deliveryTimeoutMs = s.longValue(DELIVERY_TIMEOUT_MS, 1, Integer.MAX_VALUE);
        maxInFlight = s.intValue(MAX_IN_FLIGHT, 1, Integer.MAX_VALUE);
        boolean idempotenceGiven = s.isGiven(ENABLE_IDEMPOTENCE);
        boolean idem = s.bool(ENABLE_IDEMPOTENCE);
        // As in Kafka: idempotence needs acks=all and at most 5 requests in flight; when it was not asked for
        // explicitly, settings that conflict with it turn it off instead of failing.
        if (idem && acks != -1) {
            if (idempotenceGiven) {
                throw new IllegalArgumentException(ENABLE_IDEMPOTENCE + "=true needs " + ACKS + "=all, not " + acks);
            }
            idem = false;
        }
        if (idem && maxInFlight > 5) {
            if (idempotenceGiven) {
                throw new IllegalArgumentException(MAX_IN_FLIGHT + " must be at most 5 with " + ENABLE_IDEMPOTENCE
                        + "=true, not " + maxInFlight);
            }
            idem = false;
        }
        idempotence = idem;
        if (deliveryTimeoutMs < lingerMs + requestTimeoutMs) {
            throw new IllegalArgumentException(DELIVERY_TIMEOUT_MS + " (" + deliveryTimeoutMs
                    + ") must be at least " + LINGER_MS + " + " + REQUEST_TIMEOUT_MS + " (" + (lingerMs + requestTimeoutMs) + ")");
        }
    }

    public static ProducerConfig of(Properties properties) {
        Map<String, Object> map = new HashMap<>();
        properties.forEach((k, v) -> map.put(String.valueOf(k), v));
        return new ProducerConfig(map);
    }

    /** Every key this config knows. */
    public static Set<String> keys() {
        return DEFAULTS.keySet();
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String clientId() {
        return clientId;
    }

    /** -1 (all), 0 or 1. */
    public short acks() {
        return acks;
    }

    public int batchSize() {
        return batchSize;
    }

    public long lingerMs() {
        return lingerMs;
    }

    public long bufferMemory() {
        return bufferMemory;
    }

    public long maxBlockMs() {
        return maxBlockMs;
    }

    public int maxRequestSize() {
        return maxRequestSize;
    }

    public int retries() {
        return retries;
    }

    public int retryBackoffMs() {
        return retryBackoffMs;
    }

    public int requestTimeoutMs() {
        return requestTimeoutMs;
    }

    public long deliveryTimeoutMs() {
        return deliveryTimeoutMs;
    }

    public boolean idempotence() {
        return idempotence;
    }

    public int maxInFlight() {
        return maxInFlight;
    }

    @Override
    public String toString() {
        return "ProducerConfig(" + BOOTSTRAP_SERVERS + "=" + bootstrapServers + ", " + ACKS + "=" + acks + ", "
                + BATCH_SIZE + "=" + batchSize + ", " + LINGER_MS + "=" + lingerMs + ", " + ENABLE_IDEMPOTENCE + "="
                + idempotence + ")";
    }
}
