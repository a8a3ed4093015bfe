package io.sluice.broker.testing;

import io.sluice.proto.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Record batches for tests: values are deterministic so a read can be checked against what was written. */
public final class TestBatches {
    private TestBatches() {
    }

    /** A batch of {@code count} records whose values say which record they are ("r<first+i>"), padded to {@code valueSize}. */
    public static ByteBuffer batch(long firstId, int count, int valueSize, long timestamp) {
        RecordBatchBuilder b = new RecordBatchBuilder(count * (valueSize + 32) + 128);
        for (int i = 0; i < count; i++) {
            b.append(timestamp, ("k" + (firstId + i)).getBytes(StandardCharsets.UTF_8), value(firstId + i, valueSize));
        }
        return b.build();
    }

    public static byte[] value(long id, int size) {
        byte[] v = new byte[Math.max(size, 24)];
        Random r = new Random(id);
        r.nextBytes(v);
        byte[] tag = ("r" + id + ";").getBytes(StandardCharsets.UTF_8);
        System.arraycopy(tag, 0, v, 0, tag.length);
        return v;
    }
}
