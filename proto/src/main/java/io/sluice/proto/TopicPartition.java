package io.sluice.proto;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A partition of a topic, and the name of its log directory: {@code <topic>-<partition>}.
 * Topic names are 1–249 characters of {@code [a-zA-Z0-9._-]}, as in Kafka.
 */
public record TopicPartition(String topic, int partition) {
    private static final Pattern LEGAL_TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final Pattern DIR_NAME = Pattern.compile("([a-zA-Z0-9._-]{1,249})-(\\d{1,9})");

    public TopicPartition {
        if (topic == null || !LEGAL_TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException("illegal topic name '" + topic
                    + "': use 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' and '-'");
        }
        if (partition < 0) {
            throw new IllegalArgumentException("illegal partition " + partition + " of topic " + topic);
        }
    }

    /** Parses a log directory name, or returns null when {@code name} is not one. */
    public static TopicPartition fromDirName(String name) {
        Matcher m = DIR_NAME.matcher(name);
        if (!m.matches() || m.group(1).equals(".") || m.group(1).equals("..")) {
            return null;
        }
        return new TopicPartition(m.group(1), Integer.parseInt(m.group(2)));
    }

    public String dirName() {
        return topic + "-" + partition;
    }

    @Override
    public String toString() {
        return dirName();
    }
}
