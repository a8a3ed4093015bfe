package io.sluice.broker.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatchBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class LogDumpCommandTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final int EPOCH = 5;
    private static final LogConfig CONFIG = LogConfig.DEFAULT.withSegmentBytes(64 * 1024).withPrefillBytes(0);

    @TempDir
    Path tmp;
    private Path dir;

    @BeforeEach
    void setUp() {
        dir = tmp.resolve("t-0");
    }

    // ------------------------------------------------------------------ clean logs

    @Test
    void cleanLogListsEveryBatchAndVerifies() {
        writeClosedLog();

        Run run = run("dump", dir.toString(), "--verify");

        assertThat(run.exit).as(run.out).isZero();
        assertThat(run.lines("baseOffset=")).hasSize(40);
        assertThat(run.out).contains("baseOffset=0 lastOffset=9 count=10 position=0 size=")
                .contains("baseOffset=390 lastOffset=399 count=10 ")
                .contains(" epoch=" + EPOCH + " crc=ok maxTimestamp=" + (T0 + 9))
                .doesNotContain("crc=BAD").doesNotContain("PROBLEM");
        assertThat(run.lines("segment ")).containsExactly(
                "segment " + seg(0) + ": base=0 dataBytes=" + size(seg(0)) + " batches=15 offsets=0..149 maxTimestamp="
                        + (T0 + 14_009) + " zeroTail=none",
                "segment " + seg(150) + ": base=150 dataBytes=" + size(seg(150)) + " batches=15 offsets=150..299 maxTimestamp="
                        + (T0 + 29_009) + " zeroTail=none",
                "segment " + seg(300) + ": base=300 dataBytes=" + size(seg(300)) + " batches=10 offsets=300..399 maxTimestamp="
                        + (T0 + 39_009) + " zeroTail=none");
        // The indexes were really checked: each sealed segment has entries in both.
        assertThat(run.out).containsPattern("index \\S+00000000000000000000\\.index: [1-9]\\d* entries\n")
                .containsPattern("index \\S+00000000000000000000\\.timeindex: [1-9]\\d* entries\n");
        assertThat(run.lastLine()).isEqualTo("verified 3 segments, 40 batches, offsets 0..399: OK");
    }

    @Test
    void recordsAreListedAndASingleSegmentFileCanBeDumped() {
        writeClosedLog();

        Run run = run("dump", "--records", seg(150).toString());

        assertThat(run.exit).as(run.out).isZero();
        assertThat(run.lines("  offset=")).hasSize(150);
        assertThat(run.out).contains("  offset=150 timestamp=" + (T0 + 15_000) + " keySize=2 valueSize=100 headers=0\n")
                .contains("  offset=299 timestamp=" + (T0 + 29_009) + " keySize=2 valueSize=100 headers=0\n");
        assertThat(run.lastLine()).startsWith("dumped 1 segment, 15 batches, offsets 150..299: OK");
    }

    @Test
    void emptyLogIsConsistent() {
        openLog().close();

        Run run = run("dump", dir.toString(), "--verify");

        assertThat(run.exit).as(run.out).isZero();
        assertThat(run.lastLine()).isEqualTo("verified 1 segment, 0 batches, no offsets: OK");
    }

    @Test
    void openLogWithPreallocatedActiveSegmentHasNoFalseProblems() throws Exception {
        try (Log log = openLog()) {
            for (int i = 0; i < 45; i++) {
                if (i == 15) {
                    log.roll();
                }
                log.appendAsLeader(batch(i), EPOCH);
            }
            assertThat(Files.size(seg(150))).as("active data file is preallocated").isEqualTo(64 * 1024);
            Map<Path, String> before = fingerprints(dir);

            Run run = run("dump", dir.toString(), "--verify");

            assertThat(run.exit).as(run.out).isZero();
            assertThat(run.out).doesNotContain("PROBLEM")
                    .contains("dataBytes=" + log.segments().get(1).size() + " batches=30 offsets=150..449")
                    .contains(" bytes from position " + log.segments().get(1).size() + " (preallocated: the active segment)")
                    // The active segment is more than half full: the broker has prepared the next file.
                    .containsPattern("next-\\d+\\.prepared: the next segment's data file, prepared ahead of a roll");
            assertThat(run.lastLine()).isEqualTo("verified 2 segments, 45 batches, offsets 0..449: OK");
            assertThat(fingerprints(dir)).as("the dump changed no file").isEqualTo(before);
        }
    }

    // ------------------------------------------------------------------ inconsistencies

    @Test
    void flippedByteInASealedSegmentIsACrcMismatch() throws IOException {
        writeClosedLog();
        long[] victim = batchesIn(seg(0)).get(3); // {position, baseOffset}
        flipByte(seg(0), victim[0] + RecordBatch.HEADER_SIZE + 20);

        Run verify = run("dump", dir.toString(), "--verify");

        assertThat(verify.exit).as(verify.out).isEqualTo(1);
        assertThat(verify.out).contains("baseOffset=30 lastOffset=39 count=10 position=" + victim[0])
                .contains("PROBLEM " + seg(0) + " position=" + victim[0] + " offset=30: CRC mismatch, stored 0x");
        assertThat(verify.lines("PROBLEM")).hasSize(1);
        assertThat(verify.lastLine()).isEqualTo("verified 3 segments, 40 batches, offsets 0..399: 1 problem");
        // The batches after the damaged one are still read.
        assertThat(verify.lines("baseOffset=")).hasSize(40);

        Run dump = run("dump", dir.toString());
        assertThat(dump.exit).as("without --verify a dump reports but does not fail").isZero();
        assertThat(dump.out).contains("crc=BAD").contains("PROBLEM " + seg(0) + " position=" + victim[0]);
    }

    @Test
    void missingMiddleSegmentIsAnOffsetGap() throws IOException {
        writeClosedLog();
        for (String suffix : List.of(".log", ".index", ".timeindex")) {
            Files.delete(dir.resolve("00000000000000000150" + suffix));
        }

        Run run = run("dump", dir.toString(), "--verify");

        assertThat(run.exit).as(run.out).isEqualTo(1);
        assertThat(run.out).contains("PROBLEM " + seg(300) + " offset=300: the segment starts at offset 300 but the previous"
                + " segment (00000000000000000000.log) ends at offset 149: offsets 150..299 are missing");
        assertThat(run.lastLine()).isEqualTo("verified 2 segments, 25 batches, offsets 0..399: 1 problem");
    }

    @ParameterizedTest
    @ValueSource(ints = {7, 100})
    void garbageAfterTheLastBatchIsReported(int garbageBytes) throws IOException {
        writeClosedLog();
        long end = size(seg(300));
        byte[] garbage = new byte[garbageBytes];
        Arrays.fill(garbage, (byte) 0x5a);
        Files.write(seg(300), garbage, StandardOpenOption.APPEND);

        Run run = run("dump", dir.toString(), "--verify");

        assertThat(run.exit).as(run.out).isEqualTo(1);
        assertThat(run.out).contains("PROBLEM " + seg(300) + " position=" + end + " offset=400: not a batch: "
                + (garbageBytes < RecordBatch.HEADER_SIZE ? "only 7 bytes left" : "bad batchLength"));
        assertThat(run.lastLine()).endsWith(": 1 problem");
    }

    @Test
    void tornWriteAndDataPastAHoleInACrashedActiveSegmentAreReported() throws IOException {
        // A copy of an open log's files is what kill -9 leaves: preallocated, untrimmed, unsealed.
        Path crashed = tmp.resolve("crashed-0");
        long end;
        try (Log log = openLog()) {
            for (int i = 0; i < 5; i++) {
                log.appendAsLeader(batch(i), EPOCH);
            }
            end = log.segments().get(0).size();
            copyDir(dir, crashed);
        }
        Path data = crashed.resolve("00000000000000000000.log");
        ByteBuffer torn = batch(5);
        torn.limit(30); // the first 30 bytes of the next batch, then the writer died
        writeAt(data, end, torn);
        writeAt(data, end + 20_000, ByteBuffer.wrap("stray".getBytes(StandardCharsets.US_ASCII)));

        Run run = run("dump", crashed.toString(), "--verify");

        assertThat(run.exit).as(run.out).isEqualTo(1);
        // The header is whole (length, magic) but the records are not: a CRC mismatch, and the producer's base
        // offset 0, which the leader patches in place after the copy, breaks the offset sequence too.
        assertThat(run.out).contains("PROBLEM " + data + " position=" + end + " offset=0: CRC mismatch")
                .contains("PROBLEM " + data + " position=" + end + " offset=0: offsets not contiguous");

        // Zeros where the torn batch was: a clean preallocated tail, except for the bytes past the hole.
        writeAt(data, end, ByteBuffer.allocate(30));
        Run hole = run("dump", crashed.toString(), "--verify");
        assertThat(hole.exit).as(hole.out).isEqualTo(1);
        assertThat(hole.out).contains("PROBLEM " + data + " position=" + (end + 20_000)
                + ": non-zero bytes after the zero tail that starts at position " + end);
    }

    @Test
    void offsetIndexEntryThatMissesABatchIsReported() throws IOException {
        writeClosedLog();
        Path index = dir.resolve("00000000000000000000.index");
        ByteBuffer entry = readAt(index, 8, 8); // entry 1
        int rel = entry.getInt(0);
        int pos = entry.getInt(4);
        writeAt(index, 12, ByteBuffer.allocate(4).putInt(0, pos + 1));

        Run run = run("dump", dir.toString(), "--verify");

        assertThat(run.exit).as(run.out).isEqualTo(1);
        assertThat(run.out).contains("PROBLEM " + index + " entry=1 offset=" + rel + " position=" + (pos + 1)
                + ": no batch starts at position " + (pos + 1) + " (batches start at " + pos + " and ");
        assertThat(run.lastLine()).endsWith(": 1 problem");
    }

    @Test
    void indexEntryPastTheDataOfACleanlyClosedLastSegmentIsReported() throws IOException {
        // What a failed append can leave: an entry for a batch that never became part of the log. The newest
        // segment was trimmed by a clean close, so its index is held to the sealed rules.
        writeClosedLog();
        Path index = dir.resolve("00000000000000000300.index");
        int entries = (int) (Files.size(index) / 8);
        long end = size(seg(300));
        Files.write(index, ByteBuffer.allocate(8).putInt(100).putInt((int) end).array(), StandardOpenOption.APPEND);

        Run run = run("dump", dir.toString(), "--verify");

        assertThat(run.exit).as(run.out).isEqualTo(1);
        assertThat(run.out).contains("PROBLEM " + index + " entry=" + entries + " offset=400 position=" + end
                + ": points past the data (" + end + " bytes of batches)");
        assertThat(run.lastLine()).endsWith(": 1 problem");
    }

    @Test
    void untrimmedSealedIndexIsReported() throws IOException {
        writeClosedLog();
        Path index = dir.resolve("00000000000000000150.index");
        int entries = (int) (Files.size(index) / 8);
        Files.write(index, new byte[8], StandardOpenOption.APPEND);

        Run run = run("dump", dir.toString(), "--verify");

        assertThat(run.exit).as(run.out).isEqualTo(1);
        assertThat(run.out).contains("PROBLEM " + index + " entry=" + entries + " offset=150 position=0: not strictly increasing");
    }

    @Test
    void timeIndexTimestampNewerThanTheDataIsReported() throws IOException {
        writeClosedLog();
        Path timeIndex = dir.resolve("00000000000000000000.timeindex");
        long lastEntry = Files.size(timeIndex) - 12;
        writeAt(timeIndex, lastEntry, ByteBuffer.allocate(8).putLong(0, T0 + 1_000_000));

        Run run = run("dump", dir.toString(), "--verify");

        assertThat(run.exit).as(run.out).isEqualTo(1);
        assertThat(run.out).contains("PROBLEM " + timeIndex + " entry=" + lastEntry / 12 + " timestamp=" + (T0 + 1_000_000))
                .contains("timestamp exceeds the newest timestamp of the batches up to that offset");
    }

    // ------------------------------------------------------------------ usage

    @Test
    void missingPathIsAUsageError() {
        Run run = run("dump", tmp.resolve("nope").toString());

        assertThat(run.exit).isEqualTo(2);
        assertThat(run.out).isEmpty();
        assertThat(run.err).isEqualTo("sluice-log dump: PATH does not exist: " + tmp.resolve("nope")
                + " (see 'sluice-log dump --help')\n");
    }

    @Test
    void badArgumentsAreUsageErrorsOnOneLine() throws IOException {
        Files.createDirectories(dir);
        for (String[] args : List.of(new String[] {"dump"}, new String[] {"dump", "--bogus", "x"}, new String[] {},
                new String[] {"dump", dir.toString()})) {
            Run run = run(args);
            assertThat(run.exit).as(String.join(" ", args)).isEqualTo(2);
            assertThat(run.err.lines()).as(run.err).hasSize(1);
            assertThat(run.err).doesNotContain("\tat ").startsWith("sluice-log");
        }
        assertThat(run("dump").err).contains("Missing required parameter: 'PATH'");
        assertThat(run("dump", dir.toString()).err).contains("holds no segment data files");
    }

    @Test
    void plainCommandLineAlsoExitsWithTwoOnUsageErrors() {
        StringWriter sw = new StringWriter();
        int exit = new CommandLine(new LogDumpCommand()).setOut(new PrintWriter(sw)).setErr(new PrintWriter(sw))
                .execute("dump");
        assertThat(exit).isEqualTo(2);
    }

    @Test
    void helpIsPrinted() {
        Run run = run("dump", "--help");
        assertThat(run.exit).isZero();
        assertThat(run.out).contains("Usage: sluice-log dump").contains("--verify").contains("--records");
    }

    // ------------------------------------------------------------------ helpers

    private record Run(int exit, String out, String err) {
        List<String> lines(String prefix) {
            return out.lines().filter(l -> l.startsWith(prefix)).toList();
        }

        String lastLine() {
            List<String> all = out.lines().toList();
            return all.get(all.size() - 1);
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = LogDumpCommand.newCommandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Log openLog() {
        return Log.open(new TopicPartition("t", 0), dir, CONFIG, Clock.SYSTEM, Runnable::run, false, 0);
    }

    /** Three sealed segments: batches 0-14, 15-29 and 30-39 of ten records each, offsets 0..399. */
    private void writeClosedLog() {
        try (Log log = openLog()) {
            for (int i = 0; i < 40; i++) {
                if (i == 15 || i == 30) {
                    log.roll();
                }
                log.appendAsLeader(batch(i), EPOCH);
            }
        }
    }

    /** Batch {@code i}: ten records with 100-byte values, timestamps T0 + i s + 0..9 ms. */
    private static ByteBuffer batch(int i) {
        RecordBatchBuilder b = new RecordBatchBuilder(1024);
        for (int r = 0; r < 10; r++) {
            byte[] value = new byte[100];
            Arrays.fill(value, (byte) ('a' + r));
            b.append(T0 + i * 1000L + r, ("k" + r).getBytes(StandardCharsets.UTF_8), value);
        }
        return b.build();
    }

    private Path seg(long base) {
        return dir.resolve(String.format("%020d.log", base));
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** {position, baseOffset} of every batch in a trimmed data file. */
    private static List<long[]> batchesIn(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file));
        List<long[]> batches = new ArrayList<>();
        for (int p = 0; p < buf.limit(); ) {
            RecordBatch b = RecordBatch.at(buf, p);
            batches.add(new long[] {p, b.baseOffset()});
            p += b.sizeInBytes();
        }
        return batches;
    }

    private static void flipByte(Path file, long position) throws IOException {
        ByteBuffer b = readAt(file, position, 1);
        writeAt(file, position, ByteBuffer.allocate(1).put(0, (byte) (b.get(0) ^ 0xff)));
    }

    private static ByteBuffer readAt(Path file, long position, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(length);
            while (buf.hasRemaining() && ch.read(buf, position + buf.position()) >= 0) {
                // until full
            }
            return buf.flip();
        }
    }

    private static void writeAt(Path file, long position, ByteBuffer bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            while (bytes.hasRemaining()) {
                ch.write(bytes, position + bytes.position());
            }
        }
    }

    private static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    /** Name → length, modification time and SHA-256 of every file in {@code dir}. */
    private static Map<Path, String> fingerprints(Path dir) throws Exception {
        Map<Path, String> result = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
                result.put(f.getFileName(), Files.size(f) + " " + Files.getLastModifiedTime(f) + " "
                        + HexFormat.of().formatHex(digest));
            }
        }
        return result;
    }
}
