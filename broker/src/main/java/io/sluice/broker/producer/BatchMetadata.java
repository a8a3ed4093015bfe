package io.sluice.broker.producer;

/**
 * What a producer's appended batch got: its sequence range, the offsets it was written at, and its newest timestamp.
 * A retry of the batch is recognised by its sequences and answered with these offsets.
 */
public record BatchMetadata(int firstSeq, int lastSeq, long firstOffset, long lastOffset, long timestamp) {
}
