package io.sluice.broker.tools;

import io.sluice.broker.log.Segment;
import io.sluice.proto.TopicPartition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The segments of a partition directory (or one data file), oldest first, and what else lies there.
 * Classifies files the way the broker's loader does: {@code <20 digits>.log|.index|.timeindex} are
 * segments, {@code *.deleted} and {@code *.prepared} are leftovers it removes, and anything else stops it
 * from loading the directory.
 *
 * @param findings notes and problems about files that are not segments, to print before the dump
 */
record PartitionFiles(Path path, List<SegmentFiles> segments, List<Finding> findings) {
    private static final Pattern SEGMENT_FILE = Pattern.compile("(\\d{20})(\\.log|\\.index|\\.timeindex)");

    /** Something about one file: a problem counts against {@code --verify}, a note does not. */
    record Finding(Path file, boolean problem, String message) {
    }

    /** PATH is not something this tool can dump: a usage error, not a finding. */
    static final class NotAPartitionException extends Exception {
        private static final long serialVersionUID = 1L;

        NotAPartitionException(String message) {
            super(message);
        }
    }

    static PartitionFiles list(Path path) throws IOException, NotAPartitionException {
        if (!Files.exists(path)) {
            throw new NotAPartitionException("PATH does not exist: " + path);
        }
        if (Files.isDirectory(path)) {
            return listDirectory(path);
        }
        return singleFile(path);
    }

    private static PartitionFiles singleFile(Path file) throws IOException, NotAPartitionException {
        String name = file.getFileName().toString();
        if (!name.endsWith(Segment.LOG_SUFFIX)) {
            throw new NotAPartitionException(file + " is neither a partition directory nor a segment data file (*"
                    + Segment.LOG_SUFFIX + ")");
        }
        Matcher m = SEGMENT_FILE.matcher(name);
        long base = m.matches() ? Long.parseLong(m.group(1)) : SegmentFiles.UNKNOWN_BASE;
        String stem = name.substring(0, name.length() - Segment.LOG_SUFFIX.length());
        // The newest segment of its directory is the active one; its preallocated files are not errors.
        boolean last = base == SegmentFiles.UNKNOWN_BASE || base >= newestBase(file.toAbsolutePath().getParent());
        SegmentFiles segment = new SegmentFiles(base, file, file.resolveSibling(stem + Segment.INDEX_SUFFIX),
                file.resolveSibling(stem + Segment.TIME_INDEX_SUFFIX), last);
        return new PartitionFiles(file, List.of(segment), List.of());
    }

    private static PartitionFiles listDirectory(Path dir) throws IOException, NotAPartitionException {
        TreeSet<Long> dataFiles = new TreeSet<>();
        TreeMap<Long, List<Path>> indexFiles = new TreeMap<>();
        List<Finding> findings = new ArrayList<>();
        List<String> partitionDirs = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries.sorted()::iterator) {
                String name = p.getFileName().toString();
                Matcher m = SEGMENT_FILE.matcher(name);
                if (m.matches() && Files.isRegularFile(p)) {
                    long base = Long.parseLong(m.group(1));
                    if (m.group(2).equals(Segment.LOG_SUFFIX)) {
                        dataFiles.add(base);
                    } else {
                        indexFiles.computeIfAbsent(base, b -> new ArrayList<>()).add(p);
                    }
                } else if (name.endsWith(Segment.DELETED_SUFFIX)) {
                    findings.add(new Finding(p, false, "renamed for deletion; the broker deletes it when no reader holds it"));
                } else if (name.equals("leader-epoch-checkpoint")) {
                    findings.add(new Finding(p, false, "the leader-epoch checkpoint: which epoch wrote which offsets"));
                } else if (name.endsWith(".prepared")) {
                    findings.add(new Finding(p, false, "the next segment's data file, prepared ahead of a roll"));
                } else {
                    if (Files.isDirectory(p) && TopicPartition.fromDirName(name) != null) {
                        partitionDirs.add(p.toString());
                    }
                    findings.add(new Finding(p, true, "unexpected in a partition directory: the broker refuses to load"
                            + " a log whose directory holds it"));
                }
            }
        }
        if (dataFiles.isEmpty()) {
            throw new NotAPartitionException(dir + " holds no segment data files (<20 digits>" + Segment.LOG_SUFFIX
                    + "), so it is not a partition directory" + (partitionDirs.isEmpty() ? ""
                    : "; partition directories in it: " + String.join(", ", partitionDirs.subList(0, Math.min(5,
                    partitionDirs.size()))) + (partitionDirs.size() > 5 ? ", ..." : "")));
        }
        for (var e : indexFiles.entrySet()) {
            if (!dataFiles.contains(e.getKey())) {
                for (Path orphan : e.getValue()) {
                    findings.add(new Finding(orphan, false, "index without a data file; the broker deletes it on load"));
                }
            }
        }
        List<SegmentFiles> segments = new ArrayList<>();
        for (long base : dataFiles) {
            segments.add(new SegmentFiles(base, dir.resolve(Segment.fileName(base, Segment.LOG_SUFFIX)),
                    dir.resolve(Segment.fileName(base, Segment.INDEX_SUFFIX)),
                    dir.resolve(Segment.fileName(base, Segment.TIME_INDEX_SUFFIX)), base == dataFiles.last()));
        }
        return new PartitionFiles(dir, List.copyOf(segments), List.copyOf(findings));
    }

    /** The largest base offset among the segment data files in {@code dir}, or -1. */
    private static long newestBase(Path dir) throws IOException {
        if (dir == null) {
            return -1;
        }
        Set<Long> bases = new TreeSet<>();
        try (Stream<Path> entries = Files.list(dir)) {
            entries.map(p -> SEGMENT_FILE.matcher(p.getFileName().toString()))
                    .filter(m -> m.matches() && m.group(2).equals(Segment.LOG_SUFFIX))
                    .forEach(m -> bases.add(Long.parseLong(m.group(1))));
        }
        return bases.stream().mapToLong(Long::longValue).max().orElse(-1);
    }
}
