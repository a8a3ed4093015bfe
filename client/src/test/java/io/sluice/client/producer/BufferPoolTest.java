package io.sluice.client.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.sluice.client.errors.RecordTooLargeException;
import io.sluice.client.errors.TimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BufferPoolTest {
    @Test
    void blocksWhenBufferMemoryIsUsedUpUntilABufferIsFreedOrMaxBlockPasses() throws Exception {
        BufferPool pool = new BufferPool(1000, PooledByteBufAllocator.DEFAULT);
        ByteBuf a = pool.allocate(600, 0);
        assertThat(a.isDirect()).isTrue();
        assertThat(a.maxCapacity()).isEqualTo(600);
        assertThatThrownBy(() -> pool.allocate(600, 50)).isInstanceOf(TimeoutException.class)
                .hasMessageContaining("max.block.ms");
        CompletableFuture<ByteBuf> waiting = CompletableFuture.supplyAsync(() -> pool.allocate(600, 10_000));
        Thread.sleep(50);
        assertThat(waiting).isNotDone();
        pool.free(a);
        ByteBuf b = waiting.get(5, TimeUnit.SECONDS);
        assertThat(pool.availableBytes()).isEqualTo(400);
        pool.free(b);
        assertThat(pool.availableBytes()).isEqualTo(1000);
        assertThatThrownBy(() -> pool.allocate(1001, 0)).isInstanceOf(RecordTooLargeException.class)
                .hasMessageContaining("buffer.memory");
    }
}
