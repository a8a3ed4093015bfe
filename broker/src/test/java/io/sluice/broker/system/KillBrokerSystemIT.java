package io.sluice.broker.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-node durability promise, tested the way a user would meet it: {@code bin/sluice-broker} as a real
 * process, {@code bin/sluice-verify run} producing with acks=all and reading back, the broker killed with SIGKILL in
 * the middle and restarted on the same data directory; then {@code sluice-verify consume} must find every
 * acknowledged record exactly once at its offset.
 *
 * <p>The broker runs on the shipped defaults, which leave fsync to the operating system: an append is in the page
 * cache when it is acknowledged, so it survives the death of the process (not of the machine; for that,
 * {@code log.flush.interval.messages=1}).
 */
class KillBrokerSystemIT {
    private static final Pattern SUMMARY = Pattern.compile(
            "acked=(\\d+) consumed=(\\d+) lost=(\\d+) duplicated=(\\d+) reordered=(\\d+) corrupt=(\\d+)");

    @TempDir
    Path dir;

    @Test
    void acknowledgedRecordsSurviveKillDashNine() throws Exception {
        int port = BinProcess.freePort();
        List<String> brokerArgs = List.of(
                BinProcess.ROOT.resolve("config/broker.properties").toString(),
                "--override", "listeners=127.0.0.1:" + port,
                "--override", "log.dirs=" + dir.resolve("data"),
                "--override", "metrics.port=0",
                "--override", "controller.quorum.voters=1@127.0.0.1:" + BinProcess.freePort());
        String bootstrap = "127.0.0.1:" + port;
        Path acked = dir.resolve("acked.txt");

        BinProcess broker = BinProcess.start(dir, "broker", "sluice-broker", brokerArgs);
        BinProcess verify = null;
        try {
            broker.awaitListening(port, Duration.ofSeconds(120));
            verify = BinProcess.start(dir, "verify-run", "sluice-verify", List.of("run",
                    "--bootstrap", bootstrap, "--topic", "kill-test", "--partitions", "4", "--acks", "all",
                    "--seconds", "40", "--throughput", "20000", "--timeout-ms", "60000",
                    "--acked", acked.toString()));

            // Kill once the run has acknowledged a good number of records (not after a guessed time).
            BinProcess running = verify;
            Awaitility.await("records acknowledged before the kill").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> !running.isAlive() || ackedLines(acked) >= 20_000);
            assertThat(verify.isAlive()).as("sluice-verify run is running\n%s", verify.describe()).isTrue();
            broker.kill9();
            // A lower bound: acknowledgements still buffered in the tool reach the file later.
            long ackedBeforeKill = ackedLines(acked);
            broker = BinProcess.start(dir, "broker", "sluice-broker", brokerArgs);
            broker.awaitListening(port, Duration.ofSeconds(60));
            // The restarted broker takes writes again while the run is still going.
            Awaitility.await("records acknowledged after the restart").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> !running.isAlive() || ackedLines(acked) > ackedBeforeKill + 20_000);
            assertThat(ackedLines(acked)).as("records acknowledged after the restart\n%s", verify.describe())
                    .isGreaterThan(ackedBeforeKill + 20_000);

            int runExit = verify.await(Duration.ofSeconds(180));
            long[] run = summary(verify);
            assertThat(runExit).as("sluice-verify run exit code\n%s\n%s", verify.describe(), broker.describe())
                    .isZero();

            BinProcess check = BinProcess.start(dir, "verify-consume", "sluice-verify", List.of("consume",
                    "--bootstrap", bootstrap, "--topic", "kill-test", "--acked", acked.toString()));
            int checkExit = check.await(Duration.ofSeconds(120));
            long[] after = summary(check);
            assertThat(checkExit).as("sluice-verify consume exit code\n%s", check.describe()).isZero();
            assertThat(after[0]).as("acked").isEqualTo(run[0]);
            assertThat(after[2]).as("lost").isZero();
            assertThat(after[3]).as("duplicated").isZero();
            assertThat(after[4]).as("reordered").isZero();
            assertThat(after[5]).as("corrupt").isZero();
            assertThat(after[1]).as("consumed covers every acknowledged record").isGreaterThanOrEqualTo(after[0]);
        } finally {
            if (verify != null) {
                verify.close();
            }
            broker.close();
        }
    }

    /** Acknowledged records written to the acked file so far (lines that are not comments). */
    private static long ackedLines(Path acked) throws java.io.IOException {
        if (!java.nio.file.Files.exists(acked)) {
            return 0;
        }
        try (var lines = java.nio.file.Files.lines(acked)) {
            return lines.filter(l -> !l.isBlank() && !l.startsWith("#")).count();
        }
    }

    /** The tool's final line as numbers: acked, consumed, lost, duplicated, reordered, corrupt. */
    private static long[] summary(BinProcess tool) {
        String[] lines = tool.stdout().strip().split("\n");
        Matcher m = SUMMARY.matcher(lines[lines.length - 1]);
        assertThat(m.find()).as("final summary line\n%s", tool.describe()).isTrue();
        List<Long> values = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            values.add(Long.parseLong(m.group(i)));
        }
        return values.stream().mapToLong(Long::longValue).toArray();
    }
}
