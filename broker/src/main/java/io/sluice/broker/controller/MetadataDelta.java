package io.sluice.broker.controller;

import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import java.util.List;

/**
 * One change an applied command made to the {@link ClusterImage}, handed to the metadata thread, which applies it to
 * the {@link PublishedImage} and tells the listeners. Immutable.
 */
sealed interface MetadataDelta {

    record ClusterIdSet(String clusterId) implements MetadataDelta {
    }

    record BrokerChanged(BrokerRegistration broker) implements MetadataDelta {
    }

    record TopicCreated(TopicRecord topic, List<PartitionRecord> partitions) implements MetadataDelta {
        public TopicCreated {
            partitions = List.copyOf(partitions);
        }
    }

    record TopicDeleted(TopicRecord topic) implements MetadataDelta {
    }

    record PartitionChanged(PartitionRecord partition) implements MetadataDelta {
    }
}
