package io.sluice.client.tools.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.tools.ToolException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AckFileTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    @Test
    void runsAppendAndReadBackPerTopic() throws IOException {
        Path file = dir.resolve("acked");
        try (AckFile.Writer w = new AckFile.Writer(file, 1, "orders")) {
            w.ack(0, 0, 0);
            w.ack(1, 0, 1);
        }
        try (AckFile.Writer w = new AckFile.Writer(file, 2, "other")) {
            w.ack(0, 0, 0);
        }
        try (AckFile.Writer w = new AckFile.Writer(file, -1, "orders")) {
            w.ack(0, 1, 0);
        }
        String text = Files.readString(file);
        assertThat(text).startsWith("# sluice-verify acked records: runId(hex) partition offset sequence\n# run "
                + "0000000000000001 topic orders started ").contains("\nffffffffffffffff 0 1 0\n");
        assertThat(text.lines().filter(l -> l.startsWith("# sluice-verify"))).hasSize(1);

        AckedRecords acked = AckFile.read(file, "orders", err);
        assertThat(acked.count()).isEqualTo(3);
        assertThat(acked.runs()).isEqualTo(Set.of(1L, -1L));
        assertThat(acked.endOffsets()).isEqualTo(Map.of(0, 2L, 1, 1L));
        assertThat(errBytes.toString(StandardCharsets.UTF_8)).contains("1 acked records of run 0000000000000002 are "
                + "for topic other, not orders");
    }

    @Test
    void aRunWithNothingAcknowledgedIsStillChecked() throws IOException {
        Path file = dir.resolve("acked");
        new AckFile.Writer(file, 7, "orders").close();
        assertThat(AckFile.read(file, "orders", err).runs()).containsExactly(7L);
    }

    @Test
    void linesAreWrittenInTheBackgroundBeforeClose() throws Exception {
        Path file = dir.resolve("acked");
        try (AckFile.Writer w = new AckFile.Writer(file, 1, "orders")) {
            w.ack(0, 5, 9);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!Files.readString(file).contains("0000000000000001 0 5 9\n") && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(Files.readString(file)).contains("0000000000000001 0 5 9\n");
        }
    }

    @Test
    void anUnterminatedLastLineIsIgnored() throws IOException {
        Path file = dir.resolve("acked");
        Files.writeString(file, "# run 0000000000000001 topic orders\n0000000000000001 0 0 0\n0000000000000001 0 1");
        AckedRecords acked = AckFile.read(file, "orders", err);
        assertThat(acked.count()).isEqualTo(1);
        assertThat(errBytes.toString(StandardCharsets.UTF_8)).contains("line 3").contains("no newline");
    }

    @Test
    void aDamagedLineFailsNamingTheLine() throws IOException {
        Path file = dir.resolve("acked");
        Files.writeString(file, "0000000000000001 0 0 0\n0000000000000001 0 x 0\n");
        assertThatThrownBy(() -> AckFile.read(file, "orders", err)).isInstanceOf(ToolException.class)
                .hasMessageContaining("acked:2");
        Files.writeString(file, "0000000000000001 0 0\n", StandardOpenOption.TRUNCATE_EXISTING);
        assertThatThrownBy(() -> AckFile.read(file, "orders", err)).isInstanceOf(ToolException.class)
                .hasMessageContaining("acked:1");
    }

    @Test
    void aMissingFileIsOneLine() {
        assertThatThrownBy(() -> AckFile.read(dir.resolve("nope"), "orders", err)).isInstanceOf(IOException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void aTornLastLineIsCutBeforeTheNextRunsHeader() throws IOException {
        Path file = dir.resolve("acked");
        // A producer killed mid-append: the last line is half written.
        Files.writeString(file, "# run 0000000000000001 topic orders\n0000000000000001 0 0 0\n0000000000000001 0 1");
        try (AckFile.Writer w = new AckFile.Writer(file, 2, "orders", err)) {
            w.ack(0, 2, 0);
        }
        assertThat(errBytes.toString(StandardCharsets.UTF_8)).contains("had no newline").contains("cut off its 20 bytes");
        assertThat(Files.readString(file)).startsWith("# run 0000000000000001 topic orders\n0000000000000001 0 0 0\n"
                + "# run 0000000000000002 topic orders started ");
        AckedRecords acked = AckFile.read(file, "orders", err);
        assertThat(acked.count()).isEqualTo(2);
        assertThat(acked.runs()).containsExactlyInAnyOrder(1L, 2L);

        // Torn before the first newline: nothing complete, the file starts afresh with its format line.
        Files.writeString(file, "# sluice-verify acked rec", StandardOpenOption.TRUNCATE_EXISTING);
        new AckFile.Writer(file, 3, "orders", err).close();
        assertThat(Files.readString(file)).startsWith("# sluice-verify acked records: ");
        assertThat(AckFile.read(file, "orders", err).runs()).containsExactly(3L);

        // A whole last line is left alone, however long the file.
        String whole = Files.readString(file) + "0000000000000003 0 0 0\n".repeat(1000);
        Files.writeString(file, whole, StandardOpenOption.TRUNCATE_EXISTING);
        new AckFile.Writer(file, 4, "orders", err).close();
        assertThat(Files.readString(file)).startsWith(whole);
    }

    @Test
    void closeLetsABackgroundWriteFinishAndLosesNoLine() throws Exception {
        // Flushing every millisecond while lines pour in: at close, the flusher is almost surely inside a write. An
        // interrupt there closes the channel (ClosedByInterruptException) and close fails with lines lost.
        for (int round = 0; round < 8; round++) {
            Path file = dir.resolve("acked-" + round);
            long n = 0;
            try (AckFile.Writer w = new AckFile.Writer(file, 1, "orders", err, 1)) {
                long until = System.nanoTime() + 30_000_000L;
                while (System.nanoTime() < until) {
                    w.ack(0, n, n);
                    n++;
                }
            }
            AckedRecords acked = AckFile.read(file, "orders", err);
            assertThat(acked.count()).as("round %d", round).isEqualTo(n);
            assertThat(acked.endOffsets()).isEqualTo(Map.of(0, n));
        }
    }

    @Test
    void aFailedAppendIsReportedAtOnceAndStopsKeepingLines() throws Exception {
        Path file = dir.resolve("acked");
        AckFile.Writer w = new AckFile.Writer(file, 1, "orders", err, 1);
        w.checkHealthy();
        w.channel.close(); // the disk goes away
        w.ack(0, 0, 0);
        long deadline = System.nanoTime() + 10_000_000_000L;
        IOException failure = null;
        while (failure == null && System.nanoTime() < deadline) {
            try {
                w.checkHealthy();
                Thread.sleep(1);
            } catch (IOException e) {
                failure = e;
            }
        }
        assertThat(failure).isNotNull().hasMessageContaining("cannot write the acked file");
        for (int i = 1; i < 1000; i++) {
            w.ack(0, i, i); // dropped, not kept in memory
        }
        assertThatThrownBy(w::close).isInstanceOf(IOException.class).hasMessageContaining("cannot write the acked file");
    }

    @Test
    void fieldsMaySitBetweenAnyBlanksAndBadFieldsNameTheLine() throws IOException {
        Path file = dir.resolve("acked");
        Files.writeString(file, "# run 0000000000000001 topic orders\r\n  0000000000000001\t0   3 4\r\n\n"
                + "1 2 5 6\n");
        AckedRecords acked = AckFile.read(file, "orders", err);
        assertThat(acked.count()).isEqualTo(2);
        assertThat(acked.runs()).containsExactly(1L);
        assertThat(acked.endOffsets()).isEqualTo(Map.of(0, 4L, 2, 6L));
        for (String bad : new String[] {"10000000000000000 0 0 0", "1 0 99999999999999999999 0", "1 -1 0 0",
                "1 0 0 -5", "1 0 0 0 0", "g 0 0 0", "1 2147483648 0 0"}) {
            Files.writeString(file, "1 0 0 0\n" + bad + "\n", StandardOpenOption.TRUNCATE_EXISTING);
            assertThatThrownBy(() -> AckFile.read(file, "orders", err)).as(bad).isInstanceOf(ToolException.class)
                    .hasMessageContaining("acked:2");
        }
    }

    @Test
    void aLargeFileIsStreamed() throws IOException {
        Path file = dir.resolve("acked");
        int n = 1_000_000;
        try (var out = new java.io.BufferedWriter(Files.newBufferedWriter(file), 1 << 16)) {
            out.write("# run 00000000000000aa topic orders started x\n# run 00000000000000bb topic other started x\n");
            for (int i = 0; i < n; i++) {
                // acknowledgements arrive a little out of offset order, as from several in-flight batches
                long offset = i ^ 1;
                out.write("00000000000000aa " + (i % 3) + " " + offset + " " + i + "\n");
                if (i % 100 == 0) {
                    out.write("00000000000000bb 0 " + i + " " + i + "\n");
                }
            }
        }
        AckedRecords acked = AckFile.read(file, "orders", err);
        assertThat(acked.count()).isEqualTo(n);
        assertThat(errBytes.toString(StandardCharsets.UTF_8)).contains("10000 acked records of run 00000000000000bb");
        AckedRecords.Part p0 = acked.sorted().get(0);
        for (int i = 1; i < p0.size; i++) {
            assertThat(p0.offsets[i]).isGreaterThan(p0.offsets[i - 1]);
            assertThat(p0.sequences[i] ^ 1).isEqualTo(p0.offsets[i]); // the columns moved with the offsets
        }
    }
}
