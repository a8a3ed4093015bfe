package io.sluice.client.tools.topics;

import io.sluice.client.admin.Admin;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code sluice-topics list}: topic names, one a line, sorted. */
@Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Prints the topic names, one a line, sorted. Internal topics (__consumer_offsets) are left out "
                + "unless --include-internal.")
final class ListTopics implements Callable<Integer> {
    @ParentCommand
    SluiceTopics parent;

    @CommandLine.Spec
    CommandSpec spec;

    @Option(names = "--include-internal", description = "Also list the broker's internal topics.")
    boolean includeInternal;

    private final PrintStream out;

    ListTopics(PrintStream out, PrintStream err) {
        this.out = out;
    }

    @Override
    public Integer call() {
        try (Admin admin = parent.admin(spec)) {
            admin.listTopics(includeInternal).forEach(out::println);
        }
        return 0;
    }
}
