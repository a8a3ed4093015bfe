package io.sluice.client.tools.perf;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.client.testing.MiniBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SluicePerfTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return SluicePerf.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertThat(run()).isEqualTo(2);
        assertThat(run("fly", "--bootstrap", "h:1")).isEqualTo(2);
        assertThat(run("produce", "--topic", "t", "--records", "1", "--record-size", "1")).isEqualTo(2);
        assertThat(err()).contains("--bootstrap");
        assertThat(run("produce", "--bootstrap", "h:1", "--topic", "t", "--records", "ten", "--record-size", "1"))
                .isEqualTo(2);
        assertThat(run("produce", "--bootstrap", "h:1", "--topic", "t", "--records", "10", "--record-size", "1",
                "--no-such-flag")).isEqualTo(2);
        assertThat(run("produce", "--bootstrap", "h:1", "--topic", "t", "--records", "0", "--record-size", "1"))
                .isEqualTo(2);
        assertThat(run("produce", "--bootstrap", "h:1", "--topic", "t", "--records", "1", "--record-size", "1",
                "--throughput", "0")).isEqualTo(2);
        err.reset();
        assertThat(run("produce", "--bootstrap", "h:1", "--topic", "t", "--records", "1", "--record-size", "1",
                "--producer-prop", "batch.sise=1")).isEqualTo(2);
        assertThat(err()).contains("batch.sise");
        assertThat(run("consume", "--bootstrap", "h:1", "--topic", "t", "--records", "1", "--record-size", "1",
                "--consumer-prop", "fetch.max.bytes=lots")).isEqualTo(2);
    }

    @Test
    void helpExitsWithZeroAndSaysWhatIsMeasured() {
        assertThat(run("produce", "--help")).isZero();
        assertThat(out()).contains("--acks").contains("send()").contains("acks=1");
        out.reset();
        assertThat(run("consume", "--help")).isZero();
        assertThat(out()).contains("fetch round trip");
    }

    @Test
    void anUnreachableBrokerIsOneLineAndExitOne() throws Exception {
        int port;
        try (MiniBroker broker = new MiniBroker()) {
            port = broker.server().port();
        }
        assertThat(run("consume", "--bootstrap", "127.0.0.1:" + port, "--topic", "t", "--records", "1",
                "--record-size", "1")).isEqualTo(1);
        assertThat(err().strip()).startsWith("sluice-perf: error:").contains("127.0.0.1:" + port).doesNotContain("\n");
    }

    @Test
    void producesThenConsumesAndReportsJson() throws Exception {
        try (MiniBroker broker = new MiniBroker()) {
            assertThat(run("produce", "--bootstrap", broker.bootstrap(), "--topic", "perf", "--records", "3000",
                    "--record-size", "100", "--partitions", "2", "--warmup-records", "100", "--json")).isZero();
            assertThat(out().strip()).startsWith("{\"mode\":\"produce\",\"records\":3000,").contains("\"mib_per_sec\":")
                    .contains("\"latency\":\"send to ack\"").doesNotContain("\n");
            assertThat(broker.log("perf", 0).logEnd + broker.log("perf", 1).logEnd).isEqualTo(3100);
            out.reset();
            assertThat(run("consume", "--bootstrap", broker.bootstrap(), "--topic", "perf", "--records", "3000",
                    "--record-size", "100", "--warmup-records", "100")).isZero();
            assertThat(out()).startsWith("3000 records read").contains("p99.9");
            out.reset();
            err.reset();
            assertThat(run("consume", "--bootstrap", broker.bootstrap(), "--topic", "perf", "--records", "4000",
                    "--record-size", "100", "--idle-timeout-ms", "300")).isEqualTo(1);
            assertThat(err()).contains("read 3100 of 4000");
            err.reset();
            assertThat(run("consume", "--bootstrap", broker.bootstrap(), "--topic", "nope", "--records", "1",
                    "--record-size", "1")).isEqualTo(1);
            assertThat(err().strip()).startsWith("sluice-perf: error:").contains("nope");
        }
    }
}
