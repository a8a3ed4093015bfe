package io.sluice.broker.log;

/**
 * A time-index entry: up to and including the batch that starts at {@code offset}, the segment's largest
 * timestamp is {@code timestamp}.
 */
public record TimestampOffset(long timestamp, long offset) {
}
