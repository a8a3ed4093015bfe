package io.sluice.broker.metadata;

import io.sluice.broker.log.LogConfig;
import io.sluice.proto.message.ErrorCode;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The rules a topic must follow to be created, Kafka's where Kafka has one. Stateless. */
public final class Topics {
    public static final int MAX_NAME_LENGTH = 249;
    public static final int MAX_PARTITIONS = 10_000;
    public static final String INTERNAL_PREFIX = "__";
    public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
    /** When true, a partition with no live ISR member may elect any live replica (losing acknowledged records). */
    public static final String UNCLEAN_LEADER_ELECTION_ENABLE = "unclean.leader.election.enable";

    private static final Pattern LEGAL_CHARS = Pattern.compile("[a-zA-Z0-9._-]+");
    /** The keys a topic may override: the log's settings and the replication one the produce path will read. */
    private static final Set<String> TOPIC_CONFIG_KEYS;

    static {
        Set<String> keys = new HashSet<>(LogConfig.DEFAULT.toProperties().keySet());
        keys.add(MIN_INSYNC_REPLICAS);
        keys.add(UNCLEAN_LEADER_ELECTION_ENABLE);
        TOPIC_CONFIG_KEYS = Set.copyOf(keys);
    }

    private Topics() {
    }

    public static boolean isInternal(String name) {
        return name.startsWith(INTERNAL_PREFIX);
    }

    /**
     * Names are 1 to 249 characters of {@code [a-zA-Z0-9._-]}, not "." or ".." (they would be directories of their
     * own); names starting with {@code __} belong to the broker unless {@code internalAllowed}.
     */
    public static void validateName(String name, boolean internalAllowed) {
        if (name == null || name.isEmpty()) {
            throw invalidTopic("topic name is empty");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw invalidTopic("topic name is " + name.length() + " characters long, the limit is " + MAX_NAME_LENGTH);
        }
        if (name.equals(".") || name.equals("..")) {
            throw invalidTopic("topic name cannot be '" + name + "'");
        }
        if (!LEGAL_CHARS.matcher(name).matches()) {
            throw invalidTopic("topic name '" + name + "' is illegal: use only a-z, A-Z, 0-9, '.', '_' and '-'");
        }
        if (!internalAllowed && isInternal(name)) {
            throw invalidTopic("topic name '" + name + "' starts with '" + INTERNAL_PREFIX
                    + "', which is reserved for the broker's internal topics");
        }
    }

    /**
     * Kafka's collision rule: metric names replace '.' with '_', so "a.b" and "a_b" may not both exist.
     * The key under which two colliding names are equal.
     */
    public static String collisionKey(String name) {
        return name.replace('.', '_');
    }

    public static void validatePartitions(int partitions) {
        if (partitions < 1 || partitions > MAX_PARTITIONS) {
            throw new MetadataException(ErrorCode.INVALID_PARTITIONS,
                    "number of partitions " + partitions + " is out of range: must be 1 to " + MAX_PARTITIONS);
        }
    }

    public static void validateReplicationFactor(int replicationFactor, int liveBrokers) {
        if (replicationFactor < 1 || replicationFactor > liveBrokers) {
            throw new MetadataException(ErrorCode.INVALID_REPLICATION_FACTOR, "replication factor " + replicationFactor
                    + " is out of range: must be 1 to the " + liveBrokers + " live broker(s)");
        }
    }

    /** Unknown keys and bad values are refused with a message naming the key. */
    public static void validateConfigs(Map<String, String> configs) {
        for (Map.Entry<String, String> e : configs.entrySet()) {
            if (e.getKey() == null || !TOPIC_CONFIG_KEYS.contains(e.getKey())) {
                throw new MetadataException(ErrorCode.INVALID_CONFIG, e.getKey() + ": unknown topic config");
            }
            if (e.getValue() == null) {
                throw new MetadataException(ErrorCode.INVALID_CONFIG, e.getKey() + ": no value");
            }
        }
        try {
            LogConfig.fromProperties(configs, LogConfig.DEFAULT);
        } catch (IllegalArgumentException e) {
            // LogConfig's messages start with the key.
            throw new MetadataException(ErrorCode.INVALID_CONFIG, e.getMessage());
        }
        String unclean = configs.get(UNCLEAN_LEADER_ELECTION_ENABLE);
        if (unclean != null && !unclean.trim().equals("true") && !unclean.trim().equals("false")) {
            throw new MetadataException(ErrorCode.INVALID_CONFIG, UNCLEAN_LEADER_ELECTION_ENABLE + ": '" + unclean
                    + "' must be true or false");
        }
        String minIsr = configs.get(MIN_INSYNC_REPLICAS);
        if (minIsr != null) {
            int value;
            try {
                value = Integer.parseInt(minIsr.trim());
            } catch (NumberFormatException e) {
                throw new MetadataException(ErrorCode.INVALID_CONFIG, MIN_INSYNC_REPLICAS + ": '" + minIsr
                        + "' is not a number");
            }
            if (value < 1) {
                throw new MetadataException(ErrorCode.INVALID_CONFIG, MIN_INSYNC_REPLICAS + ": " + value
                        + " is out of range; must be at least 1");
            }
        }
    }

    /** The topic's {@value #UNCLEAN_LEADER_ELECTION_ENABLE}; false unless set (Kafka's default). */
    public static boolean uncleanLeaderElection(Map<String, String> configs) {
        return Boolean.parseBoolean(configs.getOrDefault(UNCLEAN_LEADER_ELECTION_ENABLE, "false").trim());
    }

    private static MetadataException invalidTopic(String message) {
        return new MetadataException(ErrorCode.INVALID_TOPIC, message);
    }
}
