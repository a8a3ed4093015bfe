package io.sluice.client.tools.verify;

import io.sluice.client.tools.ToolRunner;
import java.io.PrintStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/sluice-verify produce|consume|run}: writes sequence-numbered records, reads them back and checks that
 * every acknowledged record is there exactly once, in order, intact. Exit codes: 0 no anomaly, 1 an anomaly (or an
 * expected failure, one line on stderr), 2 usage error.
 */
@Command(name = "sluice-verify", mixinStandardHelpOptions = true, version = "sluice-verify 0.1.0",
        description = {"Writes records that carry a run id, a sequence number and a checksum, notes every "
                + "acknowledged one in a file, reads the topic back and checks it. Every command prints one line on "
                + "stdout, acked=... consumed=... lost=... duplicated=... reordered=... corrupt=..., and exits 1 when "
                + "any of the last four is above zero."},
        footer = {"%nDefinitions:",
                "  acked       records the broker acknowledged (lines of the --acked file for this topic)",
                "  consumed    records of the checked runs read back (with duplicates and corrupt ones)",
                "  lost        acknowledged but not found, valid and with its run id and sequence, at its offset",
                "  duplicated  the same (run, sequence) read more than once; each extra copy counts one",
                "  reordered   within a partition, a run's sequence lower than one read before it at a lower offset "
                        + "(duplicates not counted again)",
                "  corrupt     a value with sluice-verify's magic whose CRC32C does not match or that is too short, "
                        + "or a batch the consumer refused (CRC, offset gap or overlap, epoch going down), once per "
                        + "batch",
                "Failed sends (broker down, timeouts) are counted on stderr, not anomalies: only acknowledged records "
                        + "are promised. Records of runs not in the file, and other writers' records, are ignored "
                        + "(counted on stderr)."},
        subcommands = {ProduceCommand.class, ConsumeCommand.class, RunCommand.class})
public final class SluiceVerify implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say produce, consume or run");
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the tool and returns its exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return ToolRunner.run(SluiceVerify.class, args, out, err);
    }

    /** Prints the result line on {@code out} and the extras on {@code err}; returns the exit code. */
    static int finish(VerifyResult result, String extras, PrintStream out, PrintStream err) {
        err.println("sluice-verify: " + extras + " unchecked=" + result.unchecked() + " foreign=" + result.foreign());
        out.println(result.line());
        out.flush();
        return result.anomalies() ? 1 : 0;
    }
}
