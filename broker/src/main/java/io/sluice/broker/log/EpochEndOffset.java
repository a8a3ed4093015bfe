package io.sluice.broker.log;

/**
 * The answer to "where does epoch E end in this log": the largest epoch at or below E that the log holds,
 * and the offset after its last record (the next epoch's start, or the log end for the newest epoch).
 */
public record EpochEndOffset(int epoch, long endOffset) {
    /** The log holds no epoch at or below the one asked for. */
    public static final EpochEndOffset UNDEFINED = new EpochEndOffset(-1, -1);

    public boolean isUndefined() {
        return epoch < 0;
    }
}
