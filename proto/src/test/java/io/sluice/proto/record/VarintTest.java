package io.sluice.proto.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.function.Consumer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VarintTest {

    // Worked by hand: zig-zag maps n to 2n (n >= 0) or -2n-1 (n < 0), then 7 bits per byte, low group first,
    // high bit set on every byte but the last.
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "0,           00",             // zig-zag 0
            "-1,          01",             // zig-zag 1
            "1,           02",             // zig-zag 2
            "63,          7e",             // zig-zag 126, the largest one-byte positive
            "-64,         7f",             // zig-zag 127, the smallest one-byte negative
            "64,          8001",           // zig-zag 128 = 0b1_0000000: 0x80 (low 7 bits 0, more), 0x01
            "300,         d804",           // zig-zag 600 = 0b100_1011000: 0xd8, 0x04
            "2147483647,  feffffff0f",     // zig-zag 0xfffffffe: 0x7e|0x80, three 0xff, top 4 bits 0x0f
            "-2147483648, ffffffff0f",     // zig-zag 0xffffffff
    })
    void writesKnownIntEncodings(int value, String hex) {
        byte[] expected = HexFormat.of().parseHex(hex);
        ByteBuffer out = ByteBuffer.allocate(5);
        Varint.writeVarint(value, out);

        assertThat(written(out)).isEqualTo(expected);
        assertThat(Varint.sizeOfVarint(value)).isEqualTo(expected.length);
        assertThat(Varint.readVarint(ByteBuffer.wrap(expected))).isEqualTo(value);
        assertThat(Varint.readVarlong(ByteBuffer.wrap(expected))).as("a varint is a valid varlong").isEqualTo(value);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "0,                    00",
            "-1,                   01",
            "1,                    02",
            "63,                   7e",
            "-64,                  7f",
            "64,                   8001",
            "9223372036854775807,  feffffffffffffffff01",  // zig-zag 2^64-2: 0xfe, eight 0xff, last bit 0x01
            "-9223372036854775808, ffffffffffffffffff01",  // zig-zag 2^64-1
    })
    void writesKnownLongEncodings(long value, String hex) {
        byte[] expected = HexFormat.of().parseHex(hex);
        ByteBuffer out = ByteBuffer.allocate(10);
        Varint.writeVarlong(value, out);

        assertThat(written(out)).isEqualTo(expected);
        assertThat(Varint.sizeOfVarlong(value)).isEqualTo(expected.length);
        assertThat(Varint.readVarlong(ByteBuffer.wrap(expected))).isEqualTo(value);
    }

    @Test
    void readsAtThePositionAndAdvancesPastTheVarintOnly() {
        ByteBuffer in = ByteBuffer.wrap(HexFormat.of().parseHex("ff8001aa"));
        in.position(1);

        assertThat(Varint.readVarint(in)).isEqualTo(64);
        assertThat(in.position()).isEqualTo(3);
    }

    @Test
    void rejectsAnIntVarintLongerThanFiveBytes() {
        ByteBuffer in = ByteBuffer.wrap(HexFormat.of().parseHex("ffffffffff01"));

        assertThatThrownBy(() -> Varint.readVarint(in))
                .isInstanceOfSatisfying(CorruptRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(CorruptRecordException.Reason.BAD_RECORD))
                .hasMessageContaining("position 0")
                .hasMessageContaining("longer than 5 bytes");
    }

    @Test
    void rejectsALongVarintLongerThanTenBytes() {
        ByteBuffer in = ByteBuffer.wrap(HexFormat.of().parseHex("ffffffffffffffffffff01"));

        assertThatThrownBy(() -> Varint.readVarlong(in))
                .isInstanceOfSatisfying(CorruptRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(CorruptRecordException.Reason.BAD_RECORD))
                .hasMessageContaining("longer than 10 bytes");
    }

    @Test
    void rejectsAVarintCutByTheLimitRatherThanUnderflowing() {
        ByteBuffer in = ByteBuffer.wrap(HexFormat.of().parseHex("0080800100"));
        in.position(1).limit(3);

        assertThatThrownBy(() -> Varint.readVarint(in))
                .isInstanceOfSatisfying(CorruptRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(CorruptRecordException.Reason.BAD_RECORD))
                .hasMessageContaining("position 1")
                .hasMessageContaining("limit 3");
        assertThatThrownBy(() -> Varint.readVarlong(ByteBuffer.allocate(0)))
                .isInstanceOf(CorruptRecordException.class);
    }

    @Property
    void intsRoundTripInSizeOfBytes(@ForAll int value) {
        ByteBuffer out = ByteBuffer.allocate(5);
        Varint.writeVarint(value, out);
        byte[] bytes = written(out);

        assertThat(bytes).hasSize(Varint.sizeOfVarint(value));
        assertThat(viaByteBuf(buf -> Varint.writeVarint(value, buf))).isEqualTo(bytes);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        assertThat(Varint.readVarint(in)).isEqualTo(value);
        assertThat(in.hasRemaining()).isFalse();
    }

    @Property
    void longsRoundTripInSizeOfBytes(@ForAll long value) {
        ByteBuffer out = ByteBuffer.allocate(10);
        Varint.writeVarlong(value, out);
        byte[] bytes = written(out);

        assertThat(bytes).hasSize(Varint.sizeOfVarlong(value));
        assertThat(viaByteBuf(buf -> Varint.writeVarlong(value, buf))).isEqualTo(bytes);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        assertThat(Varint.readVarlong(in)).isEqualTo(value);
        assertThat(in.hasRemaining()).isFalse();
    }

    private static byte[] viaByteBuf(Consumer<ByteBuf> writer) {
        ByteBuf buf = Unpooled.buffer();
        try {
            writer.accept(buf);
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /** The bytes before the buffer's position. */
    private static byte[] written(ByteBuffer out) {
        byte[] bytes = new byte[out.position()];
        out.get(0, bytes);
        return bytes;
    }
}
