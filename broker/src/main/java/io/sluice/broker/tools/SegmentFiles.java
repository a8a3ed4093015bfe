package io.sluice.broker.tools;

import java.nio.file.Path;

/**
 * The files of one segment as found on disk.
 *
 * @param baseOffset the base offset its name gives, or {@link #UNKNOWN_BASE} for a data file not named
 *                   {@code <20 digits>.log} (dumped on request, but nothing can be checked against its name)
 * @param log        the data file
 * @param index      the offset index beside it (it may not exist)
 * @param timeIndex  the time index beside it (it may not exist)
 * @param last       whether it is the newest segment of its directory, i.e. the active one while a broker
 *                   runs or after it crashed
 */
record SegmentFiles(long baseOffset, Path log, Path index, Path timeIndex, boolean last) {
    static final long UNKNOWN_BASE = -1;

    boolean hasKnownBase() {
        return baseOffset != UNKNOWN_BASE;
    }
}
