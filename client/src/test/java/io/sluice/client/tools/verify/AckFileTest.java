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
}
