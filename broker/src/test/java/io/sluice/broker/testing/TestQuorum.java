package io.sluice.broker.testing;

import io.sluice.broker.controller.QuorumConfig;
import io.sluice.broker.controller.QuorumMetadataStore;
import io.sluice.broker.log.LogManager;
import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.util.Clock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Controller quorum members for tests that need a {@link io.sluice.broker.metadata.MetadataStore} without a broker. */
public final class TestQuorum {
    private TestQuorum() {
    }

    /**
     * A one-voter quorum for {@code self}'s node on {@code ratisPort}, its Raft log in {@code logDir/raft} and its
     * snapshots in {@code store}, started, ready and with {@code self} registered (so it counts as a live broker).
     */
    public static QuorumMetadataStore singleVoter(BrokerStore store, Path logDir, int ratisPort, BrokerRecord self)
            throws Exception {
        QuorumConfig config = new QuorumConfig(self.nodeId(),
                List.of(new QuorumConfig.Voter(self.nodeId(), "127.0.0.1", ratisPort)),
                logDir.resolve(LogManager.RAFT_DIR), 9000, QuorumConfig.DEFAULT_SNAPSHOT_THRESHOLD,
                QuorumConfig.DEFAULT_PURGE_GAP);
        QuorumMetadataStore q = QuorumMetadataStore.start(config, store, Clock.SYSTEM);
        try {
            q.awaitReady(Duration.ofSeconds(30));
            q.registerBroker(self, "test").get(30, TimeUnit.SECONDS);
        } catch (Exception | Error e) {
            q.close();
            throw e;
        }
        return q;
    }
}
