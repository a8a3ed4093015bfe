package io.sluice.broker.server;

import io.sluice.broker.log.LogConfig;
import io.sluice.broker.replication.FetcherSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;

/**
 * The broker's settings (ARCHITECTURE.md §11), read from a properties file plus {@code --override k=v}.
 * Every key is declared in {@link #KEYS} with its default; an unknown key, a value that does not parse
 * or one out of range stops the broker with a message naming the key and what is allowed.
 *
 * <p>Immutable.
 */
public final class BrokerConfig {
    public static final String NODE_ID = "node.id";
    public static final String LISTENERS = "listeners";
    public static final String LOG_DIRS = "log.dirs";
    public static final String METRICS_PORT = "metrics.port";
    public static final String CONTROLLER_QUORUM_VOTERS = "controller.quorum.voters";
    public static final String CONTROLLER_QUORUM_OBSERVER_ADDRESS = "controller.quorum.observer.address";
    public static final String BROKER_SESSION_TIMEOUT_MS = "broker.session.timeout.ms";
    public static final String BROKER_HEARTBEAT_INTERVAL_MS = "broker.heartbeat.interval.ms";
    public static final String AUTO_LEADER_REBALANCE_ENABLE = "auto.leader.rebalance.enable";
    public static final String LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS = "leader.imbalance.check.interval.seconds";
    public static final String LEADER_IMBALANCE_PER_BROKER_PERCENTAGE = "leader.imbalance.per.broker.percentage";
    public static final String NUM_NETWORK_THREADS = "num.network.threads";
    public static final String NUM_IO_THREADS = "num.io.threads";
    public static final String QUEUED_MAX_REQUESTS_PER_CONNECTION = "queued.max.requests.per.connection";
    public static final String SOCKET_REQUEST_MAX_BYTES = "socket.request.max.bytes";
    public static final String SOCKET_SEND_BUFFER_BYTES = "socket.send.buffer.bytes";
    public static final String NUM_PARTITIONS = "num.partitions";
    public static final String DEFAULT_REPLICATION_FACTOR = "default.replication.factor";
    public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
    public static final String REPLICA_LAG_TIME_MAX_MS = "replica.lag.time.max.ms";
    public static final String REPLICA_FETCH_WAIT_MAX_MS = "replica.fetch.wait.max.ms";
    public static final String REPLICA_FETCH_MIN_BYTES = "replica.fetch.min.bytes";
    public static final String REPLICA_FETCH_MAX_BYTES = "replica.fetch.max.bytes";
    public static final String REPLICA_FETCH_RESPONSE_MAX_BYTES = "replica.fetch.response.max.bytes";
    public static final String REPLICA_FETCH_BACKOFF_MS = "replica.fetch.backoff.ms";
    public static final String REPLICA_SOCKET_TIMEOUT_MS = "replica.socket.timeout.ms";
    public static final String REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS =
            "replica.high.watermark.checkpoint.interval.ms";
    public static final String OFFSETS_TOPIC_NUM_PARTITIONS = "offsets.topic.num.partitions";
    public static final String OFFSETS_TOPIC_REPLICATION_FACTOR = "offsets.topic.replication.factor";
    public static final String OFFSETS_COMMIT_TIMEOUT_MS = "offsets.commit.timeout.ms";
    public static final String LOG_SEGMENT_BYTES = "log.segment.bytes";
    public static final String LOG_ROLL_MS = "log.roll.ms";
    public static final String LOG_INDEX_SIZE_MAX_BYTES = "log.index.size.max.bytes";
    public static final String LOG_INDEX_INTERVAL_BYTES = "log.index.interval.bytes";
    public static final String LOG_RETENTION_BYTES = "log.retention.bytes";
    public static final String LOG_RETENTION_MS = "log.retention.ms";
    public static final String LOG_FLUSH_INTERVAL_MESSAGES = "log.flush.interval.messages";
    public static final String LOG_FLUSH_INTERVAL_MS = "log.flush.interval.ms";
    public static final String LOG_SEGMENT_PREFILL_BYTES = "log.segment.prefill.bytes";
    public static final String LOG_FLUSH_SCHEDULER_INTERVAL_MS = "log.flush.scheduler.interval.ms";
    public static final String LOG_FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS = "log.flush.offset.checkpoint.interval.ms";
    public static final String LOG_RETENTION_CHECK_INTERVAL_MS = "log.retention.check.interval.ms";

