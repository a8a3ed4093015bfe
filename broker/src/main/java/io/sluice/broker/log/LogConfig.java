package io.sluice.broker.log;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Per-log settings. Key names follow Kafka's topic-level configs where the meaning is the same.
 *
 * @param segmentBytes          {@code segment.bytes}: data file size; a segment rolls when the next batch does not fit
 * @param segmentMs             {@code segment.ms}: a non-empty segment older than this rolls at the next append
 * @param segmentIndexBytes     {@code segment.index.bytes}: offset index size; a segment rolls when it is full
 * @param indexIntervalBytes    {@code index.interval.bytes}: data bytes between two offset-index entries
 * @param retentionBytes        {@code retention.bytes}: the log is trimmed, whole segments first, to this size; -1 = no limit
 * @param retentionMs           {@code retention.ms}: segments whose newest record is older are deleted; -1 = no limit
 * @param flushIntervalMessages {@code flush.interval.messages}: fsync after this many appended records; off by default
 * @param flushIntervalMs       {@code flush.interval.ms}: fsync when the oldest unflushed append is this old; off by default
 * @param prefillBytes          {@code segment.prefill.bytes}: the most the active segment's pages are allocated
 *                              ahead of its writer by a background thread (about a second of its writes, at
 *                              least 1 MiB; see {@code PageAllocator}); 0 turns prefill off
 */
