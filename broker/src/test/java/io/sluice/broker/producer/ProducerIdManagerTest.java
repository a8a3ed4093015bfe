package io.sluice.broker.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.controller.QuorumMetadataStore;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.testing.FreePorts;
import io.sluice.broker.testing.TestQuorum;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProducerIdManagerTest {
    static final BrokerRecord SELF = new BrokerRecord(1, "127.0.0.1", 9292);

    @TempDir
    Path logDir;
    final int ratisPort = FreePorts.next();

    @Test
    void idsAreUniqueAcrossBlocksConcurrentCallersAndRestarts() throws Exception {
        Set<Long> ids = new HashSet<>();
        for (int run = 0; run < 3; run++) {
            try (BrokerStore store = BrokerStore.open(BrokerStore.dirIn(logDir));
                 QuorumMetadataStore metadata = TestQuorum.singleVoter(store, logDir, ratisPort, SELF)) {
                ProducerIdManager manager = new ProducerIdManager(metadata, 7);
                List<CompletableFuture<Long>> futures = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    futures.add(manager.nextProducerId());
                }
                for (CompletableFuture<Long> f : futures) {
                    long id = f.get(10, TimeUnit.SECONDS);
                    assertThat(ids.add(id)).as("id %d handed out twice", id).isTrue();
                }
                // Restart mid-block: the unused rest of the block is never handed out again.
            }
        }
        assertThat(ids).hasSize(150).allSatisfy(id -> assertThat(id).isNotNegative());
    }

    @Test
    void initProducerIdGivesAFreshIdAtEpochZero() throws Exception {
        try (BrokerStore store = BrokerStore.open(BrokerStore.dirIn(logDir));
             QuorumMetadataStore metadata = TestQuorum.singleVoter(store, logDir, ratisPort, SELF)) {
            ProducerIdManager manager = new ProducerIdManager(metadata, 1000);
            var first = manager.initProducerId().get(10, TimeUnit.SECONDS);
            var second = manager.initProducerId().get(10, TimeUnit.SECONDS);
            assertThat(first.epoch()).isZero();
            assertThat(second.producerId()).isNotEqualTo(first.producerId());
        }
    }

    @Test
    void aFailedReservationFailsTheCallersAndTheNextCallTriesAgain() throws Exception {
        BrokerStore store = BrokerStore.open(BrokerStore.dirIn(logDir));
        QuorumMetadataStore metadata = TestQuorum.singleVoter(store, logDir, ratisPort, SELF);
        ProducerIdManager manager = new ProducerIdManager(metadata, 2);
        assertThat(manager.nextProducerId().get(10, TimeUnit.SECONDS)).isZero();
        assertThat(manager.nextProducerId().get(10, TimeUnit.SECONDS)).isOne();
        metadata.close(); // reservations now fail
        assertThatThrownBy(() -> manager.nextProducerId().get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalStateException.class);
        store.close();
        assertThatThrownBy(() -> new ProducerIdManager(metadata, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
