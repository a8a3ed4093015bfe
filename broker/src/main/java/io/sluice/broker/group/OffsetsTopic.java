package io.sluice.broker.group;

import java.util.concurrent.CompletableFuture;

/**
 * The existence of {@value GroupCoordinator#OFFSETS_TOPIC} as the coordinator needs it: its partition count, and a
 * way to have it created (with {@code offsets.topic.num.partitions} and {@code offsets.topic.replication.factor})
 * when a group first needs it. Thread-safe.
 */
public interface OffsetsTopic {

    /** The topic's partition count as created, or 0 while it does not exist. */
    int partitions();

    /**
     * Asks the controller to create the topic, unless an attempt is under way (whose future is returned). Completes
     * when the topic exists; fails with the reason it could not be created (too few live brokers for its replication
     * factor, no controller), after which a later call tries again.
     */
    CompletableFuture<Void> create();

    /** A topic that exists with {@code partitions} partitions (tests, and brokers that do not create it). */
    static OffsetsTopic existing(int partitions) {
        return new OffsetsTopic() {
            @Override
            public int partitions() {
                return partitions;
            }

            @Override
            public CompletableFuture<Void> create() {
                return CompletableFuture.completedFuture(null);
            }
        };
    }
}
