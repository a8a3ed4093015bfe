package io.sluice.broker.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.server.BrokerConfig;
import io.sluice.broker.testing.TestBroker;
import io.sluice.client.tools.console.SluiceConsume;
import io.sluice.client.tools.console.SluiceProduce;
import io.sluice.client.tools.topics.SluiceTopics;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sluice-topics, sluice-produce and sluice-consume run in-process, as the scripts run them, against a real broker:
 * exactly what they print on stdout and stderr, and their exit codes.
 */
class ConsoleToolsIT {
    @TempDir
    Path dir;

    private TestBroker broker;
    private String bootstrap;

    /** What one run of a tool did. */
    private record Run(int code, String out, String err) {
    }

    @BeforeEach
    void start() {
        broker = new TestBroker(dir.resolve("data"), Map.of(BrokerConfig.NUM_PARTITIONS, "3"));
        bootstrap = "127.0.0.1:" + broker.broker().port();
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private static Run run(Tool tool, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = tool.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @FunctionalInterface
    private interface Tool {
        int run(String[] args, PrintStream out, PrintStream err);
    }

    private Run topics(String... args) {
        return run(SluiceTopics::run, prepend(args, "--bootstrap", bootstrap));
    }

    private Run produce(String input, String... args) {
        return run((a, out, err) -> SluiceProduce.run(a, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                out, err), prepend(args, "--bootstrap", bootstrap));
    }

    private Run consume(String... args) {
        return run(SluiceConsume::run, prepend(args, "--bootstrap", bootstrap));
    }

    @Test
    void createListDescribeProduceConsumeDelete() {
        assertThat(topics("create", "--topic", "orders", "--partitions", "1", "--replication-factor", "1",
                "--config", "retention.ms=3600000")).isEqualTo(new Run(0, "Created topic orders.\n", ""));
        assertThat(topics("create", "--topic", "defaults")).isEqualTo(new Run(0, "Created topic defaults.\n", ""));
        assertThat(topics("create", "--topic", "orders", "--partitions", "2"))
                .isEqualTo(new Run(1, "", "sluice-topics: error: topic orders already exists\n"));
        assertThat(topics("create", "--topic", "orders", "--if-not-exists").code()).isZero();

        assertThat(topics("list")).isEqualTo(new Run(0, "defaults\norders\n", ""));
        assertThat(topics("list", "--include-internal").out()).isEqualTo("__consumer_offsets\ndefaults\norders\n");

        Run produced = produce("k1,v1\nk2,v2\nk3,välue 3\n", "--topic", "orders", "--key-separator", ",");
        assertThat(produced).isEqualTo(new Run(0, "", ""));

        Run described = topics("describe", "--topic", "orders");
        assertThat(described.code()).isZero();
        List<String> lines = described.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo("Topic: orders  Partitions: 1  ReplicationFactor: 1");
        assertThat(lines.get(1)).isEqualTo("  PARTITION  LEADER  EPOCH  REPLICAS  ISR  LOG-START  LOG-END  HW");
        // partition 0, leader 1, any epoch, replicas 1, ISR 1, log start 0, log end 3, high watermark 3
        assertThat(lines.get(2).trim().split(" +")).satisfies(cells -> {
            assertThat(cells).hasSize(8);
            assertThat(List.of(cells[0], cells[1], cells[3], cells[4], cells[5], cells[6], cells[7]))
                    .containsExactly("0", "1", "1", "1", "0", "3", "3");
        });

        Run all = topics("describe");
        assertThat(all.out()).contains("Topic: defaults  Partitions: 3  ReplicationFactor: 1\n")
                .contains("Topic: orders  Partitions: 1").doesNotContain("__consumer_offsets");

        assertThat(consume("--topic", "orders", "--from-beginning", "--print-key", "--max-messages", "3"))
                .isEqualTo(new Run(0, "k1\tv1\nk2\tv2\nk3\tvälue 3\n", "Processed a total of 3 messages\n"));
        assertThat(consume("--topic", "orders", "--from-beginning", "--print-partition", "--print-offset",
                "--key-separator", " ", "--max-messages", "1"))
                .isEqualTo(new Run(0, "partition:0 offset:0 v1\n", "Processed a total of 1 messages\n"));
        assertThat(consume("--topic", "orders", "--partition", "0", "--offset", "2", "--max-messages", "1").out())
                .isEqualTo("välue 3\n");
        // From the end (the default): nothing new arrives before the timeout.
        assertThat(consume("--topic", "orders", "--timeout-ms", "300"))
                .isEqualTo(new Run(0, "", "Processed a total of 0 messages\n"));

        assertThat(topics("delete", "--topic", "orders")).isEqualTo(new Run(0, "Deleted topic orders.\n", ""));
        assertThat(topics("list").out()).isEqualTo("defaults\n");
        assertThat(topics("delete", "--topic", "orders"))
                .isEqualTo(new Run(1, "", "sluice-topics: error: topic orders does not exist\n"));
        assertThat(topics("delete", "--topic", "orders", "--if-exists")).isEqualTo(new Run(0, "", ""));
    }

    @Test
    void aGroupResumesWhereItsLastRunCommitted() {
        assertThat(topics("create", "--topic", "events", "--partitions", "2").code()).isZero();
        String input = IntStream.range(0, 10).mapToObj(i -> "k" + i + ":v" + i).collect(Collectors.joining("\n", "", "\n"));
        assertThat(produce(input, "--topic", "events", "--key-separator", ":").code()).isZero();

        List<String> seen = new java.util.ArrayList<>();
        Run first = consume("--topic", "events", "--group", "g", "--from-beginning", "--max-messages", "4");
        assertThat(first.code()).isZero();
        seen.addAll(first.out().lines().toList());
        assertThat(seen).hasSize(4);
        // Without --from-beginning: the committed offsets, not the end.
        Run second = consume("--topic", "events", "--group", "g", "--timeout-ms", "1000");
        assertThat(second.code()).isZero();
        assertThat(second.err()).isEqualTo("Processed a total of 6 messages\n");
        seen.addAll(second.out().lines().toList());
        assertThat(seen).containsExactlyInAnyOrderElementsOf(
                IntStream.range(0, 10).mapToObj(i -> "v" + i).toList());
        // Everything is committed: a third run has nothing, until more is produced.
        assertThat(consume("--topic", "events", "--group", "g", "--timeout-ms", "300").out()).isEmpty();
        assertThat(produce("k0:late\n", "--topic", "events", "--key-separator", ":").code()).isZero();
        assertThat(consume("--topic", "events", "--group", "g", "--print-key", "--max-messages", "1"))
                .isEqualTo(new Run(0, "k0\tlate\n", "Processed a total of 1 messages\n"));
        // Another group starts where --from-beginning says.
        assertThat(consume("--topic", "events", "--group", "other", "--from-beginning", "--timeout-ms", "1000")
                .out().lines().count()).isEqualTo(11);
    }

    @Test
    void unkeyedLinesAreSpreadAndAllComeBack() {
        assertThat(topics("create", "--topic", "spread").code()).isZero();
        List<String> values = IntStream.range(0, 500).mapToObj(i -> "line " + i).toList();
        assertThat(produce(String.join("\n", values) + "\n", "--topic", "spread", "--acks", "1",
                "--producer-prop", "batch.size=1024").code()).isZero();
        Run read = consume("--topic", "spread", "--from-beginning", "--max-messages", "500");
        assertThat(read.out().lines().toList()).containsExactlyInAnyOrderElementsOf(values);
        String described = topics("describe", "--topic", "spread").out();
        long total = described.lines().skip(2).mapToLong(l -> Long.parseLong(l.trim().split(" +")[6])).sum();
        assertThat(total).isEqualTo(500);
    }

    @Test
    void anUnknownTopicIsOneLineAndExitOne() {
        for (Run r : List.of(topics("describe", "--topic", "nope"), topics("delete", "--topic", "nope"),
                produce("x\n", "--topic", "nope"), consume("--topic", "nope", "--from-beginning"))) {
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).matches("sluice-[a-z]+: error: .*nope.*\n").doesNotContain("\tat ");
            assertThat(r.out()).isEmpty();
        }
    }

    @Test
    void anUnreachableBrokerIsOneLineAndExitOne() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String[] where = {"--bootstrap", "127.0.0.1:" + closed, "--request-timeout-ms", "1000"};
        for (Run r : List.of(run(SluiceTopics::run, prepend(new String[] {"list"}, where)),
                run((a, out, err) -> SluiceProduce.run(a, new ByteArrayInputStream(new byte[0]), out, err),
                        prepend(new String[] {"--topic", "t"}, where)),
                run(SluiceConsume::run, prepend(new String[] {"--topic", "t"}, where)))) {
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).matches("sluice-[a-z]+: error: .*127\\.0\\.0\\.1:" + closed + ".*\n");
            assertThat(r.out()).isEmpty();
        }
    }

    private static String[] prepend(String[] args, String... first) {
        String[] all = Arrays.copyOf(first, first.length + args.length);
        System.arraycopy(args, 0, all, first.length, args.length);
        return all;
    }
}
