package io.sluice.client.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.client.errors.BrokerUnavailableException;
import io.sluice.client.errors.TimeoutException;
import io.sluice.client.testing.FakeBroker;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ApiVersionsRequest;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BrokerConnectionTest {
    private final List<FakeBroker.Exchange> parked = new CopyOnWriteArrayList<>();
    private final List<ByteBuf> retained = new CopyOnWriteArrayList<>();
    private FakeBroker broker;
    private BrokerConnection connection;

    @AfterEach
    void tearDown() {
        if (connection != null) {
            connection.close();
            connection.closeFuture().join();
        }
        if (broker != null) {
            broker.close();
        }
        retained.forEach(ByteBuf::release);
    }

    private static Request.Builder request(String tag) {
        return Request.newBuilder().setClientId(tag).setApiVersions(ApiVersionsRequest.getDefaultInstance());
    }

    /** Echoes the request's client id in error_message, so a test can tell which request a response answers. */
    private static Response.Builder echo(FakeBroker.Exchange ex) {
        return Response.newBuilder().setErrorMessage(ex.request().getClientId());
    }

    private BrokerConnection connect(FakeBroker.Handler handler, ConnectionConfig config) throws Exception {
        broker = new FakeBroker(handler);
        connection = BrokerConnection.connect(Transport.shared(), "127.0.0.1", broker.port(), config)
                .get(5, TimeUnit.SECONDS);
        return connection;
    }

    private static String answerTo(CompletableFuture<InboundFrame<Response>> f) throws Exception {
        InboundFrame<Response> frame = f.get(5, TimeUnit.SECONDS);
        try {
            return frame.message().getErrorMessage();
        } finally {
            frame.release();
        }
    }

    @Test
    void matchesResponsesThatArriveOutOfOrder() throws Exception {
        connect(parked::add, ConnectionConfig.defaults("test"));
        List<CompletableFuture<InboundFrame<Response>>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(connection.send(request("r" + i), 10_000));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> parked.size() == 5);
        // Answer in reverse order.
        for (int i = 4; i >= 0; i--) {
            FakeBroker.Exchange ex = parked.get(i);
            ex.channel().eventLoop().execute(() -> ex.reply(echo(ex)));
        }
        for (int i = 0; i < 5; i++) {
            assertThat(answerTo(futures.get(i))).isEqualTo("r" + i);
        }
        assertThat(parked).extracting(ex -> ex.request().getCorrelationId()).doesNotHaveDuplicates();
        assertThat(connection.inFlightCount()).isZero();
    }

    @Test
    void carriesTheRawTailBothWays() throws Exception {
        connect(ex -> ex.reply(echo(ex), ex.raw().retainedDuplicate()), ConnectionConfig.defaults("test"));
        ByteBuf tail = Unpooled.directBuffer().writeBytes("records".getBytes(StandardCharsets.US_ASCII));
        InboundFrame<Response> frame = connection.send(request("t"), 5_000, tail).get(5, TimeUnit.SECONDS);
        try {
            assertThat(frame.raw().toString(StandardCharsets.US_ASCII)).isEqualTo("records");
        } finally {
            frame.release();
        }
        assertThat(tail.refCnt()).isZero();
    }

    @Test
    void failsARequestWithNoAnswerWithinItsTimeoutAndDropsTheLateAnswer() throws Exception {
        connect(parked::add, ConnectionConfig.defaults("test"));
        ByteBuf tail = Unpooled.directBuffer().writeZero(100);
        CompletableFuture<InboundFrame<Response>> f = connection.send(request("slow"), 200, tail);
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(TimeoutException.class).hasMessageContaining("timed out after 200 ms");
        FakeBroker.Exchange ex = parked.get(0);
        ex.channel().eventLoop().execute(() -> ex.reply(echo(ex), Unpooled.directBuffer().writeZero(10)));
        // The connection stays usable and the late answer is released (NettyLeaks checks).
        CompletableFuture<InboundFrame<Response>> next = connection.send(request("next"), 5_000);
        await().atMost(Duration.ofSeconds(5)).until(() -> parked.size() == 2);
        FakeBroker.Exchange ex2 = parked.get(1);
        ex2.channel().eventLoop().execute(() -> ex2.reply(echo(ex2)));
        assertThat(answerTo(next)).isEqualTo("next");
    }

    @Test
    void aLostConnectionFailsEveryRequestInFlight() throws Exception {
        connect(parked::add, ConnectionConfig.defaults("test"));
        List<CompletableFuture<InboundFrame<Response>>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(connection.send(request("r" + i), 10_000, Unpooled.directBuffer().writeZero(64)));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> parked.size() == 3);
        broker.dropConnections();
        for (CompletableFuture<InboundFrame<Response>> f : futures) {
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(BrokerUnavailableException.class);
        }
        connection.closeFuture().get(5, TimeUnit.SECONDS);
        assertThat(connection.isActive()).isFalse();
        ByteBuf tail = Unpooled.directBuffer().writeZero(8);
        assertThatThrownBy(() -> connection.send(request("after"), 1_000, tail).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(BrokerUnavailableException.class);
        assertThat(tail.refCnt()).isZero();
    }

    @Test
    void holdsRequestsBeyondTheInFlightLimitUntilAnswersComeBack() throws Exception {
        connect(parked::add, ConnectionConfig.defaults("test").withMaxInFlight(2));
        List<CompletableFuture<InboundFrame<Response>>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(connection.send(request("r" + i), 10_000));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> parked.size() == 2);
        Thread.sleep(100); // nothing more may arrive while two are in flight
        assertThat(parked).hasSize(2);
        assertThat(connection.queuedCount()).isEqualTo(3);
        int answered = 0;
        while (answered < 5) {
            int upTo = parked.size();
            for (int i = answered; i < upTo; i++) {
                FakeBroker.Exchange ex = parked.get(i);
                ex.channel().eventLoop().execute(() -> ex.reply(echo(ex)));
            }
            answered = upTo;
            int target = Math.min(5, answered + 2);
            if (answered < 5) {
                await().atMost(Duration.ofSeconds(5)).until(() -> parked.size() >= target);
            }
        }
        for (int i = 0; i < 5; i++) {
            assertThat(answerTo(futures.get(i))).isEqualTo("r" + i);
        }
        // The requests reached the broker in the order they were sent.
        assertThat(parked).extracting(ex -> ex.request().getClientId()).containsExactly("r0", "r1", "r2", "r3", "r4");
    }

    @Test
    void oneWayRequestsCompleteWhenWritten() throws Exception {
        connect(ex -> {
            retained.add(ex.raw().retain());
            parked.add(ex);
        }, ConnectionConfig.defaults("test"));
        ByteBuf tail = Unpooled.directBuffer().writeZero(1000);
        connection.sendOneWay(request("acks0"), 5_000, tail).get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> parked.size() == 1);
        assertThat(retained.get(0).readableBytes()).isEqualTo(1000);
        assertThat(connection.inFlightCount()).isZero();
    }

    @Test
    void anUnreachableBrokerFailsTheConnect() throws Exception {
        FakeBroker closed = new FakeBroker(ex -> { });
        int port = closed.port();
        closed.close();
        assertThatThrownBy(() -> BrokerConnection.connect(Transport.shared(), "127.0.0.1", port,
                ConnectionConfig.defaults("test")).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(BrokerUnavailableException.class).hasMessageContaining("127.0.0.1:" + port);
    }

    @Test
    void aResponseLargerThanTheFrameLimitClosesTheConnection() throws Exception {
        connect(ex -> ex.reply(echo(ex), Unpooled.directBuffer().writeZero(4096)),
                ConnectionConfig.defaults("test").withMaxFrameBytes(1024));
        CompletableFuture<InboundFrame<Response>> f = connection.send(request("big"), 5_000);
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(BrokerUnavailableException.class);
    }
}
