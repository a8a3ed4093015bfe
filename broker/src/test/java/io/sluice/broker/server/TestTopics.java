package io.sluice.broker.server;

import io.sluice.proto.TopicPartition;

/** Creates topics on a test broker. */
final class TestTopics {
    private TestTopics() {
    }

    static void create(SluiceBroker broker, String topic, int partitions) {
        for (int p = 0; p < partitions; p++) {
            broker.replicaManager().becomeLeader(new TopicPartition(topic, p), broker.config().logConfig(), 0);
        }
    }
}
