package io.sluice.broker.log;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.ManualClock;
import io.sluice.proto.TopicPartition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogManagerTest {
    @TempDir
    Path tmp;
    final ManualClock clock = new ManualClock(1_700_000_000_000L);
    final LogConfig config = LogConfig.DEFAULT.withSegmentBytes(64 * 1024).withPrefillBytes(0);

    LogManager start(Path... dirs) {
        return new LogManager(List.of(dirs), config, clock, 3_600_000, 3_600_000, 3_600_000);
    }

    @Test
    void spreadsLogsOverDirectoriesAndReloadsThemAfterACleanShutdown() {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        try (LogManager manager = start(a, b)) {
            for (int p = 0; p < 4; p++) {
                Log log = manager.getOrCreateLog(new TopicPartition("t", p), config);
                log.appendAsLeader(batch(0, 3 + p, 100, clock.milliseconds()), 1);
            }
            assertThat(a.resolve("t-0")).isDirectory();
            assertThat(b.resolve("t-1")).isDirectory();
        }
        assertThat(a.resolve(LogManager.CLEAN_SHUTDOWN_FILE)).exists();
        try (LogManager manager = start(a, b)) {
            assertThat(a.resolve(LogManager.CLEAN_SHUTDOWN_FILE)).doesNotExist();
            assertThat(manager.allLogs()).hasSize(4);
            for (int p = 0; p < 4; p++) {
                assertThat(manager.getLog(new TopicPartition("t", p)).orElseThrow().logEndOffset()).isEqualTo(3 + p);
            }
        }
    }

    @Test
    void recoversAfterAnUncleanStopUsingTheCheckpointedRecoveryPoints() {
        Path dir = tmp.resolve("d");
        LogManager first = start(dir);
        Log log = first.getOrCreateLog(new TopicPartition("t", 0), config);
        for (int i = 0; i < 100; i++) {
            log.appendAsLeader(batch(log.logEndOffset(), 4, 300, clock.milliseconds()), 1);
        }
        log.flush();
        first.checkpointRecoveryPoints();
        long checkpointed = log.recoveryPoint();
        assertThat(checkpointed).isEqualTo(400);
        log.appendAsLeader(batch(400, 4, 300, clock.milliseconds()), 1);
        simulateKill(first);

        try (LogManager second = start(dir)) {
            assertThat(second.getLog(new TopicPartition("t", 0)).orElseThrow().logEndOffset()).isEqualTo(404);
        }
    }

    @Test
    void highWatermarksAreCheckpointedPerDirectoryAndReadBackAfterARestart() throws IOException {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        TopicPartition t0 = new TopicPartition("t", 0);
        TopicPartition t1 = new TopicPartition("t", 1);
        try (LogManager manager = start(a, b)) {
            manager.getOrCreateLog(t0, config);
            manager.getOrCreateLog(t1, config);
            Map<TopicPartition, Long> hws = new HashMap<>(Map.of(t0, 17L, t1, 4L));
            manager.startHighWatermarkCheckpoints(() -> hws, 3_600_000);
            manager.checkpointHighWatermarks();
            assertThat(Files.readAllLines(a.resolve(OffsetCheckpointFile.HIGH_WATERMARKS))).containsExactly("0", "1", "t 0 17");
            assertThat(Files.readAllLines(b.resolve(OffsetCheckpointFile.HIGH_WATERMARKS))).containsExactly("0", "1", "t 1 4");
            hws.put(t0, 20L); // the last value is what close() writes
        }
        try (LogManager manager = start(a, b)) {
            assertThat(manager.checkpointedHighWatermark(t0)).isEqualTo(20);
            assertThat(manager.checkpointedHighWatermark(t1)).isEqualTo(4);
            assertThat(manager.checkpointedHighWatermark(new TopicPartition("u", 0))).isEqualTo(-1);
        }
    }

    @Test
    void aDamagedCheckpointReadsAsEmptyAndOldLinesAreUnderstood() throws IOException {
        Path file = tmp.resolve("cp");
        OffsetCheckpointFile cp = new OffsetCheckpointFile(file);
        assertThat(cp.read()).isEmpty();
        Files.writeString(file, "0\n2\norders-3 1042\nmy-topic 1 7\n");
        assertThat(cp.read()).containsOnly(Map.entry(new TopicPartition("orders", 3), 1042L),
                Map.entry(new TopicPartition("my-topic", 1), 7L));
        Files.writeString(file, "0\n3\nt 0 5\n"); // torn: fewer lines than it says
        assertThat(cp.read()).isEmpty();
        Files.writeString(file, "9\n0\n");
        assertThat(cp.read()).isEmpty();
    }

    @Test
    void refusesADirectoryAnotherBrokerHolds() {
        Path dir = tmp.resolve("d");
        try (LogManager first = start(dir)) {
            assertThatThrownBy(() -> start(dir)).isInstanceOf(LogStorageException.class)
                    .hasMessageContaining(dir.toString()).hasMessageContaining("another broker");
        }
    }

    @Test
    void foreignEntryInALogDirectoryIsAnErrorNamingIt() throws IOException {
        Path dir = tmp.resolve("d");
        Files.createDirectories(dir.resolve("not a partition"));
        assertThatThrownBy(() -> start(dir)).isInstanceOf(LogStorageException.class)
                .hasMessageContaining("not a partition");
        // The failed start let go of the lock.
        Files.delete(dir.resolve("not a partition"));
        start(dir).close();
    }

    @Test
    void deletedLogIsGoneAtOnceAndStaysGoneAfterRestart() {
        Path dir = tmp.resolve("d");
        TopicPartition tp = new TopicPartition("t", 0);
        try (LogManager manager = start(dir)) {
            manager.getOrCreateLog(tp, config).appendAsLeader(batch(0, 1, 10, 0), 1);
            manager.deleteLog(tp);
            assertThat(manager.getLog(tp)).isEmpty();
            assertThat(dir.resolve("t-0")).doesNotExist();
        }
        try (LogManager manager = start(dir)) {
            assertThat(manager.getLog(tp)).isEmpty();
            assertThat(manager.getOrCreateLog(tp, config).logEndOffset()).isZero();
        }
    }

    @Test
    void retentionAndFlushWorkersAreSteppedByTheClock() {
        Path dir = tmp.resolve("d");
        LogConfig retained = config.withRetention(-1, 60_000).withFlushInterval(Long.MAX_VALUE, 1_000);
        try (LogManager manager = start(dir)) {
            Log log = manager.getOrCreateLog(new TopicPartition("t", 0), retained);
            for (int i = 0; i < 100; i++) {
                log.appendAsLeader(batch(log.logEndOffset(), 4, 300, clock.milliseconds()), 1);
            }
            assertThat(manager.flusher().doWork(clock.milliseconds())).isZero();
            clock.advance(1_000);
            assertThat(manager.flusher().doWork(clock.milliseconds())).isEqualTo(1);
            assertThat(log.recoveryPoint()).isEqualTo(log.logEndOffset());
            assertThat(manager.cleaner().doWork(clock.milliseconds())).isZero();
            clock.advance(60_000);
            assertThat(manager.cleaner().doWork(clock.milliseconds())).isPositive();
            assertThat(log.logStartOffset()).isEqualTo(400);
        }
    }

    /** Leaves the directories as a killed broker would: no trim, no marker, locks dropped by the OS. */
    private static void simulateKill(LogManager manager) {
        manager.abandonForTest();
    }
}
