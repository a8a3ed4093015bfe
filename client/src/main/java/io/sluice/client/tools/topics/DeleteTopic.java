package io.sluice.client.tools.topics;

import io.sluice.client.admin.Admin;
import io.sluice.client.errors.UnknownTopicException;
import io.sluice.client.tools.ToolException;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code sluice-topics delete}: one topic and all its data. */
@Command(name = "delete", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Deletes a topic and all its records.")
final class DeleteTopic implements Callable<Integer> {
    @ParentCommand
    SluiceTopics parent;

    @CommandLine.Spec
    CommandSpec spec;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic to delete.")
    String topic;

    @Option(names = "--if-exists", description = "Succeed without doing anything when the topic does not exist.")
    boolean ifExists;

    private final PrintStream out;

    DeleteTopic(PrintStream out, PrintStream err) {
        this.out = out;
    }

    @Override
    public Integer call() {
        try (Admin admin = parent.admin(spec)) {
            admin.deleteTopic(topic);
            out.println("Deleted topic " + topic + ".");
        } catch (UnknownTopicException e) {
            if (ifExists) {
                return 0;
            }
            throw new ToolException("topic " + topic + " does not exist", e);
        }
        return 0;
    }
}
