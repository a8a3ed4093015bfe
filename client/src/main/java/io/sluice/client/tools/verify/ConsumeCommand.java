package io.sluice.client.tools.verify;

import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sluice-verify consume}: reads the topic back and checks it against the acked file. */
@Command(name = "consume", mixinStandardHelpOptions = true, version = "sluice-verify 0.1.0", sortOptions = false,
        footer = SluiceVerify.DEFINITIONS,
        description = {"Reads every partition of --topic from its start up to the later of its high watermark (taken "
                + "at start) and the offset after its last acknowledged record in --acked, or until no record arrives "
                + "for --timeout-ms, and checks the records of the runs in --acked (see sluice-verify --help for the "
                + "definitions). Exits 1 on any lost, duplicated, reordered or corrupt record."})
final class ConsumeCommand implements Callable<Integer> {
    @Mixin
    VerifyOptions.Common common;

    @Mixin
    VerifyOptions.Read read;

    @Spec
    CommandSpec spec;

    private final PrintStream out;
    private final PrintStream err;

    ConsumeCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws IOException {
        read.validate(spec);
        AckedRecords acked = AckFile.read(common.acked, common.topic, err);
        Checker checker = new Checker(acked.runs(), line -> err.println("sluice-verify: " + line));
        VerifyReader reader;
        try {
            reader = new VerifyReader(common.bootstrap, common.topic, read.consumerProps, checker, err, read.timeoutMs);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        boolean complete;
        try (reader; Progress progress = new Progress(err, () -> "consumed=" + checker.consumed())) {
            complete = reader.drain(acked.endOffsets(), read.timeoutMs);
        }
        return SluiceVerify.finish(checker.finish(acked), "runs=" + acked.runs().size(), complete, out, err);
    }
}
