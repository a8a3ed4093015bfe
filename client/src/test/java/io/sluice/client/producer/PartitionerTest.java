package io.sluice.client.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PartitionerTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Kafka's UtilsTest.testMurmur2 vectors. */
    @Test
    void murmur2MatchesKafka() {
        assertThat(Partitioner.murmur2(b("21"))).isEqualTo(-973932308);
        assertThat(Partitioner.murmur2(b("foobar"))).isEqualTo(-790332482);
        assertThat(Partitioner.murmur2(b("a-little-bit-long-string"))).isEqualTo(-985981536);
        assertThat(Partitioner.murmur2(b("a-little-bit-longer-string"))).isEqualTo(-1486304829);
        assertThat(Partitioner.murmur2(b("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"))).isEqualTo(-58897971);
        assertThat(Partitioner.murmur2(new byte[] {'a', 'b', 'c'})).isEqualTo(479470107);
    }

    @Test
    void partitionIsThePositiveHashModuloTheCount() {
        assertThat(Partitioner.toPositive(Integer.MIN_VALUE)).isZero();
        assertThat(Partitioner.toPositive(-1)).isEqualTo(Integer.MAX_VALUE);
        assertThat(Partitioner.partition(b("21"), 7)).isEqualTo((-973932308 & 0x7fffffff) % 7);
        assertThat(Partitioner.partition(b("foobar"), 3)).isEqualTo((-790332482 & 0x7fffffff) % 3);
        for (int i = 0; i < 1000; i++) {
            assertThat(Partitioner.partition(b("key-" + i), 5)).isBetween(0, 4);
        }
    }
}
