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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The background filler must never write zeros over bytes the writer has put in the mapping. */
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
            PageAllocator prefill = new PageAllocator(tmp, ch, PageAllocator.SEGMENT_CHUNK_BYTES, capacity, 0, 0, 4 * PageAllocator.SEGMENT_CHUNK_BYTES, pool);
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
}
