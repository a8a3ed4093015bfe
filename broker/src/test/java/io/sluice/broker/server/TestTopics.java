package io.sluice.broker.server;

import java.util.Map;

/** Creates topics on a test broker, through its metadata as a CreateTopics request would. */
final class TestTopics {
    private TestTopics() {
    }

    static void create(SluiceBroker broker, String topic, int partitions) {
        broker.metadata().createTopic(topic, partitions, 1, Map.of()).join();
    }
}
