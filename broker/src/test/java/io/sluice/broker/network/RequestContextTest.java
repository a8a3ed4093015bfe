package io.sluice.broker.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.proto.message.Request;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RequestContextTest {
    @Test
    void aCloseActionTakenBackDoesNotRunAndOneLeftInPlaceDoes() {
        EmbeddedChannel channel = new EmbeddedChannel();
        RequestContext context = new RequestContext(channel, Request.getDefaultInstance(), System.nanoTime(),
                RequestObserver.NONE);
        AtomicInteger kept = new AtomicInteger();
        AtomicInteger takenBack = new AtomicInteger();

        context.onConnectionClose(kept::incrementAndGet);
        Runnable stop = context.onConnectionClose(takenBack::incrementAndGet);
        stop.run(); // the request was answered before the connection closed

        channel.close().syncUninterruptibly();
        channel.runPendingTasks();
        assertThat(kept).hasValue(1);
        assertThat(takenBack).hasValue(0);
    }
}