    /**
     * Every key the broker knows, with its default, in the order of config/broker.properties. The shipped file sets
     * each to its default, except the keys of {@link #SHIPPED_SINGLE_NODE}.
     */
    public static final Map<String, String> KEYS;

    /**
     * Where the shipped single-node config/broker.properties differs from the defaults, and why: Kafka's default
     * {@code offsets.topic.replication.factor} of 3 keeps a cluster from creating {@code __consumer_offsets} with
     * fewer replicas, but a single broker could then never create it; Kafka's own config/server.properties sets 1
     * for the same reason.
     */
    public static final Map<String, String> SHIPPED_SINGLE_NODE = Map.of(OFFSETS_TOPIC_REPLICATION_FACTOR, "1");

    static {
        Map<String, String> k = new LinkedHashMap<>();
        k.put(NODE_ID, "1");
        k.put(LISTENERS, "127.0.0.1:9292");
        k.put(LOG_DIRS, "./data");
        k.put(METRICS_PORT, "9293");
        k.put(CONTROLLER_QUORUM_VOTERS, "1@127.0.0.1:9294");
        k.put(CONTROLLER_QUORUM_OBSERVER_ADDRESS, "");
        k.put(BROKER_SESSION_TIMEOUT_MS, "9000");
        k.put(BROKER_HEARTBEAT_INTERVAL_MS, "500");
        k.put(AUTO_LEADER_REBALANCE_ENABLE, "true");
        k.put(LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, "300");
        k.put(LEADER_IMBALANCE_PER_BROKER_PERCENTAGE, "10");
        k.put(NUM_NETWORK_THREADS, "1");
        k.put(NUM_IO_THREADS, "2");
        k.put(QUEUED_MAX_REQUESTS_PER_CONNECTION, "16");
        k.put(SOCKET_REQUEST_MAX_BYTES, "104857600");
        k.put(SOCKET_SEND_BUFFER_BYTES, "262144");
        k.put(NUM_PARTITIONS, "1");
        k.put(DEFAULT_REPLICATION_FACTOR, "1");
        k.put(MIN_INSYNC_REPLICAS, "1");
        k.put(REPLICA_LAG_TIME_MAX_MS, "30000");
        FetcherSettings f = FetcherSettings.DEFAULT;
        k.put(REPLICA_FETCH_WAIT_MAX_MS, Integer.toString(f.maxWaitMs()));
        k.put(REPLICA_FETCH_MIN_BYTES, Integer.toString(f.minBytes()));
        k.put(REPLICA_FETCH_MAX_BYTES, Integer.toString(f.partitionMaxBytes()));
        k.put(REPLICA_FETCH_RESPONSE_MAX_BYTES, Integer.toString(f.responseMaxBytes()));
        k.put(REPLICA_FETCH_BACKOFF_MS, Long.toString(f.backoffMs()));
        k.put(REPLICA_SOCKET_TIMEOUT_MS, Integer.toString(f.requestTimeoutMs()));
        k.put(REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS, "5000");
        k.put(OFFSETS_TOPIC_NUM_PARTITIONS, "8");
        k.put(OFFSETS_TOPIC_REPLICATION_FACTOR, "3");
        k.put(OFFSETS_COMMIT_TIMEOUT_MS, "5000");
        LogConfig d = LogConfig.DEFAULT;
        k.put(LOG_SEGMENT_BYTES, Integer.toString(d.segmentBytes()));
        k.put(LOG_ROLL_MS, Long.toString(d.segmentMs()));
        k.put(LOG_INDEX_SIZE_MAX_BYTES, Integer.toString(d.segmentIndexBytes()));
        k.put(LOG_INDEX_INTERVAL_BYTES, Integer.toString(d.indexIntervalBytes()));
        k.put(LOG_RETENTION_BYTES, Long.toString(d.retentionBytes()));
        k.put(LOG_RETENTION_MS, Long.toString(d.retentionMs()));
        k.put(LOG_FLUSH_INTERVAL_MESSAGES, Long.toString(d.flushIntervalMessages()));
        k.put(LOG_FLUSH_INTERVAL_MS, Long.toString(d.flushIntervalMs()));
        k.put(LOG_SEGMENT_PREFILL_BYTES, Integer.toString(d.prefillBytes()));
        k.put(LOG_FLUSH_SCHEDULER_INTERVAL_MS, "1000");
        k.put(LOG_FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS, "60000");
        k.put(LOG_RETENTION_CHECK_INTERVAL_MS, "300000");
        KEYS = Collections.unmodifiableMap(k);
    }

