package io.sluice.broker.log;

/** A batch boundary: the offset of the batch that starts at {@code position} of a segment's data file. */
public record OffsetPosition(long offset, int position) {
}
