package io.sluice.client.tools.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.client.testing.MiniBroker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Usage errors and the basic round trip of sluice-produce and sluice-consume, against the in-memory broker. */
class ConsoleToolsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int produce(String input, String... args) {
        InputStream in = new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8));
        return SluiceProduce.run(args, in, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private int consume(String... args) {
        return SluiceConsume.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private void reset() {
        out.reset();
        err.reset();
    }

    @Test
    void produceUsageErrorsExitWithTwoAndNameTheFlag() {
        assertThat(produce("", "--topic", "t")).isEqualTo(2);
        assertThat(err()).contains("--bootstrap");
        reset();
        assertThat(produce("", "--bootstrap", "h:1")).isEqualTo(2);
        assertThat(err()).contains("--topic");
        reset();
        assertThat(produce("", "--bootstrap", "h:1", "--topic", "t", "--key-separator", "")).isEqualTo(2);
        assertThat(err()).contains("--key-separator");
        reset();
        assertThat(produce("", "--bootstrap", "h:1", "--topic", "t", "--acks", "2")).isEqualTo(2);
        assertThat(err()).contains("acks");
        reset();
        assertThat(produce("", "--bootstrap", "h:1", "--topic", "t", "--producer-prop", "linger.msec=1")).isEqualTo(2);
        assertThat(err()).contains("linger.msec");
        reset();
        assertThat(produce("", "--bootstrap", "nohost", "--topic", "t")).isEqualTo(2);
        assertThat(err()).contains("bootstrap").contains("nohost");
    }

    @Test
    void consumeUsageErrorsExitWithTwoAndNameTheFlag() {
        String[] base = {"--bootstrap", "h:1", "--topic", "t"};
        assertThat(consume(concat(base, "--offset", "5"))).isEqualTo(2);
        assertThat(err()).contains("--offset needs --partition");
        reset();
        assertThat(consume(concat(base, "--offset", "5", "--partition", "0", "--from-beginning"))).isEqualTo(2);
        assertThat(err()).contains("--offset").contains("--from-beginning");
        reset();
        assertThat(consume(concat(base, "--offset", "first", "--partition", "0"))).isEqualTo(2);
        assertThat(err()).contains("--offset").contains("first");
        reset();
        assertThat(consume(concat(base, "--max-messages", "0"))).isEqualTo(2);
        assertThat(err()).contains("--max-messages");
        reset();
        assertThat(consume(concat(base, "--timeout-ms", "-5"))).isEqualTo(2);
        assertThat(err()).contains("--timeout-ms");
        reset();
        assertThat(consume(concat(base, "--partition", "-1"))).isEqualTo(2);
        assertThat(err()).contains("--partition");
        reset();
        assertThat(consume(concat(base, "--consumer-prop", "auto.offset.reset=sometimes"))).isEqualTo(2);
        assertThat(err()).contains("auto.offset.reset");
        reset();
        assertThat(consume(concat(base, "--print-values"))).isEqualTo(2);
        assertThat(err()).contains("--print-values");
    }

    @Test
    void consumeHelpDocumentsTheLineFormat() {
        assertThat(consume("--help")).isZero();
        assertThat(out()).contains("timestamp:<ms since the epoch>").contains("--key-separator").contains("--group");
    }

    @Test
    void aLineWithoutTheSeparatorStopsTheRunAndNamesTheLine() throws Exception {
        try (MiniBroker broker = new MiniBroker()) {
            broker.createTopic("t", 1);
            assertThat(produce("a,1\nb-2\nc,3\n", "--bootstrap", broker.bootstrap(), "--topic", "t",
                    "--key-separator", ",")).isEqualTo(1);
            assertThat(err()).isEqualTo("sluice-produce: error: line 2 has no key separator ',': 'b-2'\n");
            // The line before it was sent; nothing after it.
            assertThat(broker.log("t", 0).logEnd).isEqualTo(1);
        }
    }

    @Test
    void producedLinesComeBackWithTheirKeys() throws Exception {
        try (MiniBroker broker = new MiniBroker()) {
            broker.createTopic("t", 1);
            assertThat(produce("k1,v1\nk2,vé,2\n", "--bootstrap", broker.bootstrap(), "--topic", "t",
                    "--key-separator", ",")).isZero();
            assertThat(out()).isEmpty();
            assertThat(err()).isEmpty();
            assertThat(consume("--bootstrap", broker.bootstrap(), "--topic", "t", "--from-beginning", "--print-key",
                    "--print-offset", "--max-messages", "2")).isZero();
            assertThat(out()).isEqualTo("offset:0\tk1\tv1\noffset:1\tk2\tvé,2\n");
            assertThat(err()).isEqualTo("Processed a total of 2 messages\n");
        }
    }

    @Test
    void aClosedStdoutEndsTheRunCleanly() throws Exception {
        try (MiniBroker broker = new MiniBroker()) {
            broker.createTopic("t", 1);
            assertThat(produce("1\n2\n3\n", "--bootstrap", broker.bootstrap(), "--topic", "t")).isZero();
            PrintStream closed = new PrintStream(new OutputStream() {
                @Override
                public void write(int b) throws java.io.IOException {
                    throw new java.io.IOException("Broken pipe");
                }
            }, false, StandardCharsets.UTF_8);
            int code = SluiceConsume.run(new String[] {"--bootstrap", broker.bootstrap(), "--topic", "t",
                    "--from-beginning"}, closed, new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(code).isZero();
            assertThat(err()).isEqualTo("Processed a total of 0 messages\n");
        }
    }

    @Test
    void unknownTopicIsOneLineAndExitOne() throws Exception {
        try (MiniBroker broker = new MiniBroker()) {
            assertThat(consume("--bootstrap", broker.bootstrap(), "--topic", "nope")).isEqualTo(1);
            assertThat(err()).startsWith("sluice-consume: error: ").contains("nope");
            assertThat(err().strip()).doesNotContain("\n");
            reset();
            assertThat(produce("x\n", "--bootstrap", broker.bootstrap(), "--topic", "nope")).isEqualTo(1);
            assertThat(err()).startsWith("sluice-produce: error: ").contains("nope");
            assertThat(err().strip()).doesNotContain("\n");
            reset();
            broker.createTopic("t", 2);
            assertThat(consume("--bootstrap", broker.bootstrap(), "--topic", "t", "--partition", "2")).isEqualTo(1);
            assertThat(err()).isEqualTo("sluice-consume: error: partition 2 of topic t does not exist (it has 2 "
                    + "partitions)\n");
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