    /** Broker-level log keys and the topic-level keys they set the default of. */
    private static final Map<String, String> LOG_KEYS = Map.of(
            LOG_SEGMENT_BYTES, LogConfig.SEGMENT_BYTES,
            LOG_ROLL_MS, LogConfig.SEGMENT_MS,
            LOG_INDEX_SIZE_MAX_BYTES, LogConfig.SEGMENT_INDEX_BYTES,
            LOG_INDEX_INTERVAL_BYTES, LogConfig.INDEX_INTERVAL_BYTES,
            LOG_RETENTION_BYTES, LogConfig.RETENTION_BYTES,
            LOG_RETENTION_MS, LogConfig.RETENTION_MS,
            LOG_FLUSH_INTERVAL_MESSAGES, LogConfig.FLUSH_INTERVAL_MESSAGES,
            LOG_FLUSH_INTERVAL_MS, LogConfig.FLUSH_INTERVAL_MS,
            LOG_SEGMENT_PREFILL_BYTES, LogConfig.SEGMENT_PREFILL_BYTES);

    private final Map<String, String> values;
    private final int nodeId;
    private final String host;
    private final int port;
    private final List<Path> logDirs;
    private final int metricsPort;
    private final LogConfig logConfig;

    private BrokerConfig(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(values);
        this.nodeId = intIn(NODE_ID, 0, Integer.MAX_VALUE);
        String listener = values.get(LISTENERS).trim();
        int colon = listener.lastIndexOf(':');
        if (colon <= 0 || colon == listener.length() - 1) {
            throw new ConfigException(LISTENERS + ": '" + listener + "' must be host:port, e.g. 127.0.0.1:9292");
        }
        this.host = listener.substring(0, colon);
        this.port = parse(LISTENERS, listener.substring(colon + 1), Integer::parseInt);
        if (port < 0 || port > 65535) {
            throw new ConfigException(LISTENERS + ": port " + port + " is out of range; must be 0..65535 (0: any free port)");
        }
        List<Path> dirs = new ArrayList<>();
        for (String dir : values.get(LOG_DIRS).split(",")) {
            if (!dir.isBlank()) {
                dirs.add(Path.of(dir.trim()));
            }
        }
        if (dirs.isEmpty()) {
            throw new ConfigException(LOG_DIRS + ": at least one directory is required");
        }
        this.logDirs = List.copyOf(dirs);
        this.metricsPort = parse(METRICS_PORT, values.get(METRICS_PORT), Integer::parseInt);
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new ConfigException(METRICS_PORT + ": port " + metricsPort + " is out of range; must be 0..65535 (0: any free port)");
        }
        intIn(NUM_NETWORK_THREADS, 1, 64);
        intIn(NUM_IO_THREADS, 1, 256);
        intIn(QUEUED_MAX_REQUESTS_PER_CONNECTION, 1, 10_000);
        intIn(SOCKET_REQUEST_MAX_BYTES, 1024, Integer.MAX_VALUE);
        int sendBuffer = getInt(SOCKET_SEND_BUFFER_BYTES);
        if (sendBuffer != -1 && sendBuffer < 4096) {
            throw new ConfigException(SOCKET_SEND_BUFFER_BYTES + ": " + sendBuffer
                    + " is out of range; must be -1 (the OS autotunes it) or at least 4096");
        }
        intIn(NUM_PARTITIONS, 1, 10_000);
        intIn(DEFAULT_REPLICATION_FACTOR, 1, Short.MAX_VALUE);
        intIn(MIN_INSYNC_REPLICAS, 1, Short.MAX_VALUE);
        longIn(REPLICA_LAG_TIME_MAX_MS, 1, Long.MAX_VALUE);
        intIn(REPLICA_FETCH_WAIT_MAX_MS, 0, 600_000);
        intIn(REPLICA_FETCH_MIN_BYTES, 1, Integer.MAX_VALUE);
        intIn(REPLICA_FETCH_MAX_BYTES, 1024, 1 << 30);
        intIn(REPLICA_FETCH_RESPONSE_MAX_BYTES, 1024, 1 << 30);
        longIn(REPLICA_FETCH_BACKOFF_MS, 0, 600_000);
        intIn(REPLICA_SOCKET_TIMEOUT_MS, 100, 3_600_000);
        longIn(REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS, 1, Long.MAX_VALUE);
        intIn(OFFSETS_TOPIC_NUM_PARTITIONS, 1, 1000);
        intIn(OFFSETS_TOPIC_REPLICATION_FACTOR, 1, Short.MAX_VALUE);
        longIn(OFFSETS_COMMIT_TIMEOUT_MS, 1, Integer.MAX_VALUE);
        longIn(LOG_FLUSH_SCHEDULER_INTERVAL_MS, 1, Long.MAX_VALUE);
        longIn(LOG_FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS, 1, Long.MAX_VALUE);
        longIn(LOG_RETENTION_CHECK_INTERVAL_MS, 1, Long.MAX_VALUE);
        Map<String, String> topicLevel = new LinkedHashMap<>();
        LOG_KEYS.forEach((brokerKey, topicKey) -> topicLevel.put(topicKey, values.get(brokerKey)));
        try {
            this.logConfig = LogConfig.fromProperties(topicLevel, LogConfig.DEFAULT);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(brokerKeyIn(e.getMessage()), e);
        }
        validateQuorum(values.get(CONTROLLER_QUORUM_VOTERS));
        long session = longIn(BROKER_SESSION_TIMEOUT_MS, 100, 3_600_000);
        long heartbeat = longIn(BROKER_HEARTBEAT_INTERVAL_MS, 10, 600_000);
        if (heartbeat >= session) {
            throw new ConfigException(BROKER_HEARTBEAT_INTERVAL_MS + ": " + heartbeat + " must be below "
                    + BROKER_SESSION_TIMEOUT_MS + " (" + session + "), or every broker is fenced between two heartbeats");
        }
        booleanKey(AUTO_LEADER_REBALANCE_ENABLE);
        // A day at most: the check is cheap, and a longer interval is better said as auto.leader.rebalance.enable=false.
        longIn(LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, 1, 86_400);
        intIn(LEADER_IMBALANCE_PER_BROKER_PERCENTAGE, 0, 100);
    }

    /** How this broker's followers fetch: the {@code replica.fetch.*} keys and {@code replica.socket.timeout.ms}. */
    public FetcherSettings fetcherSettings() {
        return new FetcherSettings(getInt(REPLICA_FETCH_WAIT_MAX_MS), getInt(REPLICA_FETCH_MIN_BYTES),
                getInt(REPLICA_FETCH_MAX_BYTES), getInt(REPLICA_FETCH_RESPONSE_MAX_BYTES),
                getInt(REPLICA_SOCKET_TIMEOUT_MS), getLong(REPLICA_FETCH_BACKOFF_MS));
    }

    /** Reads {@code file} (if not null) and applies {@code overrides} on top. */
    public static BrokerConfig load(Path file, Map<String, String> overrides) {
        Map<String, String> raw = new LinkedHashMap<>();
        if (file != null) {
            Properties props = new Properties();
            try (Reader reader = Files.newBufferedReader(file)) {
                props.load(reader);
            } catch (IOException e) {
                throw new ConfigException("cannot read the configuration " + file + ": " + e.getMessage(), e);
            }
            props.stringPropertyNames().forEach(k -> raw.put(k, props.getProperty(k)));
        }
        raw.putAll(overrides);
        return of(raw);
    }

    /** The defaults with {@code settings} applied; unknown keys are refused. */
    public static BrokerConfig of(Map<String, String> settings) {
        Map<String, String> values = new LinkedHashMap<>(KEYS);
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (!KEYS.containsKey(e.getKey())) {
                throw new ConfigException("unknown configuration key '" + e.getKey() + "'" + suggestion(e.getKey()));
            }
            values.put(e.getKey(), e.getValue().trim());
        }
        return new BrokerConfig(values);
    }

    public int nodeId() {
        return nodeId;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public List<Path> logDirs() {
        return logDirs;
    }

    public int metricsPort() {
        return metricsPort;
    }

    /** The log settings every topic starts from (its own configs override them). */
    public LogConfig logConfig() {
        return logConfig;
    }

    public int getInt(String key) {
        return parse(key, values.get(key), Integer::parseInt);
    }

    public long getLong(String key) {
        return parse(key, values.get(key), Long::parseLong);
    }

    public String get(String key) {
        return values.get(key);
    }

    public Map<String, String> values() {
        return values;
    }

    private int intIn(String key, int min, int max) {
        int v = parse(key, values.get(key), Integer::parseInt);
        if (v < min || v > max) {
            throw new ConfigException(key + ": " + v + " is out of range; must be " + min + ".." + max);
        }
        return v;
    }

    private long longIn(String key, long min, long max) {
        long v = parse(key, values.get(key), Long::parseLong);
        if (v < min || v > max) {
            throw new ConfigException(key + ": " + v + " is out of range; must be " + min + ".." + max);
        }
        return v;
    }

    private boolean booleanKey(String key) {
        String v = values.get(key).trim();
        if (!v.equals("true") && !v.equals("false")) {
            throw new ConfigException(key + ": '" + values.get(key) + "' must be true or false");
        }
        return Boolean.parseBoolean(v);
    }

    private static <T> T parse(String key, String raw, Function<String, T> parser) {
        try {
            return parser.apply(raw.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key + ": '" + raw + "' is not a number");
        }
    }

    /** The voters list, and the observer address a node that is not a voter needs (and a voter does not have). */
    private void validateQuorum(String voters) {
        Set<Integer> ids = new HashSet<>();
        for (String voter : voters.split(",")) {
            String v = voter.trim();
            int at = v.indexOf('@');
            int colon = v.lastIndexOf(':');
            boolean ok = at > 0 && colon > at + 1 && colon < v.length() - 1;
            if (ok) {
                try {
                    Integer.parseInt(v.substring(0, at));
                    Integer.parseInt(v.substring(colon + 1));
                } catch (NumberFormatException e) {
                    ok = false;
                }
            }
            if (!ok) {
                throw new ConfigException(CONTROLLER_QUORUM_VOTERS + ": '" + v + "' must be id@host:port, e.g. 1@127.0.0.1:9294");
            }
            if (!ids.add(Integer.parseInt(v.substring(0, at)))) {
                throw new ConfigException(CONTROLLER_QUORUM_VOTERS + ": " + voters + " names a node id twice");
            }
        }
        String observer = values.get(CONTROLLER_QUORUM_OBSERVER_ADDRESS);
        if (ids.contains(nodeId) && !observer.isEmpty()) {
            throw new ConfigException(CONTROLLER_QUORUM_OBSERVER_ADDRESS + ": node.id " + nodeId + " is one of the"
                    + " voters " + voters + " (" + CONTROLLER_QUORUM_VOTERS + " holds its Ratis address); leave "
                    + CONTROLLER_QUORUM_OBSERVER_ADDRESS + " empty");
        }
        if (!ids.contains(nodeId) && observer.isEmpty()) {
            throw new ConfigException(CONTROLLER_QUORUM_OBSERVER_ADDRESS + ": node.id " + nodeId + " is not one of"
                    + " the voters " + voters + " (" + CONTROLLER_QUORUM_VOTERS + "), so it follows the metadata as an"
                    + " observer and needs its own Ratis address here, host:port (e.g. 127.0.0.1:9594)");
        }
        if (!observer.isEmpty()) {
            int colon = observer.lastIndexOf(':');
            if (colon <= 0 || colon == observer.length() - 1) {
                throw new ConfigException(CONTROLLER_QUORUM_OBSERVER_ADDRESS + ": '" + observer
                        + "' must be host:port, e.g. 127.0.0.1:9594");
            }
            int ratisPort = parse(CONTROLLER_QUORUM_OBSERVER_ADDRESS, observer.substring(colon + 1), Integer::parseInt);
            // The leader must be told the real port (the observer announces it before its server binds): no 0.
            if (ratisPort < 1 || ratisPort > 65535) {
                throw new ConfigException(CONTROLLER_QUORUM_OBSERVER_ADDRESS + ": port " + ratisPort
                        + " is out of range; must be 1..65535");
            }
            for (String voter : voters.split(",")) {
                if (voter.trim().substring(voter.trim().indexOf('@') + 1).equals(observer)) {
                    throw new ConfigException(CONTROLLER_QUORUM_OBSERVER_ADDRESS + ": " + observer
                            + " is a voter's address in " + CONTROLLER_QUORUM_VOTERS);
                }
            }
        }
    }

    /** LogConfig names its topic-level key; the user wrote the broker-level one. */
    private static String brokerKeyIn(String message) {
        for (Map.Entry<String, String> e : LOG_KEYS.entrySet()) {
            if (message.startsWith(e.getValue() + ":")) {
                return e.getKey() + message.substring(e.getValue().length());
            }
        }
        return message;
    }

    private static String suggestion(String key) {
        if (LOG_KEYS.containsValue(key)) {
            for (Map.Entry<String, String> e : LOG_KEYS.entrySet()) {
                if (e.getValue().equals(key)) {
                    return "; the broker-wide default is '" + e.getKey() + "' (topics set '" + key + "' at creation)";
                }
            }
        }
        return "; see config/broker.properties for every key";
    }
}
