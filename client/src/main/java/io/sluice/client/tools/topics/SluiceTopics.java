package io.sluice.client.tools.topics;

import io.sluice.client.admin.Admin;
import io.sluice.client.tools.ToolClients;
import io.sluice.client.tools.ToolRunner;
import java.io.PrintStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code bin/sluice-topics --bootstrap H:P create|list|describe|delete|elect-leaders ...}: topic administration and
 * preferred leader election. Exit codes: 0 done, 1 failure (one line on stderr: unreachable broker, unknown topic,
 * topic exists, a config the broker refuses, a partition whose preferred replica could not lead), 2 usage error. {@code --bootstrap} and {@code --request-timeout-ms} may come before or after the subcommand.
 */
@Command(name = "sluice-topics", mixinStandardHelpOptions = true, version = "sluice-topics 0.1.0",
        description = "Creates, lists, describes and deletes topics, and moves leaderships back to preferred replicas.",
        subcommands = {CreateTopic.class, ListTopics.class, DescribeTopics.class, DeleteTopic.class,
                ElectLeaders.class},
        footer = {"", "Examples:",
                "  sluice-topics --bootstrap 127.0.0.1:9292 create --topic orders --partitions 3",
                "  sluice-topics --bootstrap 127.0.0.1:9292 list",
                "  sluice-topics --bootstrap 127.0.0.1:9292 describe --topic orders",
                "  sluice-topics --bootstrap 127.0.0.1:9292 delete --topic orders",
                "  sluice-topics --bootstrap 127.0.0.1:9292 elect-leaders --topic orders"})
public final class SluiceTopics implements Runnable {
    @CommandLine.Spec
    CommandSpec spec;

    @Option(names = "--bootstrap", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "Brokers to start from (required).")
    String bootstrap;

    @Option(names = "--request-timeout-ms", scope = ScopeType.INHERIT, paramLabel = "MS",
            defaultValue = "" + ToolClients.DEFAULT_REQUEST_TIMEOUT_MS,
            description = "How long to keep trying to reach the cluster before giving up (default: ${DEFAULT-VALUE}).")
    int requestTimeoutMs;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say create, list, describe, delete or elect-leaders");
    }

    /** An admin client for the subcommand {@code sub}, after checking the shared options. */
    Admin admin(CommandSpec sub) {
        if (bootstrap == null) {
            throw new CommandLine.ParameterException(sub.commandLine(),
                    "Missing required option: '--bootstrap=HOST:PORT[,HOST:PORT...]'");
        }
        ToolClients.requirePositive(sub, "--request-timeout-ms", requestTimeoutMs);
        return ToolClients.admin(sub, bootstrap, "sluice-topics", requestTimeoutMs);
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the tool and returns its exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return ToolRunner.run(SluiceTopics.class, args, out, err);
    }
}
