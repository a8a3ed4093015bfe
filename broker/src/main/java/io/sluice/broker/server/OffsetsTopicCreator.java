package io.sluice.broker.server;

import io.sluice.broker.group.GroupCoordinator;
import io.sluice.broker.group.OffsetsTopic;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.proto.message.ErrorCode;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates {@code __consumer_offsets} with {@code offsets.topic.num.partitions} partitions and exactly
 * {@code offsets.topic.replication.factor} replicas, never fewer: while fewer brokers are live the controller refuses
 * it ({@code INVALID_REPLICATION_FACTOR}) and a later attempt (the next offset request, at most one a second) tries
 * again. Thread-safe: one attempt at a time, guarded by {@code this}.
 */
final class OffsetsTopicCreator implements OffsetsTopic {
    /** Segment size of {@code __consumer_offsets}: Kafka's {@code offsets.topic.segment.bytes}. */
    private static final int SEGMENT_BYTES = 100 << 20;
    /** The least time between two failed creation attempts. */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Logger log = LoggerFactory.getLogger(OffsetsTopicCreator.class);

    private final MetadataStore metadata;
    private final int partitions;
    private final int replicationFactor;
    private CompletableFuture<Void> attempt;
    private long attemptNanos;

    OffsetsTopicCreator(MetadataStore metadata, int partitions, int replicationFactor) {
        this.metadata = metadata;
        this.partitions = partitions;
        this.replicationFactor = replicationFactor;
    }

    @Override
    public int partitions() {
        return metadata.topic(GroupCoordinator.OFFSETS_TOPIC).map(TopicRecord::partitions).orElse(0);
    }

    @Override
    public synchronized CompletableFuture<Void> create() {
        if (partitions() > 0) {
            return CompletableFuture.completedFuture(null);
        }
        if (attempt != null && (!attempt.isDone() || System.nanoTime() - attemptNanos < RETRY_NANOS)) {
            return attempt;
        }
        CompletableFuture<Void> next = new CompletableFuture<>();
        attempt = next;
        attemptNanos = System.nanoTime();
        // Commits are small: small segments, little prefill. No retention: the view is rebuilt from the log.
        metadata.createInternalTopic(GroupCoordinator.OFFSETS_TOPIC, partitions, replicationFactor, Map.of(
                LogConfig.SEGMENT_BYTES, Integer.toString(SEGMENT_BYTES),
                LogConfig.SEGMENT_PREFILL_BYTES, Integer.toString(1 << 20),
                LogConfig.RETENTION_MS, "-1")).whenComplete((topic, e) -> {
                    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (cause == null) {
                        log.info("created {} ({} partitions, replication factor {})", GroupCoordinator.OFFSETS_TOPIC,
                                partitions, replicationFactor);
                        next.complete(null);
                    } else if (cause instanceof MetadataException m && m.errorCode() == ErrorCode.TOPIC_ALREADY_EXISTS) {
                        next.complete(null);
                    } else {
                        log.info("{} cannot be created yet ({}={}): {}; offset requests are answered"
                                + " COORDINATOR_NOT_AVAILABLE and the next one tries again", GroupCoordinator.OFFSETS_TOPIC,
                                BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, replicationFactor, cause.getMessage());
                        next.completeExceptionally(cause);
                    }
                });
        return next;
    }
}
