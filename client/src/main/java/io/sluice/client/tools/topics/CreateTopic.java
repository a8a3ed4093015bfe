package io.sluice.client.tools.topics;

import io.sluice.client.admin.Admin;
import io.sluice.client.errors.TopicExistsException;
import io.sluice.client.tools.ToolException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code sluice-topics create}: one topic, with the broker's defaults for what is not given. */
@Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Creates a topic. Without --partitions or --replication-factor the broker's num.partitions and "
                + "default.replication.factor apply."})
final class CreateTopic implements Callable<Integer> {
    @ParentCommand
    SluiceTopics parent;

    @CommandLine.Spec
    CommandSpec spec;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic to create.")
    String topic;

    @Option(names = "--partitions", paramLabel = "N", description = "Partitions (default: the broker's num.partitions).")
    Integer partitions;

    @Option(names = "--replication-factor", paramLabel = "R",
            description = "Replicas of each partition (default: the broker's default.replication.factor).")
    Integer replicationFactor;

    @Option(names = "--config", paramLabel = "KEY=VALUE",
            description = "A topic-level setting (repeatable), e.g. retention.ms=3600000 or segment.bytes=1048576.")
    Map<String, String> configs = new LinkedHashMap<>();

    @Option(names = "--if-not-exists", description = "Succeed without doing anything when the topic exists.")
    boolean ifNotExists;

    private final PrintStream out;

    CreateTopic(PrintStream out, PrintStream err) {
        this.out = out;
    }

    @Override
    public Integer call() {
        if (partitions != null && partitions <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--partitions must be positive, not " + partitions);
        }
        if (replicationFactor != null && replicationFactor <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--replication-factor must be positive, not " + replicationFactor);
        }
        try (Admin admin = parent.admin(spec)) {
            // 0 asks CreateTopics for the broker's default.
            admin.createTopic(topic, partitions == null ? 0 : partitions,
                    replicationFactor == null ? 0 : replicationFactor, configs);
            out.println("Created topic " + topic + ".");
        } catch (TopicExistsException e) {
            if (ifNotExists) {
                out.println("Topic " + topic + " already exists.");
                return 0;
            }
            throw new ToolException("topic " + topic + " already exists", e);
        }
        return 0;
    }
}
