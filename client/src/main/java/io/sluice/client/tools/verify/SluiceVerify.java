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
        footer = SluiceVerify.DEFINITIONS,
        subcommands = {ProduceCommand.class, ConsumeCommand.class, RunCommand.class})
public final class SluiceVerify implements Runnable {
    /** The contract of the result line, in every command's --help. */
    static final String DEFINITIONS = ""
            + "%n"
            + "Definitions:%n"
            + "  acked       records the broker acknowledged: the --acked file's%n"
            + "              lines for this topic%n"
            + "  consumed    records of the checked runs read back (duplicates and%n"
            + "              corrupt ones too)%n"
            + "  lost        acknowledged but not found, valid and with its run id%n"
            + "              and sequence, at its offset%n"
            + "  duplicated  the same (run, sequence) read more than once; each%n"
            + "              extra copy counts one%n"
            + "  reordered   within a partition, a run's sequence lower than one%n"
            + "              read before it at a lower offset (a duplicate is not%n"
            + "              counted again)%n"
            + "  corrupt     a value with sluice-verify's magic whose CRC32C does%n"
            + "              not match or that is too short, or a batch the%n"
            + "              consumer refused (CRC, offset gap or overlap, leader%n"
            + "              epoch going down), once per batch%n"
            + "Failed sends (broker down, timeouts) are counted on stderr and are no%n"
            + "anomaly: only acknowledged records are promised. Records of runs not%n"
            + "in the file, and other writers' records, are ignored (counted on%n"
            + "stderr as foreign). Progress goes to stderr every 5 s.";

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
        return finish(result, extras, true, out, err);
    }

    /**
     * As {@link #finish(VerifyResult, String, PrintStream, PrintStream)}; when the read was not {@code complete}
     * (a read error stopped it, said on stderr before), exits 1 whatever the counts.
     */
    static int finish(VerifyResult result, String extras, boolean complete, PrintStream out, PrintStream err) {
        err.println("sluice-verify: " + extras + " unchecked=" + result.unchecked() + " foreign=" + result.foreign());
        if (!complete) {
            err.println("sluice-verify: the topic was not read to the end: exit 1");
        }
        out.println(result.line());
        out.flush();
        return result.anomalies() || !complete ? 1 : 0;
    }
}
