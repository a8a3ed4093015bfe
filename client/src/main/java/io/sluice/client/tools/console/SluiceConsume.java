package io.sluice.client.tools.console;

import io.sluice.client.admin.Admin;
import io.sluice.client.admin.TopicDescription;
import io.sluice.client.consumer.Consumer;
import io.sluice.client.consumer.ConsumerConfig;
import io.sluice.client.consumer.ConsumerRecord;
import io.sluice.client.consumer.ConsumerRecords;
import io.sluice.client.metadata.PartitionInfo;
import io.sluice.client.tools.ToolClients;
import io.sluice.client.tools.ToolException;
import io.sluice.client.tools.ToolRunner;
import io.sluice.proto.TopicPartition;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code bin/sluice-consume}: records of a topic to stdout, one a line. Exit codes: 0 done (--max-messages reached,
 * --timeout-ms passed without a record, stdout closed), 1 failure (one line on stderr), 2 usage error. Runs on one
 * thread; Ctrl-C asks it to stop, commit (with --group) and print its count.
 */
@Command(name = "sluice-consume", mixinStandardHelpOptions = true, version = "sluice-consume 0.1.0",
        sortOptions = false,
        description = {"Prints the records of --topic on stdout, one a line, until Ctrl-C, --max-messages or "
                + "--timeout-ms; then \"Processed a total of N messages\" on stderr.",
                "Where it starts: at the end of each partition (new records only) unless --from-beginning or "
                        + "--offset; with --group, at the group's committed offsets where there are some (the others "
                        + "as above). With --group, the offsets of the printed records are committed every 5 s and at "
                        + "exit, so the next run with the same group resumes after them.",
                "Each line is the value, preceded by the fields asked for, in this order and separated by "
                        + "--key-separator (a tab by default):",
                "  timestamp:<ms since the epoch>  partition:<n>  offset:<n>  <key>  <value>",
                "Keys and values are printed as their bytes (UTF-8 text as itself); a null key or value as null. "
                        + "'--print-key --key-separator ,' prints key,value lines that 'sluice-produce "
                        + "--key-separator ,' reads back."},
        footer = {"", "Examples:",
                "  sluice-consume --bootstrap 127.0.0.1:9292 --topic orders --from-beginning",
                "  sluice-consume --bootstrap 127.0.0.1:9292 --topic orders --group audit --print-key"})
public final class SluiceConsume implements Callable<Integer> {
    private static final long COMMIT_INTERVAL_MS = 5_000; // Kafka's auto.commit.interval.ms
    private static final long MAX_POLL_MS = 200;

