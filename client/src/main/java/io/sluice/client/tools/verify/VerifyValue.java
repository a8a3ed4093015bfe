package io.sluice.client.tools.verify;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The value of a record written by sluice-verify, big-endian:
 *
 * <pre>
 *  0  int32  magic 0x53565231 ("SVR1")
 *  4  int64  run id (random, one per produce/run invocation)
 * 12  int64  sequence number (0, 1, 2, ... over the run)
 * 20  bytes  padding up to the record size (a fixed pattern)
 * -4  int32  CRC32C of every byte before it
 * </pre>
 *
 * At least {@link #MIN_SIZE} bytes. Stateless.
 */
final class VerifyValue {
    static final int MAGIC = 0x53565231;
    static final int MIN_SIZE = 24;

    /** What a value turned out to be. */
    enum Kind {
        /** Not written by sluice-verify (no magic): ignored. */
        FOREIGN,
        /** Has the magic but is too short or its checksum does not match. */
        CORRUPT,
        VALID
    }

    /** A parsed value; runId and sequence are meaningful only when {@code kind} is VALID (or, for CORRUPT, maybe). */
    record Parsed(Kind kind, long runId, long sequence) {
    }

    private VerifyValue() {
    }

    /** The value of record {@code sequence} of run {@code runId}, {@code max(size, MIN_SIZE)} bytes. */
    static byte[] encode(long runId, long sequence, int size) {
        int n = Math.max(size, MIN_SIZE);
        byte[] bytes = new byte[n];
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        b.putInt(MAGIC).putLong(runId).putLong(sequence);
        for (int i = 20; i < n - 4; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, n - 4);
        b.putInt(n - 4, (int) crc.getValue());
        return bytes;
    }

    /** Parses {@code value} (position to limit, left unchanged); null is FOREIGN. */
    static Parsed parse(ByteBuffer value) {
        if (value == null || value.remaining() < 4) {
            return new Parsed(Kind.FOREIGN, 0, -1);
        }
        ByteBuffer b = value.duplicate().order(ByteOrder.BIG_ENDIAN);
        int start = b.position();
        if (b.getInt(start) != MAGIC) {
            return new Parsed(Kind.FOREIGN, 0, -1);
        }
        int n = b.remaining();
        if (n < MIN_SIZE) {
            long runId = n >= 12 ? b.getLong(start + 4) : 0;
            return new Parsed(Kind.CORRUPT, runId, -1);
        }
        long runId = b.getLong(start + 4);
        long sequence = b.getLong(start + 12);
        int stored = b.getInt(start + n - 4);
        CRC32C crc = new CRC32C();
        b.limit(start + n - 4);
        crc.update(b);
        if ((int) crc.getValue() != stored || sequence < 0) {
            return new Parsed(Kind.CORRUPT, runId, sequence);
        }
        return new Parsed(Kind.VALID, runId, sequence);
    }
}
