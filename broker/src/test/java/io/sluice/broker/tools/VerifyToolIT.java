package io.sluice.broker.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.server.BrokerConfig;
import io.sluice.broker.server.SluiceBroker;
import io.sluice.client.consumer.Consumer;
import io.sluice.client.consumer.ConsumerRecord;
import io.sluice.client.producer.Producer;
import io.sluice.client.tools.verify.SluiceVerify;
import io.sluice.proto.TopicPartition;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sluice-verify against a real broker: a clean produce + consume passes; a duplicate and an acknowledged record
 * past the log end are caught; {@code run} across a broker restart loses and duplicates nothing.
 */
class VerifyToolIT {
    @TempDir
    Path dir;

    private int port;
    private SluiceBroker broker;
    private Path acked;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        acked = dir.resolve("acked.txt");
        startBroker();
    }

    private void startBroker() {
        broker = SluiceBroker.start(BrokerConfig.of(Map.of(
                BrokerConfig.LISTENERS, "127.0.0.1:" + port,
                BrokerConfig.LOG_DIRS, dir.resolve("data").toString(),
                BrokerConfig.LOG_SEGMENT_BYTES, Integer.toString(16 << 20),
                BrokerConfig.LOG_SEGMENT_PREFILL_BYTES, Integer.toString(1 << 20),
                BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, "2",
                BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, "1")));
    }

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private String bootstrap() {
        return "127.0.0.1:" + port;
    }

    /** Runs sluice-verify in-process; the result line is {@link #lastLine()}. */
    private int verify(String... args) {
        out.reset();
        return SluiceVerify.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String lastLine() {
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).as("stdout, with stderr:%n%s", err.toString(StandardCharsets.UTF_8)).hasSize(1);
        return lines.get(0);
    }

    private int produce(String topic, int messages, int partitions) {
        return verify("produce", "--bootstrap", bootstrap(), "--topic", topic, "--messages", Integer.toString(messages),
                "--partitions", Integer.toString(partitions), "--record-size", "64", "--acked", acked.toString());
    }

    private int consume(String topic, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("consume", "--bootstrap", bootstrap(), "--topic", topic,
                "--acked", acked.toString(), "--timeout-ms", "2000"));
        args.addAll(List.of(more));
        return verify(args.toArray(String[]::new));
    }

    @Test
    void aCleanProduceAndConsumeFindsNoAnomaly() throws IOException {
        assertThat(produce("clean", 3000, 3)).isZero();
        assertThat(lastLine()).isEqualTo("acked=3000 consumed=0 lost=0 duplicated=0 reordered=0 corrupt=0");
        assertThat(Files.readAllLines(acked).stream().filter(l -> !l.startsWith("#"))).hasSize(3000);

        assertThat(consume("clean")).isZero();
        assertThat(lastLine()).isEqualTo("acked=3000 consumed=3000 lost=0 duplicated=0 reordered=0 corrupt=0");
    }

    @Test
    void aRecordWrittenAgainIsDuplicated() throws Exception {
        assertThat(produce("dup", 100, 1)).isZero();
        byte[] value;
        try (Consumer consumer = Consumer.create(Map.of("bootstrap.servers", bootstrap()))) {
            TopicPartition tp = new TopicPartition("dup", 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, 42);
            ConsumerRecord r = await().atMost(Duration.ofSeconds(10)).until(() -> {
                for (ConsumerRecord c : consumer.poll(Duration.ofMillis(200))) {
                    return c;
                }
                return null;
            }, c -> c != null);
            ByteBuffer v = r.value();
            value = new byte[v.remaining()];
            v.get(value);
        }
        try (Producer producer = Producer.create(Map.of("bootstrap.servers", bootstrap()))) {
            CompletableFuture<?> sent = producer.send("dup", null, value);
            sent.get();
        }
        assertThat(consume("dup")).isEqualTo(1);
        assertThat(lastLine()).isEqualTo("acked=100 consumed=101 lost=0 duplicated=1 reordered=0 corrupt=0");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("duplicated: partition 0 offset 100");
    }

    @Test
    void anAcknowledgedRecordPastTheLogEndIsLost() throws IOException {
        assertThat(produce("short", 50, 1)).isZero();
        String run = Files.readAllLines(acked).stream().filter(l -> !l.startsWith("#")).findFirst().orElseThrow()
                .split(" ")[0];
        Files.writeString(acked, run + " 0 60 50\n", StandardOpenOption.APPEND);
        assertThat(consume("short")).isEqualTo(1);
        assertThat(lastLine()).isEqualTo("acked=51 consumed=50 lost=1 duplicated=0 reordered=0 corrupt=0");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("lost: partition 0 offset 60");
    }

    @Test
    void aBatchTheConsumerRefusesIsCorruptAndTheReadGoesOn() throws Exception {
        assertThat(produce("rot", 200, 1)).isZero();
        broker.close();
        broker = null;
        // Flip one bit in the value of the 100th record on disk: its batch's CRC32C no longer matches.
        Path segment;
        try (var files = Files.list(dir.resolve("data").resolve("rot-0"))) {
            segment = files.filter(f -> f.toString().endsWith(".log")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(segment);
        byte[] magic = "SVR1".getBytes(StandardCharsets.US_ASCII);
        int found = 0;
        int at = -1;
        for (int i = 0; i + magic.length <= bytes.length && found < 100; i++) {
            if (java.util.Arrays.equals(bytes, i, i + magic.length, magic, 0, magic.length)) {
                found++;
                at = i;
            }
        }
        assertThat(found).isEqualTo(100);
        try (var channel = java.nio.channels.FileChannel.open(segment, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[] {(byte) (bytes[at + 30] ^ 1)}), at + 30);
        }
        startBroker();

        // The reader steps through a refused batch one offset at a time, and each step waits for the answer to the
        // fetch sent before the refusal, which at the log end is held for fetch.max.wait.ms.
        assertThat(consume("rot", "--consumer-prop", "fetch.max.wait.ms=10")).isEqualTo(1);
        String line = lastLine();
        assertThat(line).startsWith("acked=200 ").contains(" duplicated=0 reordered=0 corrupt=1");
        long consumed = Long.parseLong(line.replaceAll(".* consumed=([0-9]+) .*", "$1"));
        long lost = Long.parseLong(line.replaceAll(".* lost=([0-9]+) .*", "$1"));
        assertThat(lost).as("the records of the refused batch").isPositive();
        assertThat(consumed + lost).as("every other record is read").isEqualTo(200);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("partition 0 refused by the consumer");
    }

    @Test
    void runAcrossABrokerRestartLosesAndDuplicatesNothing() throws Exception {
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> verify("run", "--bootstrap", bootstrap(),
                "--topic", "restart", "--partitions", "2", "--seconds", "6", "--throughput", "5000", "--acked",
                acked.toString(), "--timeout-ms", "5000"));
        // Restart about a second in, with records in flight.
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(acked) && Files.size(acked) > 100_000);
        long ackedBeforeRestart = Files.readAllLines(acked).size();
        broker.close();
        broker = null;
        startBroker();
        int code = run.get();
        String line = lastLine();
        assertThat(code).as("%s%n%s", line, err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(line).matches("acked=[1-9][0-9]* consumed=[1-9][0-9]* lost=0 duplicated=0 reordered=0 corrupt=0");
        long ackedLines = Files.readAllLines(acked).stream().filter(l -> !l.startsWith("#")).count();
        assertThat(line).startsWith("acked=" + ackedLines + " ");
        assertThat(ackedLines).as("acknowledged after the restart").isGreaterThan(ackedBeforeRestart + 1000);

        // And the file checks out read back from scratch, as a system test does after the run.
        assertThat(consume("restart")).isZero();
        assertThat(lastLine()).startsWith("acked=" + ackedLines + " ").contains(" lost=0 duplicated=0 reordered=0");
    }

    @Test
    void aBrokerGoneForGoodStillEndsWithTheResultLine() throws Exception {
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> verify("run", "--bootstrap", bootstrap(),
                "--topic", "gone", "--partitions", "2", "--seconds", "3", "--throughput", "2000", "--acked",
                acked.toString(), "--timeout-ms", "1500", "--producer-prop", "request.timeout.ms=1000",
                "--producer-prop", "delivery.timeout.ms=2000", "--producer-prop", "max.block.ms=500"));
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(acked) && Files.size(acked) > 20_000);
        broker.close();
        broker = null;
        int code = run.get(60, java.util.concurrent.TimeUnit.SECONDS);
        String line = lastLine();
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertThat(code).as("%s%n%s", line, stderr).isEqualTo(1);
        assertThat(line).matches("acked=[1-9][0-9]* consumed=[0-9]+ lost=[0-9]+ duplicated=0 reordered=0 corrupt=0");
        long ackedCount = Long.parseLong(line.replaceAll("acked=([0-9]+) .*", "$1"));
        long consumed = Long.parseLong(line.replaceAll(".* consumed=([0-9]+) .*", "$1"));
        long lost = Long.parseLong(line.replaceAll(".* lost=([0-9]+) .*", "$1"));
        assertThat(consumed + lost).as("every acknowledged record read or lost").isEqualTo(ackedCount);
        assertThat(stderr).contains("not read to the end: gone-0 at offset").contains("gone-1 at offset");
    }

    @Test
    void aRunWhoseProducingFailsStopsItsReaderBeforeClosingIt() throws Exception {
        // The acked file is a pipe whose reader goes away: the next append fails (broken pipe), and so does the run.
        Path fifo = dir.resolve("acked.fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> verify("run", "--bootstrap", bootstrap(),
                "--topic", "broken", "--seconds", "30", "--throughput", "2000", "--acked", fifo.toString(),
                "--timeout-ms", "2000"));
        long got = 0;
        while (got < 1000) {
            try (java.io.InputStream in = Files.newInputStream(fifo)) {
                got += in.readNBytes(1000).length;
            }
        }
        int code = run.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot write the acked file");
        // The reader thread was told to stop and joined before its consumer was closed.
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("sluice-verify-reader"));
    }
}
