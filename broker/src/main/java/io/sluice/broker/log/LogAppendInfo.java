package io.sluice.broker.log;

/** What an append wrote: the offsets the batches got, their newest timestamp, and their size. */
public record LogAppendInfo(long firstOffset, long lastOffset, long maxTimestamp, int recordCount, int sizeInBytes) {
}
