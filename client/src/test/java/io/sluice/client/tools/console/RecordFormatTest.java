package io.sluice.client.tools.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RecordFormatTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();
    }

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theValueAloneByDefault() {
        new RecordFormat(false, false, false, false, "\t").print(1L, 0, 12, utf8("k"), utf8("héllo wörld"), out);
        assertThat(printed()).isEqualTo("héllo wörld\n");
    }

    @Test
    void fieldsInAFixedOrderSeparatedByTabs() {
        new RecordFormat(true, true, true, true, "\t").print(1732595485123L, 2, 12, utf8("k1"), utf8("v1"), out);
        assertThat(printed()).isEqualTo("timestamp:1732595485123\tpartition:2\toffset:12\tk1\tv1\n");
    }

    @Test
    void aKeyAndValueWithACommaReadBackBySluiceProduce() {
        new RecordFormat(false, false, false, true, ",").print(1L, 0, 0, utf8("user-7"), utf8("a,b"), out);
        assertThat(printed()).isEqualTo("user-7,a,b\n");
    }

    @Test
    void nullKeyAndValuePrintAsNull() {
        new RecordFormat(false, false, true, true, " | ").print(1L, 0, 3, null, null, out);
        assertThat(printed()).isEqualTo("offset:3 | null | null\n");
    }

    @Test
    void theBufferIsNotConsumed() {
        ByteBuffer value = utf8("v");
        RecordFormat format = new RecordFormat(false, false, false, false, "\t");
        format.print(1L, 0, 0, null, value, out);
        format.print(1L, 0, 0, null, value, out);
        assertThat(printed()).isEqualTo("v\nv\n");
    }
}