public record LogConfig(
        int segmentBytes,
        long segmentMs,
        int segmentIndexBytes,
        int indexIntervalBytes,
        long retentionBytes,
        long retentionMs,
        long flushIntervalMessages,
        long flushIntervalMs,
        int prefillBytes) {

    public static final String SEGMENT_BYTES = "segment.bytes";
    public static final String SEGMENT_MS = "segment.ms";
    public static final String SEGMENT_INDEX_BYTES = "segment.index.bytes";
    public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final String RETENTION_MS = "retention.ms";
    public static final String FLUSH_INTERVAL_MESSAGES = "flush.interval.messages";
    public static final String FLUSH_INTERVAL_MS = "flush.interval.ms";
    public static final String SEGMENT_PREFILL_BYTES = "segment.prefill.bytes";

    /** Smallest data file that still holds a batch of a few records. */
    public static final int MIN_SEGMENT_BYTES = 1024;

    public static final LogConfig DEFAULT = new LogConfig(
            1 << 30, 7L * 24 * 3600 * 1000, 10 << 20, 4096, -1, 7L * 24 * 3600 * 1000,
            Long.MAX_VALUE, Long.MAX_VALUE, 16 << 20);

    public LogConfig {
        require(segmentBytes >= MIN_SEGMENT_BYTES, SEGMENT_BYTES, segmentBytes, "at least " + MIN_SEGMENT_BYTES);
        require(segmentMs > 0, SEGMENT_MS, segmentMs, "positive");
        require(segmentIndexBytes >= 2 * OffsetIndex.ENTRY_SIZE, SEGMENT_INDEX_BYTES, segmentIndexBytes,
                "at least " + 2 * OffsetIndex.ENTRY_SIZE);
        require(indexIntervalBytes >= 0, INDEX_INTERVAL_BYTES, indexIntervalBytes, "zero or positive");
        require(retentionBytes >= -1, RETENTION_BYTES, retentionBytes, "-1 (no limit) or a size in bytes");
        require(retentionMs >= -1, RETENTION_MS, retentionMs, "-1 (no limit) or a duration in ms");
        require(flushIntervalMessages > 0, FLUSH_INTERVAL_MESSAGES, flushIntervalMessages, "positive");
        require(flushIntervalMs > 0, FLUSH_INTERVAL_MS, flushIntervalMs, "positive");
        require(prefillBytes >= 0, SEGMENT_PREFILL_BYTES, prefillBytes, "zero (off) or positive");
    }

    /**
     * Reads the keys above from {@code props}, falling back to {@code defaults} for absent ones. Keys not
     * listed here are ignored: the broker's own config validation rejects unknown keys with their name.
     *
     * @throws IllegalArgumentException naming the key when a value does not parse or is out of range
     */
    public static LogConfig fromProperties(Map<String, String> props, LogConfig defaults) {
        return new LogConfig(
                get(props, SEGMENT_BYTES, Integer::parseInt, defaults.segmentBytes),
                get(props, SEGMENT_MS, Long::parseLong, defaults.segmentMs),
                get(props, SEGMENT_INDEX_BYTES, Integer::parseInt, defaults.segmentIndexBytes),
                get(props, INDEX_INTERVAL_BYTES, Integer::parseInt, defaults.indexIntervalBytes),
                get(props, RETENTION_BYTES, Long::parseLong, defaults.retentionBytes),
                get(props, RETENTION_MS, Long::parseLong, defaults.retentionMs),
                get(props, FLUSH_INTERVAL_MESSAGES, Long::parseLong, defaults.flushIntervalMessages),
                get(props, FLUSH_INTERVAL_MS, Long::parseLong, defaults.flushIntervalMs),
                get(props, SEGMENT_PREFILL_BYTES, Integer::parseInt, defaults.prefillBytes));
    }

    /** The settings as key → value, in the order above. */
    public Map<String, String> toProperties() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(SEGMENT_BYTES, Integer.toString(segmentBytes));
        m.put(SEGMENT_MS, Long.toString(segmentMs));
        m.put(SEGMENT_INDEX_BYTES, Integer.toString(segmentIndexBytes));
        m.put(INDEX_INTERVAL_BYTES, Integer.toString(indexIntervalBytes));
        m.put(RETENTION_BYTES, Long.toString(retentionBytes));
        m.put(RETENTION_MS, Long.toString(retentionMs));
        m.put(FLUSH_INTERVAL_MESSAGES, Long.toString(flushIntervalMessages));
        m.put(FLUSH_INTERVAL_MS, Long.toString(flushIntervalMs));
        m.put(SEGMENT_PREFILL_BYTES, Integer.toString(prefillBytes));
        return m;
    }

    public LogConfig withSegmentBytes(int bytes) {
        return new LogConfig(bytes, segmentMs, segmentIndexBytes, indexIntervalBytes, retentionBytes, retentionMs,
                flushIntervalMessages, flushIntervalMs, prefillBytes);
    }

    public LogConfig withSegmentIndexBytes(int bytes) {
        return new LogConfig(segmentBytes, segmentMs, bytes, indexIntervalBytes, retentionBytes, retentionMs,
                flushIntervalMessages, flushIntervalMs, prefillBytes);
    }

    public LogConfig withIndexIntervalBytes(int bytes) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, bytes, retentionBytes, retentionMs,
                flushIntervalMessages, flushIntervalMs, prefillBytes);
    }

    public LogConfig withSegmentMs(long ms) {
        return new LogConfig(segmentBytes, ms, segmentIndexBytes, indexIntervalBytes, retentionBytes, retentionMs,
                flushIntervalMessages, flushIntervalMs, prefillBytes);
    }

    public LogConfig withRetention(long bytes, long ms) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, bytes, ms,
                flushIntervalMessages, flushIntervalMs, prefillBytes);
    }

    public LogConfig withFlushInterval(long messages, long ms) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, retentionBytes,
                retentionMs, messages, ms, prefillBytes);
    }

    public LogConfig withPrefillBytes(int bytes) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, retentionBytes,
                retentionMs, flushIntervalMessages, flushIntervalMs, bytes);
    }

    private static <T> T get(Map<String, String> props, String key, Function<String, T> parse, T fallback) {
        String raw = props.get(key);
        if (raw == null) {
            return fallback;
        }
        try {
            return parse.apply(raw.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": '" + raw + "' is not a number", e);
        }
    }

    private static void require(boolean ok, String key, long value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException(key + ": " + value + " is out of range; must be " + allowed);
        }
    }

    @Override
    public String toString() {
        return "LogConfig" + toProperties();
    }
}
