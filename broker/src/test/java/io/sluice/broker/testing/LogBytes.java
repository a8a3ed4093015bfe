package io.sluice.broker.testing;

import io.sluice.broker.log.LogSlice;
import io.sluice.broker.partition.Partition;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/** A replica's log as stored, for byte-for-byte comparison of replicas. */
public final class LogBytes {
    private LogBytes() {
    }

    /** The bytes of {@code p}'s log from its start up to {@code end} (exclusive, on a batch boundary). */
    public static byte[] below(Partition p, long end) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long next = p.logStartOffset();
        while (next < end) {
            try (LogSlice slice = p.log().read(next, 1 << 30, end)) {
                ByteBuffer b = slice.readAll();
                if (!b.hasRemaining()) {
                    break;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk);
                next = slice.nextOffset();
            }
        }
        return out.toByteArray();
    }
}
