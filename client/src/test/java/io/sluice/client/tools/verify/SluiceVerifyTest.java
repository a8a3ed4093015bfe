package io.sluice.client.tools.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line without a broker: usage errors, help, a missing file. Runs against brokers are VerifyToolIT. */
class SluiceVerifyTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return SluiceVerify.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void usageErrorsExitWithTwo() {
        String acked = dir.resolve("acked").toString();
        assertThat(run()).isEqualTo(2);
        assertThat(run("fly")).isEqualTo(2);
        assertThat(run("produce", "--bootstrap", "h:1", "--topic", "t", "--messages", "1")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--acked");
        assertThat(run("produce", "--bootstrap", "h:1", "--topic", "t", "--messages", "x", "--acked", acked))
                .isEqualTo(2);
        assertThat(run("produce", "--bootstrap", "h:1", "--topic", "t", "--messages", "1", "--acked", acked,
                "--throughput", "0")).isEqualTo(2);
        assertThat(run("run", "--bootstrap", "h:1", "--topic", "t", "--acked", acked)).isEqualTo(2);
        assertThat(run("run", "--bootstrap", "h:1", "--topic", "t", "--acked", acked, "--seconds", "0")).isEqualTo(2);
        err.reset();
        assertThat(run("produce", "--bootstrap", "h:1", "--topic", "t", "--messages", "1", "--acked", acked,
                "--producer-prop", "batch.sise=1")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("batch.sise");
        assertThat(run("consume", "--bootstrap", "h:1", "--topic", "t", "--acked", acked, "--timeout-ms", "-1"))
                .isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void everyCommandsHelpStatesTheDefinitions() {
        for (String command : new String[] {"produce", "consume", "run"}) {
            out.reset();
            assertThat(run(command, "--help")).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("--acked").contains("lost        acknowledged")
                    .contains("duplicated  the same (run, sequence)").contains("reordered   within a partition")
                    .contains("corrupt     a value");
        }
    }

    @Test
    void aMissingAckedFileIsOneLineAndExitOne() {
        assertThat(run("consume", "--bootstrap", "127.0.0.1:1", "--topic", "t", "--acked",
                dir.resolve("nope").toString())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8).strip()).startsWith("sluice-verify: error: the acked file")
                .doesNotContain("\n");
    }
}
