package io.sluice.client.tools.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class VerifyValueTest {
    @Test
    void roundTripsAtEverySize() {
        for (int size : new int[] {0, 23, 24, 25, 100, 4096}) {
            byte[] v = VerifyValue.encode(-7L, 123_456, size);
            assertThat(v).hasSize(Math.max(size, VerifyValue.MIN_SIZE));
            assertThat(VerifyValue.parse(ByteBuffer.wrap(v)))
                    .isEqualTo(new VerifyValue.Parsed(VerifyValue.Kind.VALID, -7L, 123_456));
        }
    }

    @Test
    void readsInPlaceWithinALargerBuffer() {
        byte[] v = VerifyValue.encode(1, 2, 40);
        ByteBuffer b = ByteBuffer.allocateDirect(100);
        b.position(30);
        b.put(v);
        b.position(30).limit(70);
        assertThat(VerifyValue.parse(b).kind()).isEqualTo(VerifyValue.Kind.VALID);
        assertThat(b.position()).isEqualTo(30);
    }

    @Test
    void everyFlippedBitIsCorrupt() {
        byte[] v = VerifyValue.encode(1, 2, 32);
        for (int i = 4; i < v.length; i++) { // a flip in the magic makes it foreign
            for (int bit = 0; bit < 8; bit++) {
                byte[] c = v.clone();
                c[i] ^= (byte) (1 << bit);
                assertThat(VerifyValue.parse(ByteBuffer.wrap(c)).kind()).as("byte %d bit %d", i, bit)
                        .isEqualTo(VerifyValue.Kind.CORRUPT);
            }
        }
    }

    @Test
    void valuesWithoutTheMagicAreForeign() {
        assertThat(VerifyValue.parse(null).kind()).isEqualTo(VerifyValue.Kind.FOREIGN);
        assertThat(VerifyValue.parse(ByteBuffer.allocate(2)).kind()).isEqualTo(VerifyValue.Kind.FOREIGN);
        assertThat(VerifyValue.parse(ByteBuffer.allocate(100)).kind()).isEqualTo(VerifyValue.Kind.FOREIGN);
    }
}
