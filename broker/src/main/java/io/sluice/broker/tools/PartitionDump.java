package io.sluice.broker.tools;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Dumps the segments of one partition in order and checks what ties them together: each segment starts
 * where the one before it ended. With {@code verify}, also checks each segment's indexes.
 * Not thread-safe; single use.
 */
final class PartitionDump {

    /** What a dump covered; {@code firstOffset} is -1 when no batch was found. */
    record Summary(boolean verified, int segments, long batches, long firstOffset, long lastOffset, int problems) {
        String describe() {
            String offsets = firstOffset < 0 ? "no offsets" : "offsets " + firstOffset + ".." + lastOffset;
            String outcome = problems == 0 ? "OK" : problems + (problems == 1 ? " problem" : " problems");
            return (verified ? "verified " : "dumped ") + plural(segments, "segment") + ", " + plural(batches, "batch")
                    + ", " + offsets + ": " + outcome + (verified ? "" : " (indexes not checked without --verify)");
        }

        private static String plural(long n, String noun) {
            return n + " " + noun + (n == 1 ? "" : noun.endsWith("h") ? "es" : "s");
        }
    }

    private final DumpReport report;
    private final boolean verify;
    private final boolean records;

    PartitionDump(DumpReport report, boolean verify, boolean records) {
        this.report = report;
        this.verify = verify;
        this.records = records;
    }

    Summary run(PartitionFiles partition) throws IOException {
        for (PartitionFiles.Finding f : partition.findings()) {
            if (f.problem()) {
                report.problem(f.file(), "", f.message());
            } else {
                report.note(f.file(), f.message());
            }
        }
        int segments = 0;
        long batches = 0;
        long firstOffset = -1;
        long lastOffset = -1;
        Path previousFile = null;
        long expectedBase = -1;
        int epoch = Integer.MIN_VALUE;
        for (SegmentFiles segment : partition.segments()) {
            if (!report.outputOk()) {
                break; // nobody is reading any more (e.g. piped into head)
            }
            if (previousFile != null && segment.hasKnownBase() && segment.baseOffset() != expectedBase) {
                report.problem(segment.log(), "offset=" + segment.baseOffset(), gap(segment.baseOffset(), expectedBase,
                        previousFile));
            }
            SegmentScan.Result scan;
            try {
                scan = new SegmentScan(segment, report, verify, records, epoch).run();
            } catch (NoSuchFileException e) {
                // Retention deletes the oldest segments while a broker runs; nothing to compare the next one with.
                report.note(segment.log(), "disappeared during the dump (deleted by retention?); skipped");
                previousFile = null;
                continue;
            }
            if (verify) {
                new IndexCheck(segment, scan, report).run();
            }
            segments++;
            batches += scan.batchCount();
            if (scan.batchCount() > 0) {
                firstOffset = firstOffset < 0 ? scan.firstOffset() : firstOffset;
                lastOffset = scan.nextOffset() - 1;
            }
            previousFile = segment.log();
            expectedBase = scan.nextOffset();
            epoch = scan.lastEpoch();
        }
        return new Summary(verify, segments, batches, firstOffset, lastOffset, report.problems());
    }

    private static String gap(long base, long expected, Path previousFile) {
        if (base > expected) {
            return "the segment starts at offset " + base + " but the previous segment (" + previousFile.getFileName()
                    + ") ends at offset " + (expected - 1) + ": offsets " + expected + ".." + (base - 1) + " are missing";
        }
        return "the segment starts at offset " + base + " but the previous segment (" + previousFile.getFileName()
                + ") holds offsets up to " + (expected - 1) + ": they overlap";
    }
}
