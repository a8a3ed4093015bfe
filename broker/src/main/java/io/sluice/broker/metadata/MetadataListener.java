package io.sluice.broker.metadata;

import java.util.List;

/**
 * Told about each metadata change after it is durable, on the store's one metadata thread, in commit order. A
 * listener must return quickly and never wait for another metadata change (it would wait for its own thread).
 * An exception thrown by a listener is logged and does not undo the change or stop the other listeners.
 */
public interface MetadataListener {

    /** A topic was created (or, when the listener is added, already existed), with all its partitions. */
    default void onTopicCreated(TopicRecord topic, List<PartitionRecord> partitions) {
    }

    /** A topic and all its partitions were deleted. */
    default void onTopicDeleted(TopicRecord topic) {
    }

    /** A partition's leader, epoch, replicas or ISR changed. */
    default void onPartitionChanged(PartitionRecord partition) {
    }
}
