package io.sluice.broker.tools;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Positional reads that tolerate a file changing length under them, as a live broker's files do. */
final class FileReads {
    private FileReads() {
    }

    /**
     * Reads from {@code position} into {@code buf} until it is full or the file ends, then flips it.
     *
     * @return the bytes read, fewer than asked when the file ended first (it may have been trimmed meanwhile)
     */
    static int readFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        int start = buf.position();
        while (buf.hasRemaining()) {
            if (channel.read(buf, position + buf.position() - start) < 0) {
                break;
            }
        }
        int n = buf.position() - start;
        buf.flip();
        return n;
    }

    /** Whether bytes {@code from} (absolute) to the limit of {@code buf} are all zero. */
    static boolean isZero(ByteBuffer buf, int from) {
        return firstNonZero(buf, from) < 0;
    }

    /** The absolute index of the first non-zero byte from {@code from} to the limit, or -1. */
    static int firstNonZero(ByteBuffer buf, int from) {
        int i = from;
        int end = buf.limit();
        // Eight bytes at a time: the preallocated tail of a segment can be a gigabyte of zeros.
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            if (buf.getLong(i) != 0) {
                break;
            }
        }
        for (; i < end; i++) {
            if (buf.get(i) != 0) {
                return i;
            }
        }
        return -1;
    }
}
