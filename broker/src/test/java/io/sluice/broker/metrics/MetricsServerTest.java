package io.sluice.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP side of /metrics, driven byte by byte on an EmbeddedChannel and once over a real socket. */
class MetricsServerTest {
    private final AtomicInteger scrapes = new AtomicInteger();
    private final MetricsServer.Scrape scrape = out -> {
        scrapes.incrementAndGet();
        out.write("# TYPE up gauge\nup 1.0\n".getBytes(StandardCharsets.UTF_8));
    };
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void release() {
        channel.finishAndReleaseAll();
    }

    @Test
    void getMetricsAnswersTheScrapeInPrometheusTextFormatAndKeepsTheConnection() {
        MetricsServer.initPipeline(channel.pipeline(), scrape);
        String first = exchange("GET /metrics HTTP/1.1\r\nHost: b\r\n\r\n");
        assertThat(first).startsWith("HTTP/1.1 200 OK\r\n")
                .containsIgnoringCase("content-type: text/plain; version=0.0.4; charset=utf-8\r\n")
                .containsIgnoringCase("content-length: 23\r\n")
                .endsWith("\r\n\r\n# TYPE up gauge\nup 1.0\n");
        // Keep-alive: the same connection serves the next scrape, and a query string is ignored.
        String second = exchange("GET /metrics?x=1 HTTP/1.1\r\nHost: b\r\n\r\n");
        assertThat(second).startsWith("HTTP/1.1 200 OK\r\n").endsWith("up 1.0\n");
        assertThat(channel.isOpen()).isTrue();
        assertThat(scrapes).hasValue(2);
    }

    @Test
    void anotherPathIs404AndAnotherMethod405WithoutRendering() {
        MetricsServer.initPipeline(channel.pipeline(), scrape);
        assertThat(exchange("GET /other HTTP/1.1\r\nHost: b\r\n\r\n")).startsWith("HTTP/1.1 404 Not Found\r\n");
        assertThat(exchange("POST /metrics HTTP/1.1\r\nHost: b\r\nContent-Length: 2\r\n\r\nhi"))
                .startsWith("HTTP/1.1 405 Method Not Allowed\r\n").containsIgnoringCase("allow: GET, HEAD\r\n");
        assertThat(exchange("HEAD /metrics HTTP/1.1\r\nHost: b\r\n\r\n")).startsWith("HTTP/1.1 200 OK\r\n")
                .containsIgnoringCase("content-length: 23\r\n").endsWith("\r\n\r\n");
        assertThat(channel.isOpen()).isTrue();
        assertThat(scrapes).hasValue(1);
    }

    @Test
    void connectionCloseAndHttp10AreHonoured() {
        MetricsServer.initPipeline(channel.pipeline(), scrape);
        assertThat(exchange("GET /metrics HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200 OK\r\n");
        assertThat(channel.isOpen()).isFalse();

        EmbeddedChannel old = new EmbeddedChannel();
        try {
            MetricsServer.initPipeline(old.pipeline(), scrape);
            old.writeInbound(ascii("GET /metrics HTTP/1.0\r\n\r\n"));
            assertThat(drain(old)).startsWith("HTTP/1.0 200 OK\r\n");
            assertThat(old.isOpen()).isFalse();
        } finally {
            old.finishAndReleaseAll();
        }
    }

    @Test
    void aFailingScrapeIs500AndLeaksNothing() {
        MetricsServer.initPipeline(channel.pipeline(), out -> {
            out.write("partial".getBytes(StandardCharsets.UTF_8));
            throw new IOException("boom");
        });
        assertThat(exchange("GET /metrics HTTP/1.1\r\nHost: b\r\n\r\n")).startsWith("HTTP/1.1 500 ").contains("boom");
    }

    @Test
    void servesOverARealSocketOnAnEphemeralPort() throws Exception {
        try (MetricsServer server = new MetricsServer("127.0.0.1", 0, scrape)) {
            int port = server.start();
            assertThat(port).isPositive().isEqualTo(server.port());
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> ok = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("content-type")).hasValue(MetricsServer.CONTENT_TYPE);
            assertThat(ok.body()).isEqualTo("# TYPE up gauge\nup 1.0\n");
            HttpResponse<String> missing = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(missing.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void aPortInUseIsRefusedNamingTheKey() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             MetricsServer server = new MetricsServer("127.0.0.1", taken.getLocalPort(), scrape)) {
            assertThatThrownBy(server::start).hasMessageStartingWith("metrics.port")
                    .hasMessageContaining(Integer.toString(taken.getLocalPort()));
        }
    }

    private String exchange(String request) {
        channel.writeInbound(ascii(request));
        return drain(channel);
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    /** Everything written out, as text; the buffers are released. */
    private static String drain(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        Object msg;
        while ((msg = ch.readOutbound()) != null) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                sb.append(buf.toString(StandardCharsets.UTF_8));
            } finally {
                buf.release();
            }
        }
        return sb.toString();
    }
}
