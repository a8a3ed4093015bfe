package io.sluice.client.tools.verify;

import io.sluice.client.tools.ToolClients;
import io.sluice.client.producer.Producer;
import java.io.IOException;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sluice-verify produce}: sends N records of a new run and notes the acknowledged ones. */
@Command(name = "produce", mixinStandardHelpOptions = true, version = "sluice-verify 0.1.0", sortOptions = false,
        footer = SluiceVerify.DEFINITIONS,
        description = {"Sends --messages records of a new run (a random 64-bit run id; sequences 0..N-1, round-robin "
                + "over the partitions) and appends every acknowledged one to --acked. The topic is created when it "
                + "does not exist. Prints acked=N consumed=0 lost=0 duplicated=0 reordered=0 corrupt=0; failed sends "
                + "are counted on stderr and are not anomalies."})
final class ProduceCommand implements Callable<Integer> {
    @Mixin
    VerifyOptions.Common common;

    @Mixin
    VerifyOptions.Produce produce;

    @Option(names = "--messages", required = true, paramLabel = "N", description = "Records to send.")
    long messages;

    @Spec
    CommandSpec spec;

    private final PrintStream out;
    private final PrintStream err;

    ProduceCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws IOException {
        produce.validate(spec);
        if (messages < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--messages must be >= 0");
        }
        Producer producer = newProducer(spec, produce, common.bootstrap);
        long runId = new SecureRandom().nextLong();
        AckedRecords acked = new AckedRecords();
        try {
            ToolClients.ensureTopic(common.bootstrap, "sluice-verify-admin", common.topic, produce.partitions);
        } catch (RuntimeException e) {
            producer.close(java.time.Duration.ZERO);
            throw e;
        }
        VerifyProducer sender;
        try (AckFile.Writer file = new AckFile.Writer(common.acked, runId, common.topic, err)) {
            sender = new VerifyProducer(producer, common.topic, runId, produce.recordSize, file, acked, err);
            err.println("sluice-verify: run " + AckFile.hex(runId) + " to " + common.topic);
            try (sender; Progress progress = new Progress(err, sender::progress)) {
                long start = System.nanoTime();
                for (long seq = 0; seq < messages; seq++) {
                    file.checkHealthy(); // a broken acked file ends the run now, not after all the sends
                    VerifyProducer.pace(produce.throughput, start, seq);
                    sender.send(seq);
                }
            }
        }
        return SluiceVerify.finish(VerifyResult.producedOnly(sender.acked()), sender.progress(), out, err);
    }

    /** A producer with sluice-verify's settings; a bad setting is a usage error. */
    static Producer newProducer(CommandSpec spec, VerifyOptions.Produce produce, String bootstrap) {
        try {
            return new Producer(produce.producerSettings(bootstrap));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
