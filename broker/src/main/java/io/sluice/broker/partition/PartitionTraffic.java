package io.sluice.broker.partition;

/**
 * Counts what goes into and out of one partition. Resolved once when the partition is created and kept by
 * it, so that the produce and fetch paths count with no lookup; implementations are lock-free and
 * allocation-free. Appends are counted on the request threads, fetched slices on the event loop that
 * hands them to the socket.
 */
public interface PartitionTraffic {
    /** Counts nothing. */
    PartitionTraffic NONE = new PartitionTraffic() {
        @Override
        public void appended(int records, int bytes) {
        }

        @Override
        public void queued(long bytes, boolean follower) {
        }

        @Override
        public void fetched(long records, long bytes, boolean follower, boolean zeroCopy) {
        }
    };

    /** A produce appended {@code records} records in {@code bytes} bytes of batches. */
    void appended(int records, int bytes);

    /**
     * A fetch answer's slice of {@code bytes} bytes was handed to the channel (on a request thread). Set against
     * what {@link #fetched} then sees reach the socket as a file region, it is what shows whether the payload
     * really went out by {@code sendfile}: a handler that copied it on the way would leave this count alone.
     */
    void queued(long bytes, boolean follower);

    /**
     * A fetch answer's slice of {@code records} records in {@code bytes} bytes went to the socket.
     *
     * @param follower true for a follower's fetch (replica_id ≥ 0), false for a consumer's
     * @param zeroCopy true when sent as a file region ({@code sendfile}), false when copied
     */
    void fetched(long records, long bytes, boolean follower, boolean zeroCopy);
}
