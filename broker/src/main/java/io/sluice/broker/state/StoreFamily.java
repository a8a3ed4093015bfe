package io.sluice.broker.state;

/**
 * The column families of the {@link BrokerStore}, and whether a write to each is forced to the device before it
 * returns. Metadata and checkpoints are promised to survive a machine crash, so their writes sync the WAL; producer
 * state snapshots and the consumer-offset view are rebuilt from the logs when lost, so their writes only reach the
 * OS (they still survive a process kill).
 */
public enum StoreFamily {
    METADATA("metadata", true),
    PRODUCER_STATE("producer_state", false),
    CONSUMER_OFFSETS("consumer_offsets", false),
    CHECKPOINTS("checkpoints", true);

    private final String columnFamilyName;
    private final boolean sync;

    StoreFamily(String columnFamilyName, boolean sync) {
        this.columnFamilyName = columnFamilyName;
        this.sync = sync;
    }

    /** The RocksDB column family's name; stable, it is on disk. */
    public String columnFamilyName() {
        return columnFamilyName;
    }

    /** Whether writes to this family are synced to the device before they return. */
    public boolean sync() {
        return sync;
    }
}