    @CommandLine.Spec
    CommandSpec spec;

    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "Brokers to start from.")
    String bootstrap;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The topic to read.")
    String topic;

    @Option(names = "--from-beginning",
            description = "Start at the first record of each partition (with --group: where nothing is committed).")
    boolean fromBeginning;

    @Option(names = "--partition", paramLabel = "P", description = "Read only this partition (default: all).")
    Integer partition;

    @Option(names = "--offset", paramLabel = "N|earliest|latest",
            description = "Start at this offset of --partition (which it needs); overrides a committed offset.")
    String offset;

    @Option(names = "--max-messages", paramLabel = "N", description = "Exit after printing N records.")
    Long maxMessages;

    @Option(names = "--group", paramLabel = "GROUP",
            description = "Resume from this group's committed offsets and commit the printed records' offsets.")
    String group;

    @Option(names = "--timeout-ms", paramLabel = "MS",
            description = "Exit (code 0) when no record arrives for this long.")
    Long timeoutMs;

    @Option(names = "--print-timestamp", description = "Print timestamp:<ms> before each record.")
    boolean printTimestamp;

    @Option(names = "--print-partition", description = "Print partition:<n> before each record.")
    boolean printPartition;

    @Option(names = "--print-offset", description = "Print offset:<n> before each record.")
    boolean printOffset;

    @Option(names = "--print-key", description = "Print the key before the value.")
    boolean printKey;

    @Option(names = "--key-separator", paramLabel = "SEP", defaultValue = "\t",
            description = "What separates the printed fields (default: a tab).")
    String separator;

    @Option(names = "--consumer-prop", paramLabel = "KEY=VALUE",
            description = "A consumer setting (repeatable, Kafka's names), e.g. max.poll.records=100; overrides the flags.")
    Map<String, String> consumerProps = new LinkedHashMap<>();

    @Option(names = "--request-timeout-ms", paramLabel = "MS", defaultValue = "" + ToolClients.DEFAULT_REQUEST_TIMEOUT_MS,
            description = "How long to keep trying to reach the cluster before giving up; also the consumer's "
                    + "request.timeout.ms (default: ${DEFAULT-VALUE}).")
    int requestTimeoutMs;

    private final PrintStream out;
    private final PrintStream err;
    private volatile boolean stopRequested;

    SluiceConsume(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        validate();
        ConsumerConfig config = consumerConfig();
        List<TopicPartition> partitions = partitions();
        RecordFormat format = new RecordFormat(printTimestamp, printPartition, printOffset, printKey, separator);

        CountDownLatch done = new CountDownLatch(1);
        Thread onSigint = new Thread(() -> {
            stopRequested = true;
            try {
                done.await(requestTimeoutMs + 2_000L, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "sluice-consume-stop");
        boolean hooked = SluiceProduce.addShutdownHook(onSigint);
        long printed = 0;
        try (Consumer consumer = new Consumer(config)) {
            consumer.assign(partitions);
            seek(consumer, partitions);
            // With --group, what a commit claims: the offset after the last record printed (and flushed) of each
            // partition, else where it started. Not the consumer's position, which may be past records handed out
            // but not printed (--max-messages, a closed stdout).
            Map<TopicPartition, Long> next = new LinkedHashMap<>();
            if (group != null) {
                for (TopicPartition tp : partitions) {
                    next.put(tp, consumer.position(tp));
                }
            }
            long lastRecordNanos = System.nanoTime();
            long lastCommitNanos = System.nanoTime();
            boolean dirty = group != null; // the starting positions are committed too, as Kafka does
            try {
                while (!stopRequested && (maxMessages == null || printed < maxMessages)) {
                    long waitMs = MAX_POLL_MS;
                    if (timeoutMs != null) {
                        long left = timeoutMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastRecordNanos);
                        if (left <= 0) {
                            break;
                        }
                        waitMs = Math.min(waitMs, left);
                    }
                    ConsumerRecords records = consumer.poll(Duration.ofMillis(waitMs));
                    if (!records.isEmpty()) {
                        lastRecordNanos = System.nanoTime();
                        Map<TopicPartition, Long> batch = new HashMap<>();
                        long n = 0;
                        for (ConsumerRecord r : records) {
                            if (maxMessages != null && printed + n >= maxMessages) {
                                break;
                            }
                            format.print(r, out);
                            batch.put(r.topicPartition(), r.offset() + 1);
                            n++;
                        }
                        out.flush();
                        if (out.checkError()) {
                            break; // stdout is closed (e.g. | head): what it did not take is not committed
                        }
                        printed += n;
                        next.putAll(batch);
                        dirty = true;
                    }
                    if (group != null && dirty
                            && System.nanoTime() - lastCommitNanos >= TimeUnit.MILLISECONDS.toNanos(COMMIT_INTERVAL_MS)) {
                        consumer.commitSync(next);
                        lastCommitNanos = System.nanoTime();
                        dirty = false;
                    }
                }
                if (group != null && dirty) {
                    consumer.commitSync(next);
                }
            } finally {
                out.flush();
            }
            err.println("Processed a total of " + printed + " messages");
        } finally {
            done.countDown();
            SluiceProduce.removeShutdownHook(onSigint, hooked);
        }
        return 0;
    }

    private void validate() {
        ToolClients.requirePositive(spec, "--request-timeout-ms", requestTimeoutMs);
        if (maxMessages != null) {
            ToolClients.requirePositive(spec, "--max-messages", maxMessages);
        }
        if (timeoutMs != null) {
            ToolClients.requirePositive(spec, "--timeout-ms", timeoutMs);
        }
        if (partition != null && partition < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--partition must be >= 0, not " + partition);
        }
        if (offset != null) {
            if (partition == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--offset needs --partition");
            }
            if (fromBeginning) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--offset and --from-beginning cannot be used together");
            }
            if (!offset.equals("earliest") && !offset.equals("latest")) {
                long n;
                try {
                    n = Long.parseLong(offset);
                } catch (NumberFormatException e) {
                    n = -1;
                }
                if (n < 0) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--offset must be a number >= 0, earliest or latest, not '" + offset + "'");
                }
            }
        }
        if (group != null && group.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--group must not be empty");
        }
    }

    private ConsumerConfig consumerConfig() {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID, "sluice-consume");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET, fromBeginning ? "earliest" : "latest");
        props.put(ConsumerConfig.REQUEST_TIMEOUT_MS, requestTimeoutMs);
        if (group != null) {
            props.put(ConsumerConfig.GROUP_ID, group);
        }
        props.putAll(consumerProps);
        try {
            return new ConsumerConfig(props);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The partitions to read, checked against the topic (one line and exit 1 when it or the cluster is missing). */
    private List<TopicPartition> partitions() {
        TopicDescription d;
        try (Admin admin = ToolClients.admin(spec, bootstrap, "sluice-consume-admin", requestTimeoutMs)) {
            d = admin.describeTopic(topic);
        }
        List<TopicPartition> all = d.partitions().stream().map(PartitionInfo::partition).toList();
        if (partition == null) {
            return all;
        }
        if (partition >= all.size()) {
            throw new ToolException("partition " + partition + " of topic " + topic + " does not exist (it has "
                    + all.size() + " partitions)");
        }
        return List.of(new TopicPartition(topic, partition));
    }

    private void seek(Consumer consumer, List<TopicPartition> partitions) {
        if (offset == null) {
            return; // committed offsets, else auto.offset.reset (earliest with --from-beginning, else latest)
        }
        switch (offset) {
            case "earliest" -> consumer.seekToBeginning(partitions);
            case "latest" -> consumer.seekToEnd(partitions);
            default -> consumer.seek(partitions.get(0), Long.parseLong(offset));
        }
    }

    public static void main(String[] args) {
        // Buffered and UTF-8 whatever the locale; flushed after each poll's records.
        PrintStream stdout = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
                false, StandardCharsets.UTF_8);
        int code = run(args, stdout, System.err);
        stdout.flush();
        System.exit(code);
    }

    /** Runs the tool and returns its exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return ToolRunner.run(SluiceConsume.class, args, out, err);
    }
}
