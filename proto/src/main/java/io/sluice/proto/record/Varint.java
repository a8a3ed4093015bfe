package io.sluice.proto.record;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * Variable-length zig-zag integers as in Protocol Buffers' {@code sint32}/{@code sint64} and Kafka's
 * {@code ByteUtils}: the value is zig-zag mapped so that small negative numbers stay short
 * ({@code 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3, ...}), then written seven bits at a time, least significant group
 * first, with the high bit of each byte set when more bytes follow.
 *
 * <pre>
 *   300  zig-zag 600 = 0b100_1011000   bytes: 1101_1000 0000_0100   (0xd8 0x04)
 * </pre>
 *
 * An int takes 1 to 5 bytes, a long 1 to 10. Reads and writes advance the {@code ByteBuffer}'s position or the
 * {@code ByteBuf}'s writer index. Stateless.
 */
public final class Varint {

    private static final int MAX_VARINT_BYTES = 5;
    private static final int MAX_VARLONG_BYTES = 10;

    private Varint() {
    }

    /**
     * Reads a zig-zag varint at the buffer's position and advances past it.
     *
     * @throws CorruptRecordException ({@code BAD_RECORD}) if it runs past the limit or past 5 bytes
     */
    public static int readVarint(ByteBuffer buffer) {
        int start = buffer.position();
        int raw = 0;
        for (int shift = 0; shift < 7 * MAX_VARINT_BYTES; shift += 7) {
            if (!buffer.hasRemaining()) {
                throw truncated(start, buffer);
            }
            byte b = buffer.get();
            raw |= (b & 0x7f) << shift;
            if (b >= 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw tooLong(start, MAX_VARINT_BYTES);
    }

    /**
     * Reads a zig-zag varlong at the buffer's position and advances past it.
     *
     * @throws CorruptRecordException ({@code BAD_RECORD}) if it runs past the limit or past 10 bytes
     */
    public static long readVarlong(ByteBuffer buffer) {
        int start = buffer.position();
        long raw = 0;
        for (int shift = 0; shift < 7 * MAX_VARLONG_BYTES; shift += 7) {
            if (!buffer.hasRemaining()) {
                throw truncated(start, buffer);
            }
            byte b = buffer.get();
            raw |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw tooLong(start, MAX_VARLONG_BYTES);
    }

    public static void writeVarint(int value, ByteBuffer out) {
        int raw = (value << 1) ^ (value >> 31);
        while ((raw & ~0x7f) != 0) {
            out.put((byte) (raw & 0x7f | 0x80));
            raw >>>= 7;
        }
        out.put((byte) raw);
    }

    public static void writeVarlong(long value, ByteBuffer out) {
        long raw = (value << 1) ^ (value >> 63);
        while ((raw & ~0x7fL) != 0) {
            out.put((byte) (raw & 0x7f | 0x80));
            raw >>>= 7;
        }
        out.put((byte) raw);
    }

    public static void writeVarint(int value, ByteBuf out) {
        int raw = (value << 1) ^ (value >> 31);
        while ((raw & ~0x7f) != 0) {
            out.writeByte(raw & 0x7f | 0x80);
            raw >>>= 7;
        }
        out.writeByte(raw);
    }

    public static void writeVarlong(long value, ByteBuf out) {
        long raw = (value << 1) ^ (value >> 63);
        while ((raw & ~0x7fL) != 0) {
            out.writeByte((int) (raw & 0x7f | 0x80));
            raw >>>= 7;
        }
        out.writeByte((int) raw);
    }

    /** The number of bytes {@link #writeVarint} takes for {@code value}: 1 to 5. */
    public static int sizeOfVarint(int value) {
        int significantBits = Integer.SIZE - Integer.numberOfLeadingZeros((value << 1) ^ (value >> 31));
        return Math.max(1, (significantBits + 6) / 7);
    }

    /** The number of bytes {@link #writeVarlong} takes for {@code value}: 1 to 10. */
    public static int sizeOfVarlong(long value) {
        int significantBits = Long.SIZE - Long.numberOfLeadingZeros((value << 1) ^ (value >> 63));
        return Math.max(1, (significantBits + 6) / 7);
    }

    private static CorruptRecordException truncated(int start, ByteBuffer buffer) {
        return new CorruptRecordException(CorruptRecordException.Reason.BAD_RECORD,
                "varint at position " + start + " runs past the limit " + buffer.limit());
    }

    private static CorruptRecordException tooLong(int start, int maxBytes) {
        return new CorruptRecordException(CorruptRecordException.Reason.BAD_RECORD,
                "varint at position " + start + " is longer than " + maxBytes + " bytes");
    }
}
