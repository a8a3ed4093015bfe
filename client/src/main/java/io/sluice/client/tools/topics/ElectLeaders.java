package io.sluice.client.tools.topics;

import io.sluice.client.admin.Admin;
import io.sluice.client.admin.LeaderElectionResult;
import io.sluice.client.errors.UnknownTopicException;
import io.sluice.client.tools.ToolException;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sluice-topics elect-leaders}: preferred leader election on demand, Kafka's
 * {@code kafka-leader-election.sh --election-type PREFERRED}, with its output lines. Exit 0 when every named
 * partition is led by its preferred replica afterwards, 1 when any is not (each one printed with the reason).
 */
@Command(name = "elect-leaders", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Moves the leadership of partitions back to their preferred replica (the first of their "
                + "replicas), where that replica is live and in the in-sync set, at a new leader epoch. The active "
                + "controller does the same on its own every leader.imbalance.check.interval.seconds while "
                + "auto.leader.rebalance.enable is true."},
        footer = {"", "Examples:",
                "  sluice-topics --bootstrap 127.0.0.1:9292 elect-leaders --topic orders",
                "  sluice-topics --bootstrap 127.0.0.1:9292 elect-leaders --topic orders --partition 0 --partition 2",
                "  sluice-topics --bootstrap 127.0.0.1:9292 elect-leaders --all-topic-partitions"})
final class ElectLeaders implements Callable<Integer> {
    @ParentCommand
    SluiceTopics parent;

    @CommandLine.Spec
    CommandSpec spec;

    @Option(names = "--topic", paramLabel = "TOPIC", description = "The topic whose partitions to elect.")
    String topic;

    @Option(names = "--partition", paramLabel = "N",
            description = "A partition of --topic (repeatable); without it, every partition of the topic.")
    List<Integer> partitions = new ArrayList<>();

    @Option(names = "--all-topic-partitions", description = "Every partition of every topic.")
    boolean all;

    private final PrintStream out;

    ElectLeaders(PrintStream out, PrintStream err) {
        this.out = out;
    }

    @Override
    public Integer call() {
        if (all == (topic != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "say either --topic TOPIC or --all-topic-partitions");
        }
        if (all && !partitions.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--partition goes with --topic");
        }
        for (int p : partitions) {
            if (p < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--partition must not be negative: " + p);
            }
        }
        if (topic != null) {
            try {
                new TopicPartition(topic, 0);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--topic: " + e.getMessage());
            }
        }
        List<LeaderElectionResult> results;
        try (Admin admin = parent.admin(spec)) {
            results = admin.electPreferredLeaders(all ? null : Map.of(topic, partitions));
        } catch (UnknownTopicException e) {
            throw new ToolException("topic " + topic + " does not exist", e);
        }
        return print(results, out);
    }

    /** Prints Kafka's lines for {@code results}; returns the exit code. */
    static int print(List<LeaderElectionResult> results, PrintStream out) {
        String elected = names(results, ErrorCode.NONE);
        String notNeeded = names(results, ErrorCode.ELECTION_NOT_NEEDED);
        if (!elected.isEmpty()) {
            out.println("Successfully completed leader election (PREFERRED) for partitions " + elected);
        }
        if (!notNeeded.isEmpty()) {
            out.println("Valid replica already elected for partitions " + notNeeded);
        }
        int failed = 0;
        for (LeaderElectionResult r : results) {
            if (!r.preferredLeads()) {
                failed++;
                out.println("Error completing leader election (PREFERRED) for partition: " + name(r) + ": "
                        + r.error() + (r.message().isEmpty() ? "" : " (" + r.message() + ")"));
            }
        }
        if (failed > 0) {
            throw new ToolException(failed + " of " + results.size() + " partitions could not be elected");
        }
        return 0;
    }

    private static String names(List<LeaderElectionResult> results, ErrorCode error) {
        return results.stream().filter(r -> r.error() == error).map(ElectLeaders::name)
                .collect(Collectors.joining(", "));
    }

    private static String name(LeaderElectionResult r) {
        return r.partition().topic() + "-" + r.partition().partition();
    }
}
