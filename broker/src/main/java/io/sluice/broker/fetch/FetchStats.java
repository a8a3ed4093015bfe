package io.sluice.broker.fetch;

import java.util.concurrent.atomic.LongAdder;

/**
 * How fetched payload bytes leave the broker: as file regions (sendfile, never copied by the CPU) for
 * consumers and for followers. Plaintext fetches have no copied path today; TLS will add one, counted
 * beside these.
 *
 * <p>Thread-safety: lock-free counters, updated by any handler thread.
 */
public final class FetchStats {
    private final LongAdder consumerRegionBytes = new LongAdder();
    private final LongAdder followerRegionBytes = new LongAdder();
    private final LongAdder regions = new LongAdder();

    public void recordRegion(long bytes, boolean follower) {
        (follower ? followerRegionBytes : consumerRegionBytes).add(bytes);
        regions.increment();
    }

    public long consumerRegionBytes() {
        return consumerRegionBytes.sum();
    }

    public long followerRegionBytes() {
        return followerRegionBytes.sum();
    }

    public long regions() {
        return regions.sum();
    }
}
