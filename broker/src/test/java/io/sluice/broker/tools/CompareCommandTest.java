package io.sluice.broker.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatchBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice-log compare} over replicas written the way the broker writes them: a leader's {@link Log} appends
 * producer batches, the followers' logs append the leader's bytes ({@link Log#appendAsFollower}) and roll their
 * segments at other offsets than the leader, as followers do.
 */
class CompareCommandTest {
    private static final TopicPartition TP = new TopicPartition("t", 0);
    private static final long T0 = 1_700_000_000_000L;
    private static final LogConfig CONFIG = LogConfig.DEFAULT.withSegmentBytes(64 * 1024).withPrefillBytes(0);

    @TempDir
    Path tmp;

    @Test
    void replicasWithTheSameBatchesInDifferentSegmentsAreIdentical() throws IOException {
        List<Path> dirs = threeReplicas(40, 40);

        Run run = run("compare", dirs.get(0).toString(), dirs.get(1).toString(), dirs.get(2).toString(), "--below", "400");

        assertThat(run.exit).as(run.all()).isZero();
        assertThat(Files.list(dirs.get(1)).filter(p -> p.toString().endsWith(".log")).count())
                .as("the follower's segments differ from the leader's").isNotEqualTo(
                        Files.list(dirs.get(0)).filter(p -> p.toString().endsWith(".log")).count());
        assertThat(run.lastLine()).isEqualTo("t-0: identical below offset 400: 40 batches, offsets 0..399, "
                + bytesOfBatches(40) + " bytes on each of 3 replicas");
        // Below a batch boundary inside the log: the batches under it only.
        Run part = run("compare", dirs.get(0).toString(), dirs.get(2).toString(), "--below", "155");
        assertThat(part.exit).as(part.all()).isZero();
        assertThat(part.lastLine()).startsWith("t-0: identical below offset 155: 16 batches, offsets 0..159, ");
    }

    @Test
    void aFlippedByteIsReportedWithFileOffsetAndField() throws IOException {
        List<Path> dirs = threeReplicas(40, 40);
        // Batch 31 (offsets 310..319) of the third replica, in its records.
        BatchCursor.Batch victim = batchAt(dirs.get(2), 310);
        flipByte(victim.segment().log(), victim.position() + RecordBatch.HEADER_SIZE + 30);

        Run run = run("compare", dirs.get(0).toString(), dirs.get(1).toString(), dirs.get(2).toString(), "--below", "400");

        assertThat(run.exit).as(run.all()).isEqualTo(1);
        assertThat(run.out).contains("DIFFERENT at offset 310: the batch at offsets 310..319 differs: "
                + batchAt(dirs.get(0), 310).where() + " (").contains(victim.where() + " (")
                .contains("first differ at byte " + (RecordBatch.HEADER_SIZE + 30) + " of the batch (records)");
        assertThat(run.lastLine()).isEqualTo("t-0: the replicas differ (31 identical batches before the first difference)");
        // Below the damage, they agree.
        assertThat(run("compare", dirs.get(0).toString(), dirs.get(2).toString(), "--below", "310").exit).isZero();
    }

    @Test
    void aDivergedFollowerIsFoundAtTheFirstDivergentBatch() throws IOException {
        List<Path> dirs = threeReplicas(40, 30);
        // The third replica took offsets 300.. from another leader (epoch 6): same offsets, other bytes.
        try (Log log = openLog(dirs.get(2))) {
            for (int i = 30; i < 40; i++) {
                log.appendAsLeader(batch(i, 'x'), 6);
            }
        }

        Run run = run("compare", dirs.get(0).toString(), dirs.get(2).toString(), "--below", "400");

        assertThat(run.exit).as(run.all()).isEqualTo(1);
        assertThat(run.out).contains("DIFFERENT at offset 300: the batch at offsets 300..309 differs")
                .contains("(partitionLeaderEpoch)");
    }

    @Test
    void aReplicaThatEndsBelowTheOffsetFails() throws IOException {
        List<Path> dirs = threeReplicas(40, 30);

        Run run = run("compare", dirs.get(0).toString(), dirs.get(2).toString(), "--below", "400");

        assertThat(run.exit).as(run.all()).isEqualTo(1);
        assertThat(run.out).contains("DIFFERENT " + dirs.get(2) + " ends at offset 300, before offset 400");
        assertThat(run("compare", dirs.get(0).toString(), dirs.get(2).toString(), "--below", "300").exit).isZero();
    }

    @Test
    void replicasThatStartAtDifferentOffsetsAreComparedFromTheNewestStart() throws IOException {
        Path leader = writeLeader(tmp.resolve("b1"), 40);
        Path follower = tmp.resolve("b2").resolve(TP.dirName());
        try (Log log = openLog(follower)) {
            log.truncateFullyAndStartAt(150); // retention removed more of this replica
        }
        copyBatches(leader, follower, 150, 400);

        Run run = run("compare", leader.toString(), follower.toString(), "--below", "400");

        assertThat(run.exit).as(run.all()).isZero();
        assertThat(run.lastLine()).startsWith("t-0: identical below offset 400: 25 batches, offsets 150..399, ");
    }

    @Test
    void theOffsetDefaultsToTheSmallestCheckpointedHighWatermark() throws IOException {
        List<Path> dirs = threeReplicas(40, 40);
        writeCheckpoint(dirs.get(0), "0\n2\nother 3 17\nt 0 400\n");
        writeCheckpoint(dirs.get(1), "0\n1\nt 0 350\n");
        writeCheckpoint(dirs.get(2), "0\n1\nt 0 380\n");

        Run run = run("compare", dirs.get(0).toString(), dirs.get(1).toString(), dirs.get(2).toString());

        assertThat(run.exit).as(run.all()).isZero();
        assertThat(run.out).contains("high watermark 350 in " + dirs.get(1).getParent().resolve("replication-offset-checkpoint"));
        assertThat(run.lastLine()).startsWith("t-0: identical below offset 350: 35 batches, offsets 0..349, ");
    }

    @Test
    void withoutACheckpointTheOffsetMustBeGiven() throws IOException {
        List<Path> dirs = threeReplicas(10, 10);
        writeCheckpoint(dirs.get(0), "0\n1\nt 0 100\n");

        Run run = run("compare", dirs.get(0).toString(), dirs.get(1).toString());

        assertThat(run.exit).isEqualTo(2);
        assertThat(run.err).isEqualTo("sluice-log compare: no high watermark for " + dirs.get(1) + ": "
                + dirs.get(1).getParent().resolve("replication-offset-checkpoint") + " does not exist; give --below OFFSET"
                + " (e.g. the HW column of sluice-topics describe) (see 'sluice-log compare --help')\n");

        writeCheckpoint(dirs.get(1), "0\n1\nother 0 100\n");
        assertThat(run("compare", dirs.get(0).toString(), dirs.get(1).toString()).err)
                .contains("has no entry for t-0; give --below OFFSET");
    }

    @Test
    void aMalformedCheckpointIsAFailureNamingTheLine() throws IOException {
        List<Path> dirs = threeReplicas(10, 10);
        writeCheckpoint(dirs.get(0), "0\n2\nt 0 100\n");
        writeCheckpoint(dirs.get(1), "0\n1\nt-0 100\n");

        Run run = run("compare", dirs.get(0).toString(), dirs.get(1).toString());

        assertThat(run.exit).isEqualTo(1);
        assertThat(run.err).contains(dirs.get(0).getParent().resolve("replication-offset-checkpoint") + " line 2:"
                + " not a replication offset checkpoint: the entry count is 2 but 1 entry lines follow");
        writeCheckpoint(dirs.get(0), "0\n1\nt 0 100\n");
        assertThat(run("compare", dirs.get(0).toString(), dirs.get(1).toString()).err)
                .contains("line 3: not a replication offset checkpoint: expected 'topic partition highWatermark', found 't-0 100'");
    }

    @Test
    void usageErrors() throws IOException {
        List<Path> dirs = threeReplicas(10, 10);
        Path other = tmp.resolve("b9").resolve("u-0");
        Files.createDirectories(other);
        assertThat(run("compare", dirs.get(0).toString()).err).contains("DIR");
        assertThat(run("compare", dirs.get(0).toString(), other.toString(), "--below", "5").err)
                .contains("different partitions: t-0 and u-0");
        assertThat(run("compare", dirs.get(0).toString(), dirs.get(1).toString(), "--below", "-1").err)
                .contains("--below must be at least 0");
        for (String[] args : List.of(new String[] {"compare", dirs.get(0).toString()},
                new String[] {"compare", dirs.get(0).toString(), tmp.resolve("nope").resolve("t-0").toString(), "--below", "1"},
                new String[] {"compare", dirs.get(0).toString(), dirs.get(1).toString(), "--below", "x"})) {
            Run run = run(args);
            assertThat(run.exit).as(String.join(" ", args)).isEqualTo(2);
            assertThat(run.err.lines()).as(run.err).hasSize(1);
        }
        Run help = run("compare", "--help");
        assertThat(help.exit).isZero();
        assertThat(help.out).contains("Usage: sluice-log compare").contains("--below");
    }

    // ------------------------------------------------------------------ helpers

    /**
     * A leader with {@code leaderBatches} batches of ten records (t-0 under b1) and two followers (under b2, b3)
     * holding the first {@code followerBatches} of them; the followers roll every 7 batches, the leader every 15.
     */
    private List<Path> threeReplicas(int leaderBatches, int followerBatches) throws IOException {
        Path leader = writeLeader(tmp.resolve("b1"), leaderBatches);
        List<Path> dirs = new ArrayList<>(List.of(leader));
        for (String b : List.of("b2", "b3")) {
            Path follower = tmp.resolve(b).resolve(TP.dirName());
            copyBatches(leader, follower, 0, followerBatches * 10L);
            dirs.add(follower);
        }
        return dirs;
    }

    private static Path writeLeader(Path logDir, int batches) {
        Path dir = logDir.resolve(TP.dirName());
        try (Log log = openLog(dir)) {
            for (int i = 0; i < batches; i++) {
                if (i > 0 && i % 15 == 0) {
                    log.roll();
                }
                log.appendAsLeader(batch(i, 'a'), 5);
            }
        }
        return dir;
    }

    /** Appends the leader's batches [from, to) to the follower's log, one at a time, rolling every 7 batches. */
    private static void copyBatches(Path leaderDir, Path followerDir, long from, long to) throws IOException {
        try (Log leader = openLog(leaderDir); Log follower = openLog(followerDir)) {
            long next = from;
            int n = 0;
            while (next < to) {
                try (LogSlice slice = leader.read(next, 1, to)) {
                    if (n > 0 && n % 7 == 0) {
                        follower.roll();
                    }
                    follower.appendAsFollower(slice.readAll());
                    next = slice.nextOffset();
                    n++;
                }
            }
        }
    }

    private static Log openLog(Path dir) {
        return Log.open(TP, dir, CONFIG, Clock.SYSTEM, Runnable::run, false, 0);
    }

    /** Batch {@code i}: ten records with 100-byte values of {@code fill}+r. */
    private static ByteBuffer batch(int i, char fill) {
        RecordBatchBuilder b = new RecordBatchBuilder(1024);
        for (int r = 0; r < 10; r++) {
            byte[] value = new byte[100];
            Arrays.fill(value, (byte) (fill + r));
            b.append(T0 + i * 1000L + r, ("k" + r).getBytes(StandardCharsets.UTF_8), value);
        }
        return b.build();
    }

    private static long bytesOfBatches(int n) {
        long total = 0;
        for (int i = 0; i < n; i++) {
            total += batch(i, 'a').remaining();
        }
        return total;
    }

    private static BatchCursor.Batch batchAt(Path dir, long baseOffset) throws IOException {
        try (BatchCursor cursor = new BatchCursor(PartitionFiles.list(dir))) {
            for (BatchCursor.Batch b = cursor.next(); b != null; b = cursor.next()) {
                if (b.baseOffset() == baseOffset) {
                    return b;
                }
            }
        } catch (PartitionFiles.NotAPartitionException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("no batch at " + baseOffset + " in " + dir);
    }

    private static void writeCheckpoint(Path partitionDir, String text) throws IOException {
        Files.writeString(partitionDir.getParent().resolve("replication-offset-checkpoint"), text);
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, position);
            b.put(0, (byte) (b.get(0) ^ 0xff)).rewind();
            ch.write(b, position);
        }
    }

    private record Run(int exit, String out, String err) {
        String lastLine() {
            List<String> all = out.lines().toList();
            return all.get(all.size() - 1);
        }

        String all() {
            return out + err;
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = LogDumpCommand.newCommandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
