package io.sluice.broker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CreateTopic;
import io.sluice.broker.controller.command.DeleteTopic;
import io.sluice.broker.controller.command.FenceBroker;
import io.sluice.broker.controller.command.InitCluster;
import io.sluice.broker.controller.command.RegisterBroker;
import io.sluice.broker.state.BrokerStore;
import java.nio.file.Path;
import java.util.List;
import org.apache.ratis.server.protocol.TermIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image's two snapshot forms (RocksDB and the installable file) and the difference an installation publishes. */
class ImageSnapshotsTest {
    private final ClusterImage image = new ClusterImage();
    private final CommandApplier applier = new CommandApplier(image);
    private long index;

    private List<MetadataDelta> apply(Command.Builder c) {
        return applier.apply(c.build(), ++index).deltas();
    }

    private void populate() {
        apply(Command.newBuilder().setInitCluster(InitCluster.newBuilder().setClusterId("cluster")));
        for (int id = 1; id <= 3; id++) {
            apply(Command.newBuilder().setRegisterBroker(RegisterBroker.newBuilder().setBrokerId(id).setHost("h")
                    .setPort(id).setIncarnationId("i")));
        }
        apply(Command.newBuilder().setCreateTopic(CreateTopic.newBuilder().setName("a").setTopicId("a1")
                .setPartitions(3).setReplicationFactor(3).putConfigs("retention.ms", "100")));
        apply(Command.newBuilder().setCreateTopic(CreateTopic.newBuilder().setName("b").setTopicId("b1")
                .setPartitions(1).setReplicationFactor(1)));
    }

    @Test
    void theFileFormAndTheStoreFormHoldTheSameImage(@TempDir Path dir) throws Exception {
        populate();
        assertThat(ImageSnapshots.decode(ImageSnapshots.encode(image))).isEqualTo(image);
        try (BrokerStore store = BrokerStore.open(dir)) {
            ImageSnapshots.write(store, image, TermIndex.valueOf(3, index));
            ImageSnapshots.Loaded loaded = ImageSnapshots.load(store);
            assertThat(loaded.image()).isEqualTo(image);
            assertThat(loaded.termIndex()).isEqualTo(TermIndex.valueOf(3, index));
            // A later snapshot replaces the earlier one entirely.
            apply(Command.newBuilder().setDeleteTopic(DeleteTopic.newBuilder().setName("b")));
            ImageSnapshots.write(store, image, TermIndex.valueOf(3, index));
            assertThat(ImageSnapshots.load(store).image().topic("b")).isNull();
        }
    }

    @Test
    void theDifferenceBetweenTwoImagesIsWhatTheCommandsInBetweenChanged() {
        populate();
        ClusterImage before = image.copy();
        apply(Command.newBuilder().setDeleteTopic(DeleteTopic.newBuilder().setName("b")));
        apply(Command.newBuilder().setCreateTopic(CreateTopic.newBuilder().setName("c").setTopicId("c1")
                .setPartitions(1).setReplicationFactor(1)));
        apply(Command.newBuilder().setFenceBroker(FenceBroker.newBuilder().setBrokerId(1)
                .setBrokerEpoch(image.broker(1).brokerEpoch())));
        List<MetadataDelta> diff = ClusterImage.diff(before, image);
        assertThat(diff).filteredOn(d -> d instanceof MetadataDelta.TopicDeleted)
                .extracting(d -> ((MetadataDelta.TopicDeleted) d).topic().name()).containsExactly("b");
        assertThat(diff).filteredOn(d -> d instanceof MetadataDelta.TopicCreated)
                .extracting(d -> ((MetadataDelta.TopicCreated) d).topic().name()).containsExactly("c");
        assertThat(diff).filteredOn(d -> d instanceof MetadataDelta.BrokerChanged)
                .extracting(d -> ((MetadataDelta.BrokerChanged) d).broker().nodeId()).containsExactly(1);
        // Every partition of "a" had broker 1 in its ISR: all three changed.
        assertThat(diff).filteredOn(d -> d instanceof MetadataDelta.PartitionChanged).hasSize(3);
        // Applied to a copy of the old image, the difference gives the new one.
        ClusterImage replaced = before.copy();
        replaced.replaceWith(image);
        assertThat(replaced).isEqualTo(image);
        assertThat(ClusterImage.diff(image, image)).isEmpty();
    }
}
