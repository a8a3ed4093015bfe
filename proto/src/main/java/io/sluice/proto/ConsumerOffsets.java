package io.sluice.proto;

/**
 * Where a consumer group's committed offsets live, shared by the broker and the client: the internal topic
 * {@value #TOPIC}, and in it the partition {@link #partitionFor} picks by group id. The group's coordinator is the
 * leader of that partition, so a client finds it in the topic's metadata. Stateless.
 */
public final class ConsumerOffsets {
    /** The internal topic holding committed offsets (Kafka's name). */
    public static final String TOPIC = "__consumer_offsets";

    private ConsumerOffsets() {
    }

    /**
     * The partition of {@value #TOPIC} that holds {@code groupId}'s commits: Kafka's
     * {@code Utils.abs(groupId.hashCode()) % numPartitions}, where {@code Utils.abs(Integer.MIN_VALUE)} is 0.
     */
    public static int partitionFor(String groupId, int numPartitions) {
        if (numPartitions < 1) {
            throw new IllegalArgumentException(TOPIC + " has " + numPartitions + " partitions; at least 1 is needed");
        }
        int hash = groupId.hashCode();
        return (hash == Integer.MIN_VALUE ? 0 : Math.abs(hash)) % numPartitions;
    }
}
