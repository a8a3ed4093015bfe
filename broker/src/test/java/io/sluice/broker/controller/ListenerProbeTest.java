package io.sluice.broker.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ConnectTimeoutException;
import io.sluice.broker.testing.FreePorts;
import io.sluice.client.network.Transport;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ListenerProbeTest {
    private final ListenerProbe probe = new ListenerProbe(Transport.shared(), 1000, 200);

    @Test
    void aPortNothingListensOnRefuses() throws Exception {
        assertThat(probe.refuses("127.0.0.1", FreePorts.next()).get(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aListeningPortDoesNotRefuse() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThat(probe.refuses("127.0.0.1", listener.getLocalPort()).get(10, TimeUnit.SECONDS)).isFalse();
        }
    }

    /** A process being killed: its listener accepts the probe into the backlog, then closes (resetting it). */
    @Test
    void aListenerThatClosesWhileTheConnectionIsHeldRefuses() throws Exception {
        ListenerProbe patient = new ListenerProbe(Transport.shared(), 1000, 10_000);
        CompletableFuture<Boolean> answer;
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            answer = patient.refuses("127.0.0.1", listener.getLocalPort());
            Thread.sleep(200); // accepted into the backlog, never accepted by the listener's owner
            assertThat(answer).isNotDone();
        }
        assertThat(answer.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void onlyARefusalCounts() {
        assertThat(ListenerProbe.isRefusal(new ConnectException("Connection refused"))).isTrue();
        assertThat(ListenerProbe.isRefusal(new ConnectTimeoutException("connection timed out: /10.0.0.1:9292")))
                .isFalse();
        assertThat(ListenerProbe.isRefusal(new ConnectException("No route to host"))).isFalse();
        assertThat(ListenerProbe.isRefusal(new java.io.IOException("Connection refused"))).isFalse();
    }
}
