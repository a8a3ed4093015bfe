package io.sluice.client.tools;

import io.sluice.client.errors.SluiceException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import picocli.CommandLine;

/**
 * Runs a picocli tool the way every {@code bin/sluice-*} command behaves: exit 0 on success, 1 on failure, 2 on a
 * usage error (two lines on stderr: the problem, with a suggestion for a mistyped flag, and a pointer to
 * {@code --help}); an expected failure (broker unreachable, unknown topic, a {@link ToolException}) is one line on
 * stderr, {@code <tool>: error: <message>}, without a stack trace. Only a bug prints one.
 *
 * <p>Commands that print take their streams in a {@code (PrintStream out, PrintStream err)} constructor, and commands
 * that read stdin in an {@code (InputStream in, PrintStream out, PrintStream err)} one; the factory here calls it, so
 * tests run a tool in-process with their own streams.
 */
public final class ToolRunner {
    private ToolRunner() {
    }

    /** Runs {@code command} (a picocli {@code @Command} class) with {@code args}; returns the exit code. */
    public static int run(Class<?> command, String[] args, PrintStream out, PrintStream err) {
        return run(command, args, System.in, out, err);
    }

    /** Runs {@code command} with {@code args} and {@code in} as its stdin; returns the exit code. */
    public static int run(Class<?> command, String[] args, InputStream in, PrintStream out, PrintStream err) {
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                try {
                    Constructor<K> streams = cls.getDeclaredConstructor(InputStream.class, PrintStream.class,
                            PrintStream.class);
                    streams.setAccessible(true);
                    return streams.newInstance(in, out, err);
                } catch (NoSuchMethodException e) {
                    // no stdin: try the (out, err) constructor
                }
                try {
                    Constructor<K> streams = cls.getDeclaredConstructor(PrintStream.class, PrintStream.class);
                    streams.setAccessible(true);
                    return streams.newInstance(out, err);
                } catch (NoSuchMethodException e) {
                    return CommandLine.defaultFactory().create(cls);
                }
            }
        };
        CommandLine cmd;
        try {
            cmd = new CommandLine(command, factory);
        } catch (CommandLine.InitializationException e) {
            throw new IllegalStateException("cannot build the command line of " + command.getName(), e);
        }
        String name = cmd.getCommandName();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        // A usage error is the problem and a pointer to --help, not the whole help text.
        cmd.setParameterExceptionHandler((e, ignored) -> {
            CommandLine failed = e.getCommandLine();
            PrintWriter w = failed.getErr();
            w.println(name + ": " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, w);
            w.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help' for more information.");
            w.flush();
            return failed.getCommandSpec().exitCodeOnInvalidInput();
        });
        cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (isExpected(e)) {
                err.println(name + ": error: " + message(e));
                return 1;
            }
            err.println(name + ": unexpected error: " + e);
            e.printStackTrace(err);
            return 1;
        });
        return cmd.execute(args);
    }

    private static boolean isExpected(Exception e) {
        return e instanceof SluiceException || e instanceof ToolException || e instanceof UncheckedIOException
                || e instanceof java.io.IOException;
    }

    private static String message(Exception e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
            return u.getCause().getMessage() == null ? u.getCause().toString() : u.getCause().getMessage();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
