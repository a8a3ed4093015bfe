package io.sluice.broker.log;

/** One entry of a {@link LeaderEpochCache}: {@code epoch} wrote the log from {@code startOffset} on. */
public record EpochEntry(int epoch, long startOffset) {
}
