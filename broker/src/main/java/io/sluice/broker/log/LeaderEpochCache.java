package io.sluice.broker.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Which leader epoch wrote which offsets of a log: an ordered list of (epoch, start offset) entries, the
 * start offset being the first offset written under that epoch. Epochs strictly increase and start offsets
 * never decrease. It answers {@code OffsetsForLeaderEpoch} on a leader and drives a follower's truncation.
 *
 * <p>Stored beside the log in {@value #FILE_NAME}, Kafka's text format:
 * <pre>
 * 0                     version
 * 2                     number of entries
 * 3 0                   epoch, start offset
 * 5 1200
 * </pre>
 * Crash contract: the file is written whole to {@value #TEMP_SUFFIX}, forced, and renamed over the old one
 * (an atomic move, the directory forced after it), so after a crash it is either the old list or the new one,
 * never a mix. Removals (a truncation, a retention pass) are written at once. An added epoch is not: writing it
 * would put file I/O, and an fsync, under the log's lock into the first append of every partition after a leader
 * change. (Kafka still forces it in {@code assign}; KAFKA-15046 took only its other fsyncs out of the log
 * lock. Here the log reads back from the batches what a crash lost instead.) It is written by {@link #force},
 * which the log calls before its recovery point may pass the new epoch's start offset; a crash before that leaves
 * the old list, and the log reads the epochs above its recovery point back from the batches.
 *
 * <p>Thread-safety: changed only by the owning {@link Log}, under its lock; each change publishes a new
 * immutable list, so {@link #force} may run on the log's background seal without that lock. The file is written
 * under this cache's monitor.
 */
final class LeaderEpochCache {
    static final String FILE_NAME = "leader-epoch-checkpoint";
    static final String TEMP_SUFFIX = ".tmp";
    private static final int VERSION = 0;

    private final Path file;
    /** Immutable; replaced by every change. */
    private volatile List<EpochEntry> entries;
    /** Set after an entry was added and not yet written; cleared by the write that holds it. */
    private volatile boolean unwritten;

    private LeaderEpochCache(Path file, List<EpochEntry> entries) {
        this.file = file;
        this.entries = List.copyOf(entries);
    }

    /** An empty cache that writes to {@code dir}. */
    static LeaderEpochCache empty(Path dir) {
        return new LeaderEpochCache(dir.resolve(FILE_NAME), new ArrayList<>());
    }

    /**
     * Reads the checkpoint in {@code dir}; an absent file is an empty cache.
     *
     * @throws LogCorruptionException naming the file and line when it does not parse or its entries are not ordered
     */
    static LeaderEpochCache load(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new LeaderEpochCache(file, new ArrayList<>());
        } catch (IOException e) {
            throw new LogStorageException(file, "reading the leader-epoch checkpoint", e);
        }
        List<EpochEntry> entries = new ArrayList<>();
        try {
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                throw new LogCorruptionException(file, 0, "not a version " + VERSION + " leader-epoch checkpoint");
            }
            int count = Integer.parseInt(lines.get(1).trim());
            if (count < 0 || lines.size() != count + 2) {
                throw new LogCorruptionException(file, 1, "declares " + count + " entries but holds " + (lines.size() - 2));
            }
            for (int i = 0; i < count; i++) {
                String[] parts = lines.get(i + 2).trim().split(" ");
                if (parts.length != 2) {
                    throw new LogCorruptionException(file, i + 2, "expected 'epoch offset', found '" + lines.get(i + 2) + "'");
                }
                EpochEntry entry = new EpochEntry(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
                if (entry.epoch() < 0 || entry.startOffset() < 0 || (!entries.isEmpty()
                        && (entry.epoch() <= last(entries).epoch() || entry.startOffset() < last(entries).startOffset()))) {
                    throw new LogCorruptionException(file, i + 2, "entry " + entry + " out of order after "
                            + (entries.isEmpty() ? "nothing" : last(entries)));
                }
                entries.add(entry);
            }
        } catch (NumberFormatException e) {
            throw new LogCorruptionException(file, 0, "not a number: " + e.getMessage());
        }
        return new LeaderEpochCache(file, entries);
    }

    private static EpochEntry last(List<EpochEntry> list) {
        return list.get(list.size() - 1);
    }

    Path file() {
        return file;
    }

    List<EpochEntry> entries() {
        return entries;
    }

    /** The newest epoch, or -1 when there is none. */
    int latestEpoch() {
        return entries.isEmpty() ? -1 : last(entries).epoch();
    }

    /**
     * Records that {@code epoch} starts at {@code startOffset}, if it is newer than the latest epoch (an
     * older or equal one changes nothing). No I/O: {@link #force} writes it.
     */
    boolean assign(int epoch, long startOffset) {
        if (epoch < 0 || epoch <= latestEpoch()) {
            return false;
        }
        List<EpochEntry> next = new ArrayList<>(entries);
        next.add(new EpochEntry(epoch, startOffset));
        entries = List.copyOf(next);
        unwritten = true;
        return true;
    }

    /** Removes the entries of epochs that start at or after {@code endOffset} (the log was truncated there). */
    boolean truncateFromEnd(long endOffset) {
        List<EpochEntry> next = new ArrayList<>(entries);
        boolean changed = next.removeIf(e -> e.startOffset() >= endOffset);
        if (changed) {
            entries = List.copyOf(next);
            write();
        }
        return changed;
    }

    /**
     * Drops the entries wholly below {@code startOffset} (retention deleted their records); the epoch that
     * holds {@code startOffset} is kept, starting there, so the earliest epoch still in the log stays known.
     */
    boolean truncateFromStart(long startOffset) {
        int keepFrom = 0;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).startOffset() <= startOffset) {
                keepFrom = i;
            }
        }
        if (entries.isEmpty() || (keepFrom == 0 && entries.get(0).startOffset() >= startOffset)) {
            return false;
        }
        EpochEntry holder = entries.get(keepFrom);
        List<EpochEntry> next = new ArrayList<>(entries.subList(keepFrom, entries.size()));
        next.set(0, new EpochEntry(holder.epoch(), Math.max(holder.startOffset(), startOffset)));
        entries = List.copyOf(next);
        write();
        return true;
    }

    /** Forgets every entry (the log was emptied). */
    void clear() {
        if (!entries.isEmpty()) {
            entries = List.of();
            write();
        }
    }

    /**
     * The largest epoch at or below {@code requestedEpoch} and where it ends: the start of the next epoch, or
     * {@code logEndOffset} for the newest. {@link EpochEndOffset#UNDEFINED} when no epoch is that old.
     */
    EpochEndOffset endOffsetFor(int requestedEpoch, long logEndOffset) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            EpochEntry e = entries.get(i);
            if (e.epoch() <= requestedEpoch) {
                long end = i == entries.size() - 1 ? logEndOffset : entries.get(i + 1).startOffset();
                return new EpochEndOffset(e.epoch(), end);
            }
        }
        return EpochEndOffset.UNDEFINED;
    }

    /**
     * Writes the checkpoint, forced to the device, if an entry was added since it last was. Any thread, no log lock
     * needed; blocks for the fsync.
     */
    void force() {
        if (unwritten) {
            write();
        }
    }

    /** Writes the current entries to the temporary file, forces it, and renames it over the checkpoint. */
    private synchronized void write() {
        // Cleared before the entries are read: an entry added meanwhile sets it again and is written next time.
        unwritten = false;
        List<EpochEntry> snapshot = entries;
        StringBuilder text = new StringBuilder().append(VERSION).append('\n').append(snapshot.size()).append('\n');
        for (EpochEntry e : snapshot) {
            text.append(e.epoch()).append(' ').append(e.startOffset()).append('\n');
        }
        Path temp = file.resolveSibling(FILE_NAME + TEMP_SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            unwritten = true;
            throw new LogStorageException(file, "writing the leader-epoch checkpoint", e);
        }
        forceDirectory();
    }

    /** Makes the last rename durable; a file system that cannot open a directory for it is left as it is. */
    private void forceDirectory() {
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Not every platform opens a directory as a channel; the file's own force still holds its bytes.
        }
    }

    @Override
    public String toString() {
        return "LeaderEpochCache" + entries;
    }
}
