package io.sluice.broker.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proto.record.RecordBatch;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The time index held against a {@link TreeMap} of its entries. */
class TimeIndexTest {
    static final long BASE = 500;

    @TempDir
    Path tmp;

    @Test
    void keepsOnlyIncreasingTimestampsAndFindsTheLastEntryBeforeATime() {
        Random random = new Random(3);
        TreeMap<Long, Long> model = new TreeMap<>();
        try (TimeIndex index = new TimeIndex(tmp.resolve("a.timeindex"), BASE, 120_000, true)) {
            long ts = 1_000_000;
            long offset = BASE;
            for (int i = 0; i < 5000; i++) {
                ts += random.nextInt(100) - 20; // mostly increasing, sometimes back in time
                offset += 1 + random.nextInt(10);
                Map.Entry<Long, Long> last = model.lastEntry();
                if (last == null || ts > last.getKey()) {
                    model.put(ts, offset);
                }
                index.maybeAppend(ts, offset);
            }
            assertThat(index.entries()).isEqualTo(model.size());
            for (int i = 0; i < 10_000; i++) {
                long target = 999_000 + random.nextInt((int) (ts - 999_000 + 1000));
                Map.Entry<Long, Long> expected = model.lowerEntry(target);
                TimestampOffset actual = index.lookupBefore(target);
                if (expected == null) {
                    assertThat(actual).isEqualTo(new TimestampOffset(RecordBatch.NO_TIMESTAMP, BASE));
                } else {
                    assertThat(actual).isEqualTo(new TimestampOffset(expected.getKey(), expected.getValue()));
                }
            }
            long cut = model.firstEntry().getValue() + (offset - BASE) / 2;
            index.truncateTo(cut);
            assertThat(index.lastEntry().offset()).isLessThan(cut);
            assertThat(index.entries()).isEqualTo(model.headMap(Long.MAX_VALUE).values().stream().filter(o -> o < cut).count());
        }
    }
}
