package io.sluice.broker.group;

/**
 * A committed offset: the next offset the group will read, the leader epoch of the record before it (-1 when
 * unknown), the client's free-form metadata (never null; at most {@code offset.metadata.max.bytes} UTF-8 bytes), and
 * when it was committed (-1 in a request: the coordinator stamps its own time).
 */
public record OffsetAndMetadata(long offset, int leaderEpoch, String metadata, long commitTimestamp) {
    public static final int NO_LEADER_EPOCH = -1;
    public static final long NO_TIMESTAMP = -1L;

    public OffsetAndMetadata {
        metadata = metadata == null ? "" : metadata;
    }

    public static OffsetAndMetadata of(long offset) {
        return new OffsetAndMetadata(offset, NO_LEADER_EPOCH, "", NO_TIMESTAMP);
    }

    OffsetAndMetadata withCommitTimestamp(long timestamp) {
        return new OffsetAndMetadata(offset, leaderEpoch, metadata, timestamp);
    }
}
