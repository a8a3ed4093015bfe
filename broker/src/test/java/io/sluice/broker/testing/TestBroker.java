package io.sluice.broker.testing;

import io.sluice.broker.server.BrokerConfig;
import io.sluice.broker.server.SluiceBroker;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A real broker for integration tests, on an ephemeral port of 127.0.0.1 with its data in a test folder and a
 * one-voter controller quorum on a free port, plus a {@link RawConnection} to it; {@link #restart()} stops it cleanly and starts it again on the same data.
 */
public final class TestBroker implements AutoCloseable {
    private final Map<String, String> settings;
    private SluiceBroker broker;
    private RawConnection connection;

    /** Starts a broker on {@code dataDir} with {@code overrides} over the test defaults. */
    public TestBroker(Path dataDir, Map<String, String> overrides) {
        settings = new HashMap<>();
        settings.put(BrokerConfig.LISTENERS, "127.0.0.1:0");
        settings.put(BrokerConfig.METRICS_PORT, "0");
        settings.put(BrokerConfig.LOG_DIRS, dataDir.toString());
        settings.put(BrokerConfig.LOG_SEGMENT_BYTES, Integer.toString(8 << 20));
        settings.put(BrokerConfig.LOG_SEGMENT_PREFILL_BYTES, Integer.toString(1 << 20));
        settings.put(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, "2");
        // One broker: __consumer_offsets can only have one replica (the shipped single-node file sets the same).
        settings.put(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, "1");
        // A one-voter controller quorum on a free port, kept across restarts (the voters list is the group).
        settings.put(BrokerConfig.CONTROLLER_QUORUM_VOTERS,
                overrides.getOrDefault(BrokerConfig.NODE_ID, "1") + "@127.0.0.1:" + FreePorts.next());
        settings.putAll(overrides);
        start();
    }

    private void start() {
        broker = SluiceBroker.start(BrokerConfig.of(settings));
    }

    public SluiceBroker broker() {
        return broker;
    }

    /** The raw connection to the broker, opened on first use (and again after a restart). */
    public RawConnection connection() throws InterruptedException {
        if (connection == null) {
            connection = new RawConnection("127.0.0.1", broker.port());
        }
        return connection;
    }

    /** Stops the broker cleanly and starts it again on the same data (on a new ephemeral port). */
    public void restart() {
        stop();
        start();
    }

    private void stop() {
        if (connection != null) {
            connection.close();
            connection = null;
        }
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    @Override
    public void close() {
        stop();
    }
}
