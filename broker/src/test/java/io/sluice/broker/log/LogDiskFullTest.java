package io.sluice.broker.log;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.broker.testing.ManualClock;
import io.sluice.proto.TopicPartition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk under a mapped segment: the append must fail with an error naming the file, and what was
 * appended before must stay readable. Needs a small tmpfs, so it runs where the test may mount one
 * (as root, which CI is); elsewhere it is skipped, and says so.
 */
class LogDiskFullTest {
    @TempDir
    Path tmp;
    Path mount;
    ExecutorService pool;

    @BeforeEach
    void mountSmallFilesystem() throws Exception {
        mount = tmp.resolve("small");
        Files.createDirectories(mount);
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0,
                "cannot mount a tmpfs here (not root?): " + new String(p.getInputStream().readAllBytes()));
        pool = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void unmount() throws Exception {
        if (pool != null) {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
            new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void appendOnAFullDiskFailsNamingTheFileAndKeepsWhatWasWritten() throws IOException {
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(8 << 20).withPrefillBytes(1 << 20).withIndexIntervalBytes(4096)
                .withSegmentIndexBytes(4096);
        ManualClock clock = new ManualClock(0);
        Log log = Log.open(new TopicPartition("full", 0), mount.resolve("full-0"), config, clock, pool, false, 0);
        try {
            Throwable failure = null;
            long appended = 0;
            for (int i = 0; i < 400 && failure == null; i++) {
                try {
                    log.appendAsLeader(batch(appended, 8, 1000, 0), 1);
                    appended = log.logEndOffset();
                } catch (LogStorageException e) {
                    failure = e;
                }
            }
            assertThat(failure).isNotNull();
            assertThat(failure.getMessage()).contains("full-0").contains(".log");
            assertThat(log.logEndOffset()).isEqualTo(appended);
            assertThat(appended).isPositive();
            assertThat(LogTest.readAllIds(log, 0)).isEqualTo(LogTest.range(0, appended));
            assertThatThrownBy(() -> log.appendAsLeader(batch(0, 8, 1000, 0), 1)).isInstanceOf(LogStorageException.class);
        } finally {
            log.closeUncleanly();
        }
    }
}
