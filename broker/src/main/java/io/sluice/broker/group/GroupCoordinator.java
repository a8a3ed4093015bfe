package io.sluice.broker.group;

import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.RecordBatchTooLargeException;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.util.Clock;
import io.sluice.proto.ConsumerOffsets;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group coordinator of the groups whose {@value #OFFSETS_TOPIC} partition this broker leads (Kafka's model): it
 * commits and fetches their offsets. Any other broker's groups are answered {@code NOT_COORDINATOR}.
 *
 * <p>A partition is served from the moment this broker leads it ({@link #load}) and has loaded it: first the high
 * watermark must reach the log end (everything the previous leader may have acknowledged is then committed here),
 * then the log up to the high watermark is replayed into the {@link OffsetsView}; until then requests are answered
 * {@code COORDINATOR_LOAD_IN_PROGRESS}. {@link #unload} (leadership lost) stops serving at once.
 *
 * <p>A commit appends one batch to the group's partition as an {@code acks=all} produce would, and is answered only
 * once the high watermark has passed it ({@code offsets.commit.timeout.ms}); the view follows the high watermark (see
 * {@link OffsetsViewLoader}), so a fetch never returns an offset that is not committed.
 *
 * <p>Thread-safety: every operation runs on the single "sluice-group-coordinator" thread, which owns the partition
 * states and is the only writer of the view and of the offsets partitions; callers get futures and never block on the
 * disk. Waiting for the high watermark takes no thread (the produce purgatory). Futures complete on that thread.
 */
public final class GroupCoordinator implements AutoCloseable {
    public static final String OFFSETS_TOPIC = ConsumerOffsets.TOPIC;
    /** {@code offset.metadata.max.bytes}, as Kafka. */
    public static final int DEFAULT_MAX_METADATA_BYTES = 4096;
    /** {@code offsets.commit.timeout.ms}, as Kafka. */
    public static final long DEFAULT_COMMIT_TIMEOUT_MS = 5_000;
    /** How long a load waits for the high watermark before it says so in the log (and waits on). */
    static final long LOAD_WAIT_MS = 30_000;
    private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);

    private final OffsetsLog offsetsLog;
    private final OffsetsTopic topic;
    private final OffsetsView view;
    private final OffsetsViewLoader loader;
    private final int maxMetadataBytes;
    private final long commitTimeoutMs;
    private final Clock clock;
    private final ExecutorService thread;
    /** The offsets partitions this broker leads, by partition; coordinator thread only. */
    private final Map<Integer, Coordination> coordinating = new HashMap<>();

    /** Where serving one offsets partition stands. Coordinator thread only. */
    private static final class Coordination {
        final int leaderEpoch;
        final CompletableFuture<Boolean> loaded = new CompletableFuture<>();
        State state = State.LOADING;

        Coordination(int leaderEpoch) {
            this.leaderEpoch = leaderEpoch;
        }
    }

    private enum State { LOADING, LOADED, FAILED }

    public GroupCoordinator(OffsetsLog offsetsLog, BrokerStore store, OffsetsTopic topic, int maxMetadataBytes,
                            long commitTimeoutMs, Clock clock) {
        this.offsetsLog = offsetsLog;
        this.topic = topic;
        this.view = new OffsetsView(store);
        this.loader = new OffsetsViewLoader(offsetsLog, view);
        this.maxMetadataBytes = maxMetadataBytes;
        this.commitTimeoutMs = commitTimeoutMs;
        this.clock = clock;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sluice-group-coordinator");
            t.setDaemon(true);
            return t;
        });
    }

    /** The offsets partition that holds {@code groupId}'s commits: Kafka's {@code Utils.abs(hashCode) % n}. */
    public static int partitionFor(String groupId, int numPartitions) {
        return ConsumerOffsets.partitionFor(groupId, numPartitions);
    }

    /** The group's offsets partition, or -1 while the topic does not exist. */
    public int partitionFor(String groupId) {
        int n = topic.partitions();
        return n < 1 ? -1 : partitionFor(groupId, n);
    }

    // ---------------------------------------------------------------- commit

    /**
     * Commits {@code offsets} for {@code group}: per partition {@code NONE} or {@code OFFSET_METADATA_TOO_LARGE}
     * (that partition only; the others are committed), or for all of them {@code INVALID_GROUP_ID},
     * {@code NOT_COORDINATOR}, {@code COORDINATOR_LOAD_IN_PROGRESS}, {@code COORDINATOR_NOT_AVAILABLE} (no topic yet,
     * too few in-sync replicas, not committed in time, or the log failed) or {@code RECORD_BATCH_TOO_LARGE}. A commit
     * timestamp of -1 is stamped with the coordinator's clock. Completes once the commit is committed or failed.
     */
    public CompletableFuture<Map<TopicPartition, ErrorCode>> commit(String group,
                                                                     Map<TopicPartition, OffsetAndMetadata> offsets) {
        return submit(() -> commitOnThread(group, offsets)).thenCompose(f -> f);
    }

    private CompletableFuture<Map<TopicPartition, ErrorCode>> commitOnThread(
            String group, Map<TopicPartition, OffsetAndMetadata> offsets) {
        Serving serving = servingGroup(group);
        if (!serving.result().ok()) {
            return CompletableFuture.completedFuture(all(offsets.keySet(), serving.result().error()));
        }
        int partition = serving.partition();
        Coordination c = coordinating.get(partition);
        Map<TopicPartition, ErrorCode> result = new LinkedHashMap<>();
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
            return CompletableFuture.completedFuture(result);
        }
        int p = partition;
        ErrorCode appendError;
        LogAppendInfo info = null;
        try {
            info = offsetsLog.append(p, c.leaderEpoch, encode(accepted));
            appendError = ErrorCode.NONE;
        } catch (RecordBatchTooLargeException e) {
            log.warn("{}-{}: offset commit of {} partitions refused: {}", OFFSETS_TOPIC, p, accepted.size(),
                    e.getMessage());
            appendError = ErrorCode.RECORD_BATCH_TOO_LARGE;
        } catch (OffsetsLogException e) {
            appendError = commitError(e.errorCode());
        } catch (RuntimeException e) {
            log.error("{}-{}: appending an offset commit of {} partitions failed; answering COORDINATOR_NOT_AVAILABLE",
                    OFFSETS_TOPIC, p, accepted.size(), e);
            appendError = ErrorCode.COORDINATOR_NOT_AVAILABLE;
        }
        if (appendError != ErrorCode.NONE) {
            result.putAll(all(offsets.keySet().stream().filter(tp -> result.get(tp) == ErrorCode.NONE).toList(),
                    appendError));
            return CompletableFuture.completedFuture(result);
        }
        long lastOffset = info.lastOffset();
        CompletableFuture<Map<TopicPartition, ErrorCode>> answer = new CompletableFuture<>();
        offsetsLog.awaitCommitted(p, c.leaderEpoch, lastOffset, commitTimeoutMs).whenComplete((v, e) -> execute(() -> {
            ErrorCode error = ErrorCode.NONE;
            if (e != null) {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                error = cause instanceof OffsetsLogException o ? commitError(o.errorCode())
                        : ErrorCode.COORDINATOR_NOT_AVAILABLE;
                log.debug("{}-{}: offset commit at {} not committed: {}", OFFSETS_TOPIC, p, lastOffset,
                        cause.getMessage());
            } else if (coordinating.get(p) == c && c.state == State.LOADED) {
                catchUpQuietly(p);
            }
            for (OffsetKey k : accepted.keySet()) {
                result.put(k.tp(), error);
            }
            answer.complete(result);
        }, answer));
        return answer;
    }

    /** Kafka's mapping of the append errors of an offset commit to what the group's client understands. */
    private static ErrorCode commitError(ErrorCode appendError) {
        return switch (appendError) {
            case NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH -> ErrorCode.NOT_COORDINATOR;
            case RECORD_BATCH_TOO_LARGE -> ErrorCode.RECORD_BATCH_TOO_LARGE;
            default -> ErrorCode.COORDINATOR_NOT_AVAILABLE; // NOT_ENOUGH_REPLICAS(_AFTER_APPEND), REQUEST_TIMED_OUT, ...
        };
    }

    private static ByteBuffer encode(Map<OffsetKey, OffsetAndMetadata> accepted) {
        RecordBatchBuilder builder = new RecordBatchBuilder(64 * accepted.size() + RecordBatch.HEADER_SIZE);
        for (Map.Entry<OffsetKey, OffsetAndMetadata> e : accepted.entrySet()) {
            builder.append(e.getValue().commitTimestamp(), OffsetRecords.encodeKey(e.getKey()),
                    OffsetRecords.encodeValue(e.getValue()));
        }
        return builder.build();
    }

    /** Brings the view up to the high watermark; a failure leaves it behind (fetches try again) and is logged. */
    private void catchUpQuietly(int partition) {
        try {
            loader.catchUp(partition);
        } catch (RuntimeException e) {
            log.error("{}-{}: the offsets view could not be brought up to the high watermark; fetches of its groups"
                    + " answer COORDINATOR_NOT_AVAILABLE until it can", OFFSETS_TOPIC, partition, e);
        }
    }

    // ---------------------------------------------------------------- fetch

    /**
     * The group's committed offsets for {@code partitions}, or for every partition it committed when
     * {@code partitions} is null: only commits the high watermark has passed.
     */
    public CompletableFuture<OffsetFetchResult> fetch(String group, Collection<TopicPartition> partitions) {
        return submit(() -> {
            Serving serving = servingGroup(group);
            if (!serving.result().ok()) {
                return OffsetFetchResult.failed(serving.result().error(), serving.result().message());
            }
            int partition = serving.partition();
            try {
                loader.catchUp(partition);
            } catch (RuntimeException e) {
                log.error("{}-{}: the offsets view could not be brought up to the high watermark", OFFSETS_TOPIC,
                        partition, e);
                return OffsetFetchResult.failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, OFFSETS_TOPIC + "-" + partition
                        + ": the committed offsets could not be read on this broker: " + e.getMessage());
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

    // ---------------------------------------------------------------- who serves what

    private record ApiResult(ErrorCode error, String message) {
        static final ApiResult OK = new ApiResult(ErrorCode.NONE, null);

        boolean ok() {
            return error == ErrorCode.NONE;
        }
    }

    /** The group's offsets partition, and whether this broker serves it now (or why not). */
    private record Serving(int partition, ApiResult result) {
    }

    private Serving servingGroup(String group) {
        ApiResult valid = validateGroup(group);
        if (!valid.ok()) {
            return new Serving(-1, valid);
        }
        int partition = partitionFor(group);
        return new Serving(partition, serving(partition));
    }

    private static ApiResult validateGroup(String group) {
        if (group == null || group.isEmpty() || group.getBytes(StandardCharsets.UTF_8).length > Short.MAX_VALUE) {
            return new ApiResult(ErrorCode.INVALID_GROUP_ID, "group id '" + group + "' is not valid");
        }
        return ApiResult.OK;
    }

    /** Whether this broker serves offsets partition {@code partition} now (-1: the topic does not exist yet). */
    private ApiResult serving(int partition) {
        if (partition < 0) {
            topic.create();
            return new ApiResult(ErrorCode.COORDINATOR_NOT_AVAILABLE, OFFSETS_TOPIC + " does not exist yet; it is"
                    + " created once offsets.topic.replication.factor brokers are registered; retry");
        }
        Coordination c = coordinating.get(partition);
        if (c == null || offsetsLog.leaderEpoch(partition) != c.leaderEpoch) {
            return new ApiResult(ErrorCode.NOT_COORDINATOR, "this broker does not lead " + OFFSETS_TOPIC + "-"
                    + partition + "; its leader is the group's coordinator");
        }
        switch (c.state) {
            case LOADED -> {
                return ApiResult.OK;
            }
            case FAILED -> {
                c.state = State.LOADING;
                startLoad(partition, c);
            }
            default -> {
            }
        }
        return new ApiResult(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, OFFSETS_TOPIC + "-" + partition
                + " is being loaded on this broker; retry");
    }

    private static Map<TopicPartition, ErrorCode> all(Collection<TopicPartition> partitions, ErrorCode error) {
        Map<TopicPartition, ErrorCode> out = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            out.put(tp, error);
        }
        return out;
    }

    // ---------------------------------------------------------------- loading

    /**
     * This broker leads {@code partition} at {@code leaderEpoch}: serve it once loaded (see the class comment).
     * Completes with true once loaded, false when the leadership moved on first (or the load failed: it is tried
     * again at the next request).
     */
    public CompletableFuture<Boolean> load(int partition, int leaderEpoch) {
        return submit(() -> {
            Coordination current = coordinating.get(partition);
            if (current != null && current.leaderEpoch == leaderEpoch) {
                return current.loaded;
            }
            if (current != null) {
                current.loaded.complete(false);
            }
            Coordination c = new Coordination(leaderEpoch);
            coordinating.put(partition, c);
            startLoad(partition, c);
            return c.loaded;
        }).thenCompose(f -> f);
    }

    /** Loads once the high watermark has reached the log end; coordinator thread. */
    private void startLoad(int partition, Coordination c) {
        if (coordinating.get(partition) != c) {
            return;
        }
        if (offsetsLog.leaderEpoch(partition) != c.leaderEpoch) {
            stopCoordinating(partition, c); // the leadership moved on; its own event follows
            return;
        }
        long end = offsetsLog.logEndOffset(partition);
        if (offsetsLog.highWatermark(partition) >= end) {
            finishLoad(partition, c);
            return;
        }
        log.info("{}-{}: leading at epoch {}; loading once the high watermark {} reaches the log end {}",
                OFFSETS_TOPIC, partition, c.leaderEpoch, offsetsLog.highWatermark(partition), end);
        offsetsLog.awaitCommitted(partition, c.leaderEpoch, end - 1, LOAD_WAIT_MS).whenComplete((v, e) -> execute(() -> {
            if (coordinating.get(partition) != c) {
                return;
            }
            if (e == null) {
                finishLoad(partition, c);
                return;
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof OffsetsLogException o && o.errorCode() == ErrorCode.REQUEST_TIMED_OUT) {
                log.warn("{}-{}: the high watermark {} has not reached the log end {} in {} ms (followers behind or"
                        + " out of the in-sync set soon); still waiting to load", OFFSETS_TOPIC, partition,
                        offsetsLog.highWatermark(partition), end, LOAD_WAIT_MS);
                startLoad(partition, c);
            } else {
                log.info("{}-{}: not loaded: {}", OFFSETS_TOPIC, partition, cause.getMessage());
                stopCoordinating(partition, c);
            }
        }, null));
    }

    private void finishLoad(int partition, Coordination c) {
        try {
            loader.load(partition);
        } catch (RuntimeException e) {
            log.error("{}-{}: loading the committed offsets failed; its groups are answered"
                    + " COORDINATOR_LOAD_IN_PROGRESS and the load is tried again at their next request",
                    OFFSETS_TOPIC, partition, e);
            c.state = State.FAILED;
            c.loaded.complete(false);
            return;
        }
        c.state = State.LOADED;
        c.loaded.complete(true);
    }

    private void stopCoordinating(int partition, Coordination c) {
        if (coordinating.get(partition) == c) {
            coordinating.remove(partition);
        }
        c.loaded.complete(false);
    }

    /**
     * This broker no longer leads {@code partition}: its groups are answered {@code NOT_COORDINATOR} from now on;
     * the view stays for a later load.
     */
    public CompletableFuture<Void> unload(int partition) {
        return submit(() -> {
            Coordination c = coordinating.remove(partition);
            if (c != null) {
                c.loaded.complete(false);
                log.info("{}-{}: no longer the coordinator of its groups (led at epoch {})", OFFSETS_TOPIC, partition,
                        c.leaderEpoch);
            }
            return null;
        });
    }

    /** Whether {@code partition} is loaded and served; a snapshot, for tests and metrics. */
    public CompletableFuture<Boolean> isLoaded(int partition) {
        return submit(() -> {
            Coordination c = coordinating.get(partition);
            return c != null && c.state == State.LOADED;
        });
    }

    /** The loads under way now; for a starting broker to wait on (bounded) before it says it serves. */
    public CompletableFuture<List<Boolean>> pendingLoads() {
        return submit(() -> {
            List<CompletableFuture<Boolean>> loads = new ArrayList<>();
            for (Coordination c : coordinating.values()) {
                loads.add(c.loaded);
            }
            return loads;
        }).thenCompose(loads -> CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new))
                .thenApply(v -> loads.stream().map(CompletableFuture::join).toList()));
    }

    // ---------------------------------------------------------------- the thread

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

    /**
     * Runs {@code work} on the coordinator thread (from a callback on any thread: it must not block there). When the
     * coordinator is closed, {@code orElseFail} (if any) fails instead.
     */
    private void execute(Runnable work, CompletableFuture<?> orElseFail) {
        try {
            thread.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    log.error("group coordinator task failed", e);
                    if (orElseFail != null) {
                        orElseFail.completeExceptionally(e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            if (orElseFail != null) {
                orElseFail.completeExceptionally(new IllegalStateException("group coordinator is closed", e));
            }
        }
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
