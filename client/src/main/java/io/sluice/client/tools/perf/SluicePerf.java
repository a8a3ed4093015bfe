package io.sluice.client.tools.perf;

import io.sluice.client.tools.ToolRunner;
import java.io.PrintStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/sluice-perf produce|consume}: throughput and latency of the producer and the consumer. Exit codes: 0
 * done, 1 failure (one line on stderr for an expected error: unreachable broker, unknown topic, records that failed
 * or did not verify), 2 usage error.
 */
@Command(name = "sluice-perf", mixinStandardHelpOptions = true, version = "sluice-perf 0.1.0",
        description = "Measures producer and consumer throughput (records/s, MiB/s) and latency (HdrHistogram "
                + "p50/p99/p99.9/max). Progress goes to stderr every 5 s; the result is one line (or, with --json, "
                + "one JSON object) on stdout.",
        subcommands = {ProducePerf.class, ConsumePerf.class})
public final class SluicePerf implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say produce or consume");
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the tool and returns its exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return ToolRunner.run(SluicePerf.class, args, out, err);
    }
}
