package io.sluice.client.tools.perf;

import io.sluice.client.errors.SluiceException;
import java.io.PrintStream;
import java.io.PrintWriter;
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
        CommandLine cmd = new CommandLine(new SluicePerf(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == ProducePerf.class) {
                    return cls.cast(new ProducePerf(out, err));
                }
                if (cls == ConsumePerf.class) {
                    return cls.cast(new ConsumePerf(out, err));
                }
                return CommandLine.defaultFactory().create(cls);
            }
        });
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof SluiceException || e instanceof IllegalStateException) {
                err.println("sluice-perf: error: " + e.getMessage());
                return 1;
            }
            err.println("sluice-perf: unexpected error: " + e);
            e.printStackTrace(err);
            return 1;
        });
        return cmd.execute(args);
    }
}
