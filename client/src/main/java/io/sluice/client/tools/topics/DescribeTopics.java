package io.sluice.client.tools.topics;

import io.sluice.client.admin.Admin;
import io.sluice.client.admin.TopicDescription;
import io.sluice.client.errors.UnknownTopicException;
import io.sluice.client.metadata.PartitionInfo;
import io.sluice.client.tools.TextTable;
import io.sluice.client.tools.ToolException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code sluice-topics describe}: partitions, leaders, replicas, ISR and offsets of topics. */
@Command(name = "describe", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Describes topics (all of them without --topic): a line per topic with its partition count and "
                + "replication factor, then a table with a row per partition:",
                "  PARTITION  the partition number",
                "  LEADER     the node id of its leader (none: offline)",
                "  EPOCH      the leader epoch",
                "  REPLICAS   the node ids of its replicas, the preferred leader first",
                "  ISR        the in-sync replicas",
                "  LOG-START  the first offset still stored",
                "  LOG-END    the offset the next record gets",
                "  HW         the high watermark: records below it are committed and readable",
                "Offsets come from each partition's leader; '-' when it could not be asked (no leader)."})
final class DescribeTopics implements Callable<Integer> {
    @ParentCommand
    SluiceTopics parent;

    @CommandLine.Spec
    CommandSpec spec;

    @Option(names = "--topic", paramLabel = "TOPIC", description = "A topic to describe (repeatable; default: all).")
    List<String> topics = new ArrayList<>();

    @Option(names = "--include-internal", description = "Without --topic, also describe the broker's internal topics.")
    boolean includeInternal;

    private final PrintStream out;

    DescribeTopics(PrintStream out, PrintStream err) {
        this.out = out;
    }

    @Override
    public Integer call() {
        try (Admin admin = parent.admin(spec)) {
            Collection<String> names = topics.isEmpty() ? admin.listTopics(includeInternal) : topics;
            if (names.isEmpty()) {
                return 0;
            }
            Collection<TopicDescription> described;
            try {
                described = admin.describeTopics(names).values();
            } catch (UnknownTopicException e) {
                throw new ToolException(e.getMessage(), e);
            }
            boolean first = true;
            for (TopicDescription d : described) {
                if (!first) {
                    out.println();
                }
                first = false;
                print(d, out);
            }
        }
        return 0;
    }

    /** Prints one topic: its header line, then its partitions in aligned columns. */
    static void print(TopicDescription d, PrintStream out) {
        int rf = d.partitions().stream().mapToInt(p -> p.replicas().size()).max().orElse(0);
        long underReplicated = d.partitions().stream().filter(p -> p.isr().size() < p.replicas().size()).count();
        long offline = d.partitions().stream().filter(p -> p.leader() < 0).count();
        StringBuilder header = new StringBuilder("Topic: ").append(d.name())
                .append("  Partitions: ").append(d.partitions().size())
                .append("  ReplicationFactor: ").append(rf);
        if (d.internal()) {
            header.append("  Internal: yes");
        }
        if (underReplicated > 0) {
            header.append("  UnderReplicated: ").append(underReplicated);
        }
        if (offline > 0) {
            header.append("  Offline: ").append(offline);
        }
        out.println(header);
        TextTable table = new TextTable("PARTITION>", "LEADER>", "EPOCH>", "REPLICAS", "ISR", "LOG-START>", "LOG-END>",
                "HW>");
        for (PartitionInfo p : d.partitions()) {
            table.row(p.partition().partition(), p.leader() < 0 ? "none" : p.leader(), p.leaderEpoch(),
                    ids(p.replicas()), ids(p.isr()), offset(p.logStartOffset()), offset(p.logEndOffset()),
                    offset(p.highWatermark()));
        }
        table.print(out, "  ");
    }

    private static String ids(List<Integer> ids) {
        return ids.isEmpty() ? "-" : ids.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static String offset(long offset) {
        return offset < 0 ? "-" : Long.toString(offset);
    }
}
