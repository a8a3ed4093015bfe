package io.sluice.client.tools.console;

import io.sluice.client.admin.Admin;
import io.sluice.client.admin.TopicDescription;
import io.sluice.client.errors.SluiceException;
import io.sluice.client.producer.Producer;
import io.sluice.client.producer.ProducerConfig;
import io.sluice.client.producer.ProducerRecord;
import io.sluice.client.tools.ToolClients;
import io.sluice.client.tools.ToolException;
import io.sluice.client.tools.ToolRunner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code bin/sluice-produce}: each line of stdin becomes a record. Exit codes: 0 every record acknowledged, 1 failure
 * (one line on stderr: unreachable broker, unknown topic, a line without the key separator, records that failed), 2
 * usage error.
 */
@Command(name = "sluice-produce", mixinStandardHelpOptions = true, version = "sluice-produce 0.1.0",
        sortOptions = false,
        description = {"Reads lines from stdin (UTF-8) and sends each as a record to --topic; at end of input it waits "
                + "until every record is acknowledged. Nothing is printed on success.",
                "With --key-separator, the text before the first separator is the key and the rest the value; a line "
                        + "without the separator stops the run with an error naming the line (the lines before it are "
                        + "still sent). Without it, records have no key and are spread over the partitions.",
                "If a record fails, reading stops; the exit code is 1 and one line on stderr says how many records "
                        + "failed and why the first did."},
        footer = {"", "Examples:",
                "  echo hello | sluice-produce --bootstrap 127.0.0.1:9292 --topic orders",
                "  printf 'k1,v1\\nk2,v2\\n' | sluice-produce --bootstrap 127.0.0.1:9292 --topic orders \\",
                "      --key-separator ,"})
public final class SluiceProduce implements Callable<Integer> {
    @CommandLine.Spec
    CommandSpec spec;

    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "Brokers to start from.")
    String bootstrap;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic to write to.")
    String topic;

    @Option(names = "--acks", defaultValue = "all", paramLabel = "all|-1|0|1",
            description = "Acknowledgement the producer waits for (default: ${DEFAULT-VALUE}: every in-sync replica has "
                    + "the record, as Kafka's console producer).")
    String acks;

    @Option(names = "--key-separator", paramLabel = "SEP",
            description = "Split each line at the first SEP into key and value (default: no key).")
    String keySeparator;

    @Option(names = "--partition", paramLabel = "P", description = "Send every record to this partition.")
    Integer partition;

    @Option(names = "--producer-prop", paramLabel = "KEY=VALUE",
            description = "A producer setting (repeatable, Kafka's names), e.g. linger.ms=0; overrides the flags.")
    Map<String, String> producerProps = new LinkedHashMap<>();

    @Option(names = "--request-timeout-ms", paramLabel = "MS", defaultValue = "" + ToolClients.DEFAULT_REQUEST_TIMEOUT_MS,
            description = "How long to keep trying to reach the cluster before giving up; also the producer's "
                    + "request.timeout.ms (default: ${DEFAULT-VALUE}).")
    int requestTimeoutMs;

    private final InputStream in;
    private final PrintStream err;

    SluiceProduce(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.err = err;
    }

    @Override
    public Integer call() throws IOException {
        if (keySeparator != null && keySeparator.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--key-separator must not be empty");
        }
        ToolClients.requirePositive(spec, "--request-timeout-ms", requestTimeoutMs);
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS, bootstrap);
        props.put(ProducerConfig.CLIENT_ID, "sluice-produce");
        props.put(ProducerConfig.ACKS, acks);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS, requestTimeoutMs);
        props.put(ProducerConfig.MAX_BLOCK_MS, requestTimeoutMs);
        props.putAll(producerProps);
        ProducerConfig config;
        try {
            config = new ProducerConfig(props);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        checkTopic();
        if (in == System.in && System.console() != null) {
            err.println("Type one record a line; Ctrl-D ends the input and waits for the acknowledgements.");
        }

        // Made at the first record: a run that sends nothing (empty input, a bad first line) never starts one.
        AtomicReference<Producer> producer = new AtomicReference<>();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        long sent = 0;
        RuntimeException stop = null;
        Thread onSigint = new Thread(() -> {
            Producer p = producer.get();
            if (p != null) {
                p.close(Duration.ofMillis(requestTimeoutMs)); // Ctrl-C: what was typed is still delivered
            }
        }, "sluice-produce-close");
        boolean hooked = addShutdownHook(onSigint);
        try {
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
            String line;
            long lineNumber = 0;
            while (failed.get() == 0 && (line = readLine(reader, lineNumber + 1)) != null) {
                lineNumber++;
                byte[] key = null;
                String value = line;
                if (keySeparator != null) {
                    int at = line.indexOf(keySeparator);
                    if (at < 0) {
                        stop = new ToolException("line " + lineNumber + " has no key separator '" + keySeparator
                                + "': " + abbreviate(line));
                        break;
                    }
                    key = line.substring(0, at).getBytes(StandardCharsets.UTF_8);
                    value = line.substring(at + keySeparator.length());
                }
                if (producer.get() == null) {
                    producer.set(new Producer(config));
                }
                producer.get().send(new ProducerRecord(topic, partition, key, value.getBytes(StandardCharsets.UTF_8)),
                        (metadata, e) -> {
                            if (e != null) {
                                failed.incrementAndGet();
                                firstError.compareAndSet(null, e);
                            }
                        });
                sent++;
            }
            if (producer.get() != null) {
                producer.get().flush();
            }
        } catch (RuntimeException | IOException e) {
            if (producer.get() != null) {
                producer.get().close(Duration.ZERO);
            }
            throw e;
        } finally {
            removeShutdownHook(onSigint, hooked);
        }
        if (producer.get() != null) {
            producer.get().close();
        }
        if (failed.get() > 0) {
            Exception e = firstError.get();
            String message = failed.get() + " of " + sent + " record(s) failed; the first: " + e.getMessage();
            throw e instanceof SluiceException se ? new SluiceException(se.errorCode(), false, message, e)
                    : new ToolException(message, e);
        }
        if (stop != null) {
            throw stop;
        }
        return 0;
    }

    /** Fails at once, with one line, on an unknown topic or partition or an unreachable cluster. */
    private void checkTopic() {
        try (Admin admin = ToolClients.admin(spec, bootstrap, "sluice-produce-admin", requestTimeoutMs)) {
            TopicDescription d = admin.describeTopic(topic);
            if (partition != null && (partition < 0 || partition >= d.partitions().size())) {
                throw new ToolException("partition " + partition + " of topic " + topic + " does not exist (it has "
                        + d.partitions().size() + " partitions)");
            }
        }
    }

    private static String readLine(BufferedReader reader, long lineNumber) throws IOException {
        try {
            return reader.readLine();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ToolException("line " + lineNumber + " is not valid UTF-8");
        }
    }

    static String abbreviate(String line) {
        return line.length() <= 60 ? "'" + line + "'" : "'" + line.substring(0, 57) + "...'";
    }

    /** Registers {@code hook} when running as the process (Ctrl-C flushes and closes); false in a test's JVM too. */
    static boolean addShutdownHook(Thread hook) {
        try {
            Runtime.getRuntime().addShutdownHook(hook);
            return true;
        } catch (IllegalStateException e) {
            return false; // already shutting down
        }
    }

    static void removeShutdownHook(Thread hook, boolean hooked) {
        if (!hooked) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down: the hook runs
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err));
    }

    /** Runs the tool with {@code in} as its stdin and returns its exit code. */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return ToolRunner.run(SluiceProduce.class, args, in, out, err);
    }
}
