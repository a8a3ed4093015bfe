package io.sluice.broker.tools;

import io.sluice.broker.log.OffsetCheckpointFile;
import io.sluice.proto.TopicPartition;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice-log compare DIR DIR [DIR...] [--below OFFSET]}: checks that the replicas of one partition, one
 * partition directory per broker, hold byte-identical logs below an offset; see {@link ReplicaCompare}. Without
 * {@code --below}, the offset is the smallest high watermark the replicas' log directories checkpointed
 * ({@link OffsetCheckpointFile#HIGH_WATERMARKS}, in each partition directory's parent).
 */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = LogDumpCommand.Version.class,
        description = {
            "Checks that the replicas of one partition (its directory on each broker) hold the same log below an"
                    + " offset: batch by batch, the same base offsets and the same bytes. Prints the first difference"
                    + " (file, position, offset).",
            "Best run on stopped brokers; on running ones, keep OFFSET at or below the high watermark."},
        footer = {"", "Exit codes: 0 identical; 1 the replicas differ, or a file is unreadable; 2 usage error."})
final class CompareCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", arity = "2..*",
            description = "The partition's directory on each broker, e.g. data/cluster/broker-1/orders-0.")
    List<Path> dirs;

    @Option(names = "--below", paramLabel = "OFFSET", description = "Compare the batches below this offset (the"
            + " high watermark). Default: the smallest high watermark in the replicas' "
            + OffsetCheckpointFile.HIGH_WATERMARKS + " files (in each DIR's parent).")
    Long below;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        PrintWriter out = cmd.getOut();
        try {
            List<PartitionFiles> replicas = new ArrayList<>();
            TopicPartition tp = null;
            for (Path dir : dirs) {
                TopicPartition named = TopicPartition.fromDirName(dir.toAbsolutePath().normalize().getFileName().toString());
                if (named == null) {
                    throw new ParameterException(cmd, dir + " is not named like a partition directory (topic-N)");
                }
                if (tp != null && !tp.equals(named)) {
                    throw new ParameterException(cmd, "the directories are of different partitions: " + tp + " and "
                            + named);
                }
                tp = named;
                try {
                    replicas.add(PartitionFiles.list(dir));
                } catch (PartitionFiles.NotAPartitionException e) {
                    throw new ParameterException(cmd, e.getMessage());
                }
            }
            long offset = below != null ? below : checkpointedHighWatermark(cmd, tp, out);
            if (offset < 0) {
                throw new ParameterException(cmd, "--below must be at least 0, not " + offset);
            }
            out.println("comparing " + tp + " below offset " + offset + " on " + dirs.size() + " replicas: "
                    + String.join(", ", dirs.stream().map(Path::toString).toList()));
            ReplicaCompare.Result result = new ReplicaCompare(replicas, offset).run();
            if (!result.identical()) {
                out.println("DIFFERENT " + result.difference());
                out.println(tp + ": the replicas differ (" + result.batches() + " identical batches before the first"
                        + " difference)");
                return 1;
            }
            out.println(tp + ": identical below offset " + offset + ": " + result.batches() + " batches, "
                    + (result.batches() == 0 ? "no offsets" : "offsets " + result.from() + ".." + (result.to() - 1))
                    + ", " + result.bytes() + " bytes on each of " + dirs.size() + " replicas");
            return 0;
        } catch (IOException e) {
            out.flush();
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + LogDumpCommand.Dump.describe(e));
            return 1;
        } finally {
            out.flush();
        }
    }

    /** The smallest checkpointed high watermark of {@code tp} among the replicas; a usage error when one has none. */
    private long checkpointedHighWatermark(CommandLine cmd, TopicPartition tp, PrintWriter out) throws IOException {
        long min = Long.MAX_VALUE;
        for (Path dir : dirs) {
            Path logDir = dir.toAbsolutePath().normalize().getParent();
            OffsetCheckpointFile checkpoint = OffsetCheckpointFile.highWatermarks(logDir);
            Optional<Map<TopicPartition, Long>> hws = checkpoint.readStrictly();
            if (hws.isEmpty()) {
                throw new ParameterException(cmd, "no high watermark for " + dir + ": " + checkpoint.file()
                        + " does not exist; give --below OFFSET (e.g. the HW column of sluice-topics describe)");
            }
            Long hw = hws.get().get(tp);
            if (hw == null) {
                throw new ParameterException(cmd, "no high watermark for " + dir + ": " + checkpoint.file()
                        + " has no entry for " + tp + "; give --below OFFSET");
            }
            out.println("high watermark " + hw + " in " + checkpoint.file());
            min = Math.min(min, hw);
        }
        return min;
    }
}
