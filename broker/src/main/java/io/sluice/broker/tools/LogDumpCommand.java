package io.sluice.broker.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice-log}: inspects partition logs on disk (ARCHITECTURE.md §4, §10). Read-only, and safe to run
 * against the files of a running or crashed broker.
 *
 * <p>Exit codes: 0 done (and, with {@code --verify}, consistent; for {@code compare}, identical); 1 an inconsistency
 * under {@code --verify}, replicas that differ, or a file that could not be read; 2 a usage error (bad flag, missing
 * or unusable PATH).
 */
@Command(name = "sluice-log", mixinStandardHelpOptions = true, versionProvider = LogDumpCommand.Version.class,
        description = "Inspects partition logs on disk without changing them.",
        subcommands = {LogDumpCommand.Dump.class, CompareCommand.class})
public final class LogDumpCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /**
     * The command line as {@code bin/sluice-log} runs it: usage errors print one line instead of the whole
     * usage text.
     */
    public static CommandLine newCommandLine() {
        return new CommandLine(new LogDumpCommand()).setParameterExceptionHandler(LogDumpCommand::usageError);
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: dump or compare");
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        cmd.getOut().flush();
        cmd.getErr().println(name + ": " + e.getMessage() + " (see '" + name + " --help')");
        cmd.getErr().flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    @Command(name = "dump", mixinStandardHelpOptions = true, versionProvider = LogDumpCommand.Version.class,
            description = {
                "Prints the segments and record batches of a partition directory (or of one segment .log file):"
                        + " offsets, positions, sizes, leader epochs, CRC validity.",
                "Never modifies the files and never recovers them: it can look at a running broker's log, or at"
                        + " what a crash left."},
            footer = {"", "Exit codes: 0 ok; 1 inconsistent (with --verify) or unreadable; 2 usage error."})
    static final class Dump implements Callable<Integer> {
        @Parameters(paramLabel = "PATH", description = "A partition directory (e.g. data/orders-0) or a segment .log file.")
        Path path;

        @Option(names = "--verify", description = "Also check the indexes and each batch's records, and exit 1"
                + " if anything is inconsistent.")
        boolean verify;

        @Option(names = "--records", description = "Also print every record: offset, timestamp, key and value sizes.")
        boolean records;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            CommandLine cmd = spec.commandLine();
            PrintWriter out = cmd.getOut();
            try {
                PartitionFiles files = PartitionFiles.list(path);
                PartitionDump.Summary summary = new PartitionDump(new DumpReport(out), verify, records).run(files);
                out.println(summary.describe());
                return verify && summary.problems() > 0 ? 1 : 0;
            } catch (PartitionFiles.NotAPartitionException e) {
                throw new ParameterException(cmd, e.getMessage());
            } catch (IOException e) {
                out.flush();
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + describe(e));
                return 1;
            } finally {
                out.flush();
            }
        }

        static String describe(IOException e) {
            if (e instanceof NoSuchFileException) {
                return "no such file: " + e.getMessage();
            }
            if (e instanceof AccessDeniedException) {
                return "permission denied: " + e.getMessage();
            }
            return "I/O error: " + e;
        }
    }

    /** The version from the jar's manifest, when it has one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = LogDumpCommand.class.getPackage().getImplementationVersion();
            return new String[] {"sluice-log " + (v != null ? v : "(development build)")};
        }
    }
}
