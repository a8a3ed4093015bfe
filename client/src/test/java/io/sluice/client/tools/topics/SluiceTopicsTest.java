package io.sluice.client.tools.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.admin.LeaderElectionResult;
import io.sluice.client.admin.TopicDescription;
import io.sluice.client.metadata.PartitionInfo;
import io.sluice.client.testing.MiniBroker;
import io.sluice.client.tools.ToolException;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SluiceTopicsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return SluiceTopics.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
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
    void usageErrorsExitWithTwoAndNameTheFlag() {
        assertThat(run("--bootstrap", "h:1")).isEqualTo(2);
        assertThat(err()).contains("create, list, describe, delete or elect-leaders");
        reset();
        assertThat(run("list")).isEqualTo(2);
        assertThat(err()).contains("--bootstrap");
        reset();
        assertThat(run("--bootstrap", "h:1", "create")).isEqualTo(2);
        assertThat(err()).contains("--topic");
        reset();
        assertThat(run("--bootstrap", "h:1", "create", "--topic", "t", "--partitions", "0")).isEqualTo(2);
        assertThat(err()).contains("--partitions must be positive");
        reset();
        assertThat(run("--bootstrap", "h:1", "create", "--topic", "t", "--replication-factor", "-1")).isEqualTo(2);
        assertThat(err()).contains("--replication-factor");
        reset();
        assertThat(run("--bootstrap", "h:1", "create", "--topic", "t", "--partitions", "three")).isEqualTo(2);
        assertThat(err()).contains("--partitions");
        reset();
        assertThat(run("--bootstrap", "nohost", "list")).isEqualTo(2);
        assertThat(err()).contains("--bootstrap").contains("nohost");
        reset();
        assertThat(run("--bootstrap", "h:1", "list", "--request-timeout-ms", "0")).isEqualTo(2);
        assertThat(err()).contains("--request-timeout-ms");
        reset();
        assertThat(run("--bootstrap", "h:1", "rename")).isEqualTo(2);
    }

    @Test
    void aUsageErrorIsTheProblemAndAPointerToHelp() {
        assertThat(run("--bootstrap", "h:1", "create", "--topic", "t", "--partition", "3")).isEqualTo(2);
        assertThat(err()).isEqualTo(String.join("\n",
                "sluice-topics: Unknown options: '--partition', '3'",
                "Possible solutions: --partitions",
                "Try 'sluice-topics create --help' for more information.",
                ""));
        assertThat(out()).isEmpty();
    }

    @Test
    void helpExitsWithZeroAndExplainsTheColumns() {
        assertThat(run("--help")).isZero();
        assertThat(out()).contains("create").contains("describe").contains("--bootstrap");
        reset();
        assertThat(run("describe", "--help")).isZero();
        assertThat(out()).contains("LOG-END").contains("high watermark");
    }

    @Test
    void bootstrapMayComeAfterTheSubcommand() throws Exception {
        try (MiniBroker broker = new MiniBroker()) {
            assertThat(run("create", "--bootstrap", broker.bootstrap(), "--topic", "b", "--partitions", "2")).isZero();
            assertThat(out()).isEqualTo("Created topic b.\n");
            broker.createTopic("a", 1);
            reset();
            assertThat(run("list", "--bootstrap", broker.bootstrap())).isZero();
            assertThat(out()).isEqualTo("a\nb\n");
        }
    }

    @Test
    void anUnreachableBrokerIsOneLineAndExitOne() throws Exception {
        int port;
        try (MiniBroker broker = new MiniBroker()) {
            port = broker.server().port();
        }
        assertThat(run("--bootstrap", "127.0.0.1:" + port, "--request-timeout-ms", "1000", "list")).isEqualTo(1);
        assertThat(err()).startsWith("sluice-topics: error: ").contains("127.0.0.1:" + port)
                .contains("connection refused").doesNotContain("finishConnect").endsWith("\n");
        assertThat(err().strip()).doesNotContain("\n");
    }

    @Test
    void describePrintsAHeaderAndAlignedPartitionRows() {
        TopicDescription d = new TopicDescription("orders", false, List.of(
                new PartitionInfo(new TopicPartition("orders", 0), 1, 3, List.of(1, 2, 3), List.of(1, 2, 3), 0, 1200, 1200),
                new PartitionInfo(new TopicPartition("orders", 1), 2, 12, List.of(2, 3, 1), List.of(2, 3), 0, 7, 5),
                new PartitionInfo(new TopicPartition("orders", 2), -1, 4, List.of(3, 1, 2), List.of(), -1, -1, -1)));
        DescribeTopics.print(d, new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(out()).isEqualTo(String.join("\n",
                "Topic: orders  Partitions: 3  ReplicationFactor: 3  UnderReplicated: 2  Offline: 1",
                "  PARTITION  LEADER  EPOCH  REPLICAS  ISR    LOG-START  LOG-END    HW",
                "          0       1      3  1,2,3     1,2,3          0     1200  1200",
                "          1       2     12  2,3,1     2,3            0        7     5",
                "          2    none      4  3,1,2     -              -        -     -",
                ""));
    }

    @Test
    void electLeadersNeedsEitherATopicOrAllPartitions() {
        assertThat(run("--bootstrap", "h:1", "elect-leaders")).isEqualTo(2);
        assertThat(err()).contains("--topic TOPIC or --all-topic-partitions");
        reset();
        assertThat(run("--bootstrap", "h:1", "elect-leaders", "--topic", "t", "--all-topic-partitions")).isEqualTo(2);
        assertThat(err()).contains("--topic TOPIC or --all-topic-partitions");
        reset();
        assertThat(run("--bootstrap", "h:1", "elect-leaders", "--all-topic-partitions", "--partition", "1"))
                .isEqualTo(2);
        assertThat(err()).contains("--partition goes with --topic");
        reset();
        assertThat(run("--bootstrap", "h:1", "elect-leaders", "--topic", "t", "--partition", "-1")).isEqualTo(2);
        assertThat(err()).contains("--partition must not be negative");
        reset();
        assertThat(run("--bootstrap", "h:1", "elect-leaders", "--topic", "a b", "--partition", "0")).isEqualTo(2);
        assertThat(err()).contains("--topic: illegal topic name 'a b'");
        reset();
        assertThat(run("--help")).isZero();
        assertThat(out()).contains("elect-leaders");
    }

    @Test
    void electLeadersPrintsKafkasLinesAndFailsWhenAPartitionCouldNotBeElected() {
        List<LeaderElectionResult> ok = List.of(
                new LeaderElectionResult(new TopicPartition("orders", 0), ErrorCode.NONE, ""),
                new LeaderElectionResult(new TopicPartition("orders", 1), ErrorCode.ELECTION_NOT_NEEDED, "leads"),
                new LeaderElectionResult(new TopicPartition("orders", 2), ErrorCode.NONE, ""));
        assertThat(ElectLeaders.print(ok, new PrintStream(out, true, StandardCharsets.UTF_8))).isZero();
        assertThat(out()).isEqualTo(String.join("\n",
                "Successfully completed leader election (PREFERRED) for partitions orders-0, orders-2",
                "Valid replica already elected for partitions orders-1",
                ""));
        reset();
        List<LeaderElectionResult> failed = List.of(
                new LeaderElectionResult(new TopicPartition("orders", 0), ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
                        "orders-0: its preferred replica 1 is not in the ISR [2, 3]"),
                new LeaderElectionResult(new TopicPartition("orders", 1), ErrorCode.NONE, ""));
        assertThatThrownBy(() -> ElectLeaders.print(failed, new PrintStream(out, true, StandardCharsets.UTF_8)))
                .isInstanceOf(ToolException.class).hasMessage("1 of 2 partitions could not be elected");
        assertThat(out()).isEqualTo(String.join("\n",
                "Successfully completed leader election (PREFERRED) for partitions orders-1",
                "Error completing leader election (PREFERRED) for partition: orders-0: PREFERRED_LEADER_NOT_AVAILABLE"
                        + " (orders-0: its preferred replica 1 is not in the ISR [2, 3])",
                ""));
    }
}
