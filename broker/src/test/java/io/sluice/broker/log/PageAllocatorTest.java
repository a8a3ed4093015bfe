package io.sluice.broker.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The background filler must never write zeros over bytes the writer has put in the mapping, and keeps about a
 * second of the writer's writes allocated ahead of it.
 */
class PageAllocatorTest {
    @TempDir
    Path tmp;

    @Test
    void writerAndFillerRacingNeverLoseAByte() throws Exception {
        int capacity = 64 * PageAllocator.SEGMENT_CHUNK_BYTES;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (FileChannel ch = FileChannel.open(tmp.resolve("s.log"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[1]), capacity - 1);
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, capacity);
            PageAllocator prefill = new PageAllocator(tmp, ch, PageAllocator.SEGMENT_CHUNK_BYTES, capacity, 0, 0,
                    4 * PageAllocator.SEGMENT_CHUNK_BYTES, PageAllocator.SEGMENT_CHUNK_BYTES, pool, System::nanoTime);
            ByteBuffer chunk = ByteBuffer.allocate(16 * 1024 + 7); // odd size: writes straddle chunk edges
            int position = 0;
            byte n = 1;
            while (position + chunk.capacity() <= capacity) {
                for (int i = 0; i < chunk.capacity(); i++) {
                    chunk.put(i, n);
                }
                prefill.beforeWrite(position, chunk.capacity());
                map.put(position, chunk, 0, chunk.capacity());
                position += chunk.capacity();
                n = (byte) (n == 127 ? 1 : n + 1);
            }
            prefill.cancel();
            assertThat(prefill.allocatedChunks()).isEqualTo(64);
            ByteBuffer check = ByteBuffer.allocate(chunk.capacity());
            n = 1;
            for (int p = 0; p + chunk.capacity() <= capacity; p += chunk.capacity()) {
                check.clear();
                while (check.hasRemaining()) {
                    ch.read(check, p + check.position());
                }
                for (int i = 0; i < check.capacity(); i++) {
                    if (check.get(i) != n) {
                        throw new AssertionError("byte " + (p + i) + " is " + check.get(i) + ", expected " + n);
                    }
                }
                n = (byte) (n == 127 ? 1 : n + 1);
            }
            MappedBuffers.unmap(map);
        } catch (IOException e) {
            throw e;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theWindowAheadFollowsTheWritersRate() throws IOException {
        int chunk = PageAllocator.SEGMENT_CHUNK_BYTES;
        int capacity = 64 * chunk;
        long[] nanos = {0};
        try (FileChannel ch = FileChannel.open(tmp.resolve("s.log"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[1]), capacity - 1);
            // Fills run inline: what is requested is allocated when beforeWrite returns.
            PageAllocator prefill = new PageAllocator(tmp, ch, chunk, capacity, 0, 0, 8 * chunk, chunk, Runnable::run,
                    () -> nanos[0]);

            prefill.beforeWrite(0, 100);
            assertThat(prefill.allocatedChunks()).as("its own chunk and the starting window of one").isEqualTo(2);

            nanos[0] += TimeUnit.MILLISECONDS.toNanos(10); // a chunk in 10 ms: a second is 100 chunks, above the max
            prefill.beforeWrite(chunk, 100);
            assertThat(prefill.aheadBytes()).isEqualTo(8 * chunk);
            assertThat(prefill.allocatedChunks()).isEqualTo(10);

            for (int c = 2; c <= 12; c++) { // a chunk every 2 s: one chunk ahead, and no zeros until it gets there
                nanos[0] += TimeUnit.SECONDS.toNanos(2);
                prefill.beforeWrite(c * chunk, 100);
                assertThat(prefill.allocatedChunks()).isEqualTo(Math.max(10, c + 2));
            }
            assertThat(prefill.aheadBytes()).isEqualTo(chunk);

            nanos[0] += TimeUnit.MILLISECONDS.toNanos(250); // 4 chunks a second
            prefill.beforeWrite(13 * chunk, 100);
            assertThat(prefill.aheadBytes()).isEqualTo(4 * chunk);
            assertThat(prefill.allocatedChunks()).isEqualTo(18);

            nanos[0] += TimeUnit.MILLISECONDS.toNanos(100); // three chunk edges in 100 ms, two of them in one write
            prefill.beforeWrite(15 * chunk - 10, chunk + 20);
            assertThat(prefill.aheadBytes()).isEqualTo(8 * chunk);
            assertThat(prefill.allocatedChunks()).as("chunks 0 to 16, and 8 ahead").isEqualTo(25);
            prefill.cancel();
        }
    }

    @Test
    void withoutAWindowOnlyTheWritersOwnChunksAreAllocated() throws IOException {
        int chunk = PageAllocator.INDEX_CHUNK_BYTES;
        int capacity = 16 * chunk;
        try (FileChannel ch = FileChannel.open(tmp.resolve("i.index"), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            PageAllocator allocator = new PageAllocator(tmp, ch, chunk, capacity, 0, 0, 0, 0, Runnable::run,
                    () -> {
                        throw new AssertionError("no window, no rate");
                    });
            allocator.beforeWrite(0, 8);
            allocator.beforeWrite(3 * chunk, 8);
            assertThat(allocator.allocatedChunks()).isEqualTo(2);
            assertThat(ch.size()).isEqualTo(4L * chunk);
        }
    }
}
