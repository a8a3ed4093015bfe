package io.sluice.broker.group;

import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.log.RecordBatchTooLargeException;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.state.StoreBatch;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.record.Record;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatchBuilder;
import io.sluice.proto.record.RecordBatches;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits and fetches consumer offsets. A commit appends one batch of offset records to the group's partition of
 * {@value #OFFSETS_TOPIC} (the durable copy, replicated with the topic) and then applies it to the {@link OffsetsView}
 * in the broker store (the copy fetches read). {@link #load} brings a partition's view up to its log before the
 * partition is served: at broker start, and when this broker becomes the partition's leader.
 *
 * <p>Thread-safety: every operation runs on the single "sluice-group-coordinator" thread, which owns the set of loaded
 * partitions and is the only writer of the view and of the offsets partitions; callers get futures and never block
 * on the disk. Futures complete on that thread.
 */
public final class GroupCoordinator implements AutoCloseable {
    public static final String OFFSETS_TOPIC = "__consumer_offsets";
    /** {@code offsets.topic.num.partitions}; Kafka's default is 50, a single-node broker needs fewer. */
    public static final int DEFAULT_NUM_PARTITIONS = 8;
    /** {@code offset.metadata.max.bytes}, as Kafka. */
    public static final int DEFAULT_MAX_METADATA_BYTES = 4096;
    /** Bytes read from an offsets partition at a time while loading. */
    private static final int LOAD_READ_BYTES = 1 << 20;
    private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);

    private final OffsetsLog offsetsLog;
    private final OffsetsView view;
    private final int numPartitions;
    private final int maxMetadataBytes;
    private final Clock clock;
    private final ExecutorService thread;
    /** Offsets partitions whose view is up to date and which this broker serves; coordinator thread only. */
    private final Set<Integer> loaded = new HashSet<>();

    public GroupCoordinator(OffsetsLog offsetsLog, BrokerStore store, int numPartitions, int maxMetadataBytes,
                            Clock clock) {
        if (numPartitions < 1) {
            throw new IllegalArgumentException("offsets.topic.num.partitions: " + numPartitions + " must be positive");
        }
        this.offsetsLog = offsetsLog;
        this.view = new OffsetsView(store);
        this.numPartitions = numPartitions;
        this.maxMetadataBytes = maxMetadataBytes;
        this.clock = clock;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sluice-group-coordinator");
            t.setDaemon(true);
            return t;
        });
    }

    /** The offsets partition that holds {@code groupId}'s commits: Kafka's {@code Utils.abs(hashCode) % n}. */
    public static int partitionFor(String groupId, int numPartitions) {
        int hash = groupId.hashCode();
        // Math.abs(Integer.MIN_VALUE) is negative; Kafka's Utils.abs maps it to 0.
        return (hash == Integer.MIN_VALUE ? 0 : Math.abs(hash)) % numPartitions;
    }

    public int partitionFor(String groupId) {
        return partitionFor(groupId, numPartitions);
    }

    // ---------------------------------------------------------------- commit

    /**
     * Commits {@code offsets} for {@code group}: per partition {@code NONE}, {@code OFFSET_METADATA_TOO_LARGE} (that
     * partition only; the others are committed), or for all of them {@code INVALID_GROUP_ID},
     * {@code COORDINATOR_NOT_AVAILABLE} (the group's offsets partition is not loaded here, or its log failed) or
     * {@code RECORD_BATCH_TOO_LARGE}. A commit timestamp of -1 is stamped with the coordinator's clock.
     */
    public CompletableFuture<Map<TopicPartition, ErrorCode>> commit(String group,
                                                                     Map<TopicPartition, OffsetAndMetadata> offsets) {
        return submit(() -> commitOnThread(group, offsets));
    }

    private Map<TopicPartition, ErrorCode> commitOnThread(String group, Map<TopicPartition, OffsetAndMetadata> offsets) {
        Map<TopicPartition, ErrorCode> result = new LinkedHashMap<>();
        ErrorCode groupError = validateGroup(group);
        if (groupError == ErrorCode.NONE && !loaded.contains(partitionFor(group))) {
            groupError = ErrorCode.COORDINATOR_NOT_AVAILABLE;
        }
        if (groupError != ErrorCode.NONE) {
            for (TopicPartition tp : offsets.keySet()) {
                result.put(tp, groupError);
            }
            return result;
        }
        int partition = partitionFor(group);
        long now = clock.milliseconds();
        Map<OffsetKey, OffsetAndMetadata> accepted = new LinkedHashMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
            OffsetAndMetadata value = e.getValue();
            if (value.metadata().getBytes(StandardCharsets.UTF_8).length > maxMetadataBytes) {
                result.put(e.getKey(), ErrorCode.OFFSET_METADATA_TOO_LARGE);
                continue;
            }
            if (value.commitTimestamp() == OffsetAndMetadata.NO_TIMESTAMP) {
                value = value.withCommitTimestamp(now);
            }
            accepted.put(new OffsetKey(group, e.getKey()), value);
            result.put(e.getKey(), ErrorCode.NONE);
        }
        if (accepted.isEmpty()) {
            return result;
        }
        ErrorCode error = append(partition, accepted);
        if (error != ErrorCode.NONE) {
            for (OffsetKey key : accepted.keySet()) {
                result.put(key.tp(), error);
            }
        }
        return result;
    }

    private ErrorCode append(int partition, Map<OffsetKey, OffsetAndMetadata> accepted) {
        RecordBatchBuilder builder = new RecordBatchBuilder(64 * accepted.size() + RecordBatch.HEADER_SIZE);
        for (Map.Entry<OffsetKey, OffsetAndMetadata> e : accepted.entrySet()) {
            builder.append(e.getValue().commitTimestamp(), OffsetRecords.encodeKey(e.getKey()),
                    OffsetRecords.encodeValue(e.getValue()));
        }
        LogAppendInfo info;
        try {
            info = offsetsLog.append(partition, builder.build());
        } catch (RecordBatchTooLargeException e) {
            log.warn("{}-{}: offset commit of {} partitions refused: {}", OFFSETS_TOPIC, partition, accepted.size(),
                    e.getMessage());
            return ErrorCode.RECORD_BATCH_TOO_LARGE;
        } catch (RuntimeException e) {
            log.error("{}-{}: appending an offset commit of {} partitions failed; answering COORDINATOR_NOT_AVAILABLE",
                    OFFSETS_TOPIC, partition, accepted.size(), e);
            return ErrorCode.COORDINATOR_NOT_AVAILABLE;
        }
        // The batch's records got offsets firstOffset, firstOffset + 1, ... in the order they were built.
        StoreBatch batch = new StoreBatch();
        for (Map.Entry<OffsetKey, OffsetAndMetadata> e : accepted.entrySet()) {
            view.put(batch, partition, e.getKey(), e.getValue());
        }
        view.setApplied(batch, partition, info.lastOffset());
        try {
            view.write(batch);
        } catch (RuntimeException e) {
            // The commit is in the log, which is the truth; the view missed it, so the partition is not served
            // until load() has replayed the log into it again.
            loaded.remove(partition);
            log.error("{}-{}: the offset commit at {}..{} is in the log but the view could not be updated; the"
                    + " partition is unloaded until it is loaded again", OFFSETS_TOPIC, partition, info.firstOffset(),
                    info.lastOffset(), e);
        }
        return ErrorCode.NONE;
    }

    private ErrorCode validateGroup(String group) {
        if (group == null || group.isEmpty() || group.getBytes(StandardCharsets.UTF_8).length > Short.MAX_VALUE) {
            return ErrorCode.INVALID_GROUP_ID;
        }
        return ErrorCode.NONE;
    }

    // ---------------------------------------------------------------- fetch

    /**
     * The group's committed offsets for {@code partitions}, or for every partition it committed when
     * {@code partitions} is null.
     */
    public CompletableFuture<OffsetFetchResult> fetch(String group, Collection<TopicPartition> partitions) {
        return submit(() -> {
            if (validateGroup(group) != ErrorCode.NONE) {
                return OffsetFetchResult.failed(ErrorCode.INVALID_GROUP_ID, "group id '" + group + "' is not valid");
            }
            int partition = partitionFor(group);
            if (!loaded.contains(partition)) {
                return OffsetFetchResult.failed(ErrorCode.COORDINATOR_NOT_AVAILABLE,
                        OFFSETS_TOPIC + "-" + partition + " is not loaded on this broker");
            }
            Set<TopicPartition> wanted = partitions == null ? null : new HashSet<>(partitions);
            Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
            for (Map.Entry<OffsetKey, OffsetAndMetadata> e : view.group(partition, group).entrySet()) {
                if (wanted == null || wanted.contains(e.getKey().tp())) {
                    out.put(e.getKey().tp(), e.getValue());
                }
            }
            return new OffsetFetchResult(ErrorCode.NONE, null, out);
        });
    }

    // ---------------------------------------------------------------- loading

    /**
     * Brings the view of {@code partition} up to its log and starts serving it: replays the log from the view's
     * applied offset + 1 to the end. When the view has nothing for the partition, or its applied offset is at or past
     * the log end (the log lost a tail the view had applied, e.g. in a machine crash), the partition's view is
     * dropped and rebuilt from the log start. A view that is behind the log start (retention removed records it had
     * not applied) keeps what it has and replays what the log still holds.
     */
    public CompletableFuture<Void> load(int partition) {
        checkPartition(partition);
        return submit(() -> {
            loadOnThread(partition);
            return null;
        });
    }

    private void loadOnThread(int partition) {
        long start = offsetsLog.logStartOffset(partition);
        long end = offsetsLog.logEndOffset(partition);
        OptionalLong applied = view.applied(partition);
        long from;
        if (applied.isEmpty() || applied.getAsLong() >= end) {
            if (applied.isPresent()) {
                log.warn("{}-{}: the offsets view applied up to offset {} but the log ends at {} (it lost a tail);"
                        + " rebuilding the view from the log start {}", OFFSETS_TOPIC, partition, applied.getAsLong(),
                        end, start);
            }
            StoreBatch clear = new StoreBatch();
            view.clear(clear, partition);
            view.setApplied(clear, partition, start - 1);
            view.write(clear);
            from = start;
        } else {
            from = Math.max(applied.getAsLong() + 1, start);
        }
        int records = replay(partition, from, end);
        loaded.add(partition);
        log.info("{}-{}: loaded offsets {}..{} ({} records applied to the view)", OFFSETS_TOPIC, partition, from, end,
                records);
    }

    /** Applies the records at offsets {@code [from, end)} to the view, one store batch per slice read. */
    private int replay(int partition, long from, long end) {
        long next = from;
        int applied = 0;
        while (next < end) {
            ByteBuffer bytes;
            try (LogSlice slice = offsetsLog.read(partition, next, LOAD_READ_BYTES)) {
                if (slice.isEmpty()) {
                    break;
                }
                bytes = slice.readAll();
            } catch (IOException e) {
                throw new UncheckedIOException(OFFSETS_TOPIC + "-" + partition + ": reading at offset " + next, e);
            }
            StoreBatch batch = new StoreBatch();
            long last = next - 1;
            for (RecordBatch b : RecordBatches.of(bytes)) {
                b.ensureValid(); // a damaged batch stops the load with its position and offset, never skipped
                if (b.lastOffset() < next) {
                    continue; // the first batch of a slice may start before the offset asked for
                }
                for (Record r : b) {
                    if (r.offset() < next || r.offset() >= end) {
                        continue;
                    }
                    OffsetKey key = OffsetRecords.decodeKey(r.key());
                    if (key != null) {
                        if (r.valueSize() < 0) { // a tombstone: the offset was deleted
                            view.remove(batch, partition, key);
                        } else {
                            view.put(batch, partition, key, OffsetRecords.decodeValue(r.value()));
                        }
                        applied++;
                    }
                    // Records of other kinds or versions (group metadata, later) are not offsets: skipped.
                }
                last = Math.min(b.lastOffset(), end - 1);
            }
            if (last < next) {
                break; // nothing readable past 'next' (should not happen below the end): stop rather than spin
            }
            view.setApplied(batch, partition, last);
            view.write(batch);
            next = last + 1;
        }
        return applied;
    }

    /** Stops serving {@code partition} (this broker is no longer its leader); the view stays for a later load. */
    public CompletableFuture<Void> unload(int partition) {
        checkPartition(partition);
        return submit(() -> {
            loaded.remove(partition);
            return null;
        });
    }

    /** Whether {@code partition} is loaded and served; a snapshot, for tests and metrics. */
    public CompletableFuture<Boolean> isLoaded(int partition) {
        return submit(() -> loaded.contains(partition));
    }

    private void checkPartition(int partition) {
        if (partition < 0 || partition >= numPartitions) {
            throw new IllegalArgumentException(OFFSETS_TOPIC + " partition " + partition + " is out of range [0, "
                    + numPartitions + ")");
        }
    }

    private <T> CompletableFuture<T> submit(Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    result.complete(work.call());
                } catch (Exception e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("group coordinator is closed", e));
        }
        return result;
    }

    /** Finishes the operations already submitted (bounded), then stops. The store and the log stay open. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("group coordinator did not finish its queued operations in 30 s; stopping it");
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
