package io.sluice.client.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TextTableTest {
    @Test
    void alignsColumnsAndRightAlignsNumbers() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        new TextTable("ID>", "NAME", "SIZE>").row(1, "a", 1234).row(22, "longer", 5).print(out, "> ");
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo(String.join("\n",
                "> ID  NAME    SIZE",
                ">  1  a       1234",
                "> 22  longer     5",
                ""));
    }

    @Test
    void aLastTextColumnHasNoTrailingSpaces() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new TextTable("A", "B").row("x", "y").row("xx", "yyyy").print(new PrintStream(bytes, true, StandardCharsets.UTF_8), "");
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("A   B\nx   y\nxx  yyyy\n");
    }
}
