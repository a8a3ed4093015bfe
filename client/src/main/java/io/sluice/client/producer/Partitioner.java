package io.sluice.client.producer;

/**
 * Kafka's key partitioner, bit for bit: {@code toPositive(murmur2(key)) % numPartitions}, so that a key lands on the
 * same partition whether a Kafka or a Sluice producer wrote it. Stateless.
 */
public final class Partitioner {
    private Partitioner() {
    }

    /** The partition of a non-null key. */
    public static int partition(byte[] key, int numPartitions) {
        return toPositive(murmur2(key)) % numPartitions;
    }

    /** Kafka's {@code Utils.toPositive}: clears the sign bit (not {@code Math.abs}, which fails for MIN_VALUE). */
    public static int toPositive(int number) {
        return number & 0x7fffffff;
    }

    /** Kafka's {@code Utils.murmur2}: 32-bit MurmurHash2 with seed 0x9747b28c. */
    @SuppressWarnings("fallthrough")
    public static int murmur2(byte[] data) {
        int length = data.length;
        int seed = 0x9747b28c;
        final int m = 0x5bd1e995;
        final int r = 24;
        int h = seed ^ length;
        int length4 = length / 4;
        for (int i = 0; i < length4; i++) {
            final int i4 = i * 4;
            int k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16)
                    + ((data[i4 + 3] & 0xff) << 24);
            k *= m;
            k ^= k >>> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        int index = length4 * 4;
        switch (length % 4) {
            case 3:
                h ^= (data[index + 2] & 0xff) << 16;
                // fall through
            case 2:
                h ^= (data[index + 1] & 0xff) << 8;
                // fall through
            case 1:
                h ^= data[index] & 0xff;
                h *= m;
                break;
            default:
                break;
        }
        h ^= h >>> 13;
        h *= m;
        h ^= h >>> 15;
        return h;
    }
}
