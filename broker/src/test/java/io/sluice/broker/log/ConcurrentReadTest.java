package io.sluice.broker.log;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers bounded by an offset while a writer appends: what a consumer fetch bounded by the high watermark does
 * while producers write. A slice must end at or below its bound and say truly where it ends.
 */
class ConcurrentReadTest {
    private static final TopicPartition TP = new TopicPartition("race", 0);

    @TempDir
    Path tmp;

    @Test
    void sliceBoundedByAnOffsetNeverIncludesBatchesAppendedPastIt() throws Exception {
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(8 << 20).withIndexIntervalBytes(4096).withPrefillBytes(0);
        Log log = Log.open(TP, tmp.resolve(TP.dirName()), config, Clock.SYSTEM, Runnable::run, false, 0);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                while (!stop.get() && log.size() < (6 << 20)) {
                    log.appendAsLeader(batch(log.logEndOffset(), 2, 40, 1L), 0);
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "writer");
        writer.start();
        try {
            int reads = 0;
            while (writer.isAlive() && reads < 200_000) {
                long end = log.logEndOffset();
                // Read the last batch below the bound, where the bound meets the data being appended.
                long start = Math.max(0, end - 2);
                if (end == 0) {
                    continue;
                }
                try (LogSlice slice = log.read(start, 1 << 20, end)) {
                    reads++;
                    assertThat(slice.nextOffset()).as("slice end, bound %d", end).isLessThanOrEqualTo(end);
                    long offset = slice.firstOffset();
                    int position = slice.position();
                    int sliceEnd = slice.position() + slice.length();
                    while (position < sliceEnd) {
                        BatchHeader b = BatchHeader.read(slice.channel(), slice.segment().file(), position, sliceEnd);
                        assertThat(b.lastOffset()).as("a batch in a slice bounded at %d", end).isLessThan(end);
                        assertThat(b.baseOffset()).isEqualTo(offset);
                        offset = b.lastOffset() + 1;
                        position = b.nextPosition();
                    }
                    assertThat(slice.nextOffset()).as("the slice's next offset is where its last batch ends")
                            .isEqualTo(offset);
                }
            }
            assertThat(reads).isPositive();
        } finally {
            stop.set(true);
            writer.join();
            log.closeUncleanly();
        }
        assertThat(writerFailure.get()).isNull();
    }
}
