/**
 * Offline tools that read a broker's files without going through the broker: {@code bin/sluice-log dump}.
 *
 * <p>They never open a partition through {@code io.sluice.broker.log.Log} or {@code LogManager}: those
 * recover (truncate, rebuild indexes, preallocate), which must not happen to the files of a broker that
 * is running or that crashed and is being examined. Everything here opens files read-only and reads
 * them through positional {@code FileChannel} reads.
 */
package io.sluice.broker.tools;
