package io.sluice.client.consumer;

import io.netty.buffer.ByteBuf;
import io.sluice.client.ClientConfig;
import io.sluice.client.SluiceClient;
import io.sluice.client.errors.Errors;
import io.sluice.client.errors.InterruptException;
import io.sluice.client.errors.InvalidRequestException;
import io.sluice.client.errors.OffsetOutOfRangeException;
import io.sluice.client.errors.SluiceException;
import io.sluice.client.metadata.Cluster;
import io.sluice.client.metadata.Node;
import io.sluice.client.network.ConnectionConfig;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.FetchPartition;
import io.sluice.proto.message.FetchPartitionResponse;
import io.sluice.proto.message.FetchRequest;
import io.sluice.proto.message.FetchTopic;
import io.sluice.proto.message.FetchableTopicResponse;
import io.sluice.proto.message.Response;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Reads assigned partitions and verifies everything it reads (see {@link BatchVerifier}): CRC32C of every batch,
 * contiguous offsets, epochs that never go down. A violation is a
 * {@link io.sluice.client.errors.RecordVerificationException} from {@link #poll}, never a silent skip.
 *
 * <p>Fetches are pipelined: as soon as a node's answer is taken in, the next fetch to that node is sent (from the
 * offset after the data just received), so it is in flight while the application processes the records. At most one
 * fetch per node is in flight, and a partition with two answers buffered waits for the application.
 *
 * <pre>
 * try (Consumer consumer = Consumer.create(Map.of("bootstrap.servers", "127.0.0.1:9292", "auto.offset.reset", "earliest"))) {
 *     consumer.assign(List.of(new TopicPartition("orders", 0)));
 *     for (ConsumerRecord r : consumer.poll(Duration.ofSeconds(1))) { ... }
 * }
 * </pre>
 *
 * <p>Not thread-safe, as in Kafka: one thread polls. Network answers reach it through a queue.
 */
public final class Consumer implements AutoCloseable {
    private final ConsumerConfig config;
    private final SluiceClient client;
    private final OffsetsClient offsets;
    private final Map<TopicPartition, PartitionState> states = new LinkedHashMap<>();
    private final Set<Integer> nodesInFlight = new HashSet<>();
    private final LinkedBlockingQueue<FetchResult> results = new LinkedBlockingQueue<>();
    private final Object closeLock = new Object();
    private ConsumerRecords last = ConsumerRecords.EMPTY;
    private LongConsumer fetchLatencyListener;
    private boolean closed;
    private int nextPartition;

    /** An answered (or failed) fetch, handed from the event loop to the polling thread. */
    private record FetchResult(Node node, Map<TopicPartition, long[]> requested, InboundFrame<Response> frame,
                               Throwable error, long sentNanos, long receivedNanos) {
    }

    public Consumer(ConsumerConfig config) {
        this.config = config;
        ClientConfig clientConfig = ClientConfig.of(config.bootstrapServers()).withClientId(config.clientId())
                .withRequestTimeoutMs(config.requestTimeoutMs()).withRetryBackoffMs(config.retryBackoffMs());
        int maxFrame = (int) Math.min(Integer.MAX_VALUE,
                Math.max(ConnectionConfig.MIN_MAX_FRAME_BYTES, (long) config.fetchMaxBytes() + (1 << 20)));
        this.client = new SluiceClient(clientConfig.withConnection(clientConfig.connection().withMaxFrameBytes(maxFrame)));
        this.offsets = new OffsetsClient(client, config.requestTimeoutMs());
    }

    public Consumer(Map<String, ?> settings) {
        this(new ConsumerConfig(settings));
    }

    public static Consumer create(Map<String, ?> settings) {
        return new Consumer(settings);
    }

    public ConsumerConfig config() {
        return config;
    }

    /**
     * Told the round-trip time (ns) of every fetch answered, on the polling thread. For tools (sluice-perf); null to
     * stop.
     */
    public void fetchLatencyListener(LongConsumer listener) {
        this.fetchLatencyListener = listener;
    }

    /** Reads exactly these partitions from now on (positions of partitions kept stay). */
    public void assign(Collection<TopicPartition> partitions) {
        ensureOpen();
        Set<TopicPartition> wanted = new HashSet<>(partitions);
        states.entrySet().removeIf(e -> {
            if (!wanted.contains(e.getKey())) {
                e.getValue().clearBuffered();
                return true;
            }
            return false;
        });
        for (TopicPartition tp : partitions) {
            states.computeIfAbsent(tp, PartitionState::new);
        }
        client.addTopicInterest(partitions.stream().map(TopicPartition::topic).distinct().toList());
    }

    public Set<TopicPartition> assignment() {
        return Set.copyOf(states.keySet());
    }

    /** The next poll returns records from {@code offset} of {@code tp}. */
    public void seek(TopicPartition tp, long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset + " for " + tp);
        }
        state(tp).seek(offset);
    }

    /** Moves to the log start of each partition (ListOffsets -2). */
    public void seekToBeginning(Collection<TopicPartition> partitions) {
        seekTo(partitions, OffsetsClient.EARLIEST);
    }

    /** Moves to the high watermark of each partition (ListOffsets -1). */
    public void seekToEnd(Collection<TopicPartition> partitions) {
        seekTo(partitions, OffsetsClient.LATEST);
    }

    private void seekTo(Collection<TopicPartition> partitions, long timestamp) {
        for (TopicPartition tp : partitions) {
            state(tp);
        }
        Map<TopicPartition, Long> found = offsets.listOffsets(partitions, timestamp);
        found.forEach((tp, offset) -> state(tp).seek(offset));
    }

    /** The offset of the next record poll returns for {@code tp}, finding it first if it is not known yet. */
    public long position(TopicPartition tp) {
        PartitionState s = state(tp);
        if (!s.hasPosition()) {
            ensurePositions();
        }
        return s.position;
    }

    /** Commits the current position of every assigned partition that has one, for group.id. */
    public void commitSync() {
        Map<TopicPartition, Long> positions = new LinkedHashMap<>();
        states.forEach((tp, s) -> {
            if (s.hasPosition()) {
                positions.put(tp, s.position);
            }
        });
        commitSync(positions);
    }

    /** Commits these offsets (the next record to read) for group.id. */
    public void commitSync(Map<TopicPartition, Long> offsetsToCommit) {
        offsets.commit(requireGroup(), offsetsToCommit);
    }

    /** The committed offsets of these partitions for group.id; partitions without one are absent. */
    public Map<TopicPartition, Long> committed(Set<TopicPartition> partitions) {
        return offsets.committed(requireGroup(), partitions);
    }

    private String requireGroup() {
        ensureOpen();
        if (config.groupId().isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_GROUP_ID,
                    "committed offsets need a group.id, and this consumer has none");
        }
        return config.groupId();
    }

    private PartitionState state(TopicPartition tp) {
        ensureOpen();
        PartitionState s = states.get(tp);
        if (s == null) {
            throw new IllegalStateException(tp + " is not assigned to this consumer");
        }
        return s;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the consumer is closed");
        }
    }

    // ------------------------------------------------------------------ poll

    /**
     * Records from the assigned partitions, at most max.poll.records, waiting up to {@code timeout} for some. The
     * records of the previous poll are released first. A partition without a position gets one first (committed
     * offset, else auto.offset.reset through ListOffsets), which may block up to request.timeout.ms whatever the
     * timeout.
     *
     * @throws io.sluice.client.errors.RecordVerificationException when fetched data breaks the log's promise
     * @throws OffsetOutOfRangeException when a position is out of range and auto.offset.reset is none
     */
    public ConsumerRecords poll(Duration timeout) {
        ensureOpen();
        last.release();
        last = ConsumerRecords.EMPTY;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ensurePositions();
            FetchResult r;
            while ((r = results.poll()) != null) {
                handle(r);
            }
            sendFetches();
            ConsumerRecords records = collect();
            if (!records.isEmpty()) {
                last = records;
                // Data was taken from the buffers: a partition may now be ready for its next fetch.
                sendFetches();
                return records;
            }
            long wait = deadline - System.nanoTime();
            if (wait <= 0) {
                return ConsumerRecords.EMPTY;
            }
            try {
                r = results.poll(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(Math.max(1, config.retryBackoffMs()))),
                        TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                throw new InterruptException("interrupted in poll()", e);
            }
            if (r != null) {
                handle(r);
            }
        }
    }

    private ConsumerRecords collect() {
        List<ConsumerRecords.Chunk> chunks = new ArrayList<>();
        int budget = config.maxPollRecords();
        List<PartitionState> all = new ArrayList<>(states.values());
        int n = all.size();
        for (int i = 0; i < n && budget > 0; i++) {
            PartitionState s = all.get((nextPartition + i) % n);
            while (budget > 0 && !s.buffered.isEmpty()) {
                CompletedFetch f = s.buffered.peekFirst();
                if (f.nextOffset() != s.position) {
                    // Only data that continues the position is handed out (a seek dropped the rest already).
                    s.clearBuffered();
                    s.fetchPosition = s.position;
                    break;
                }
                ConsumerRecords.Chunk chunk = f.take(budget);
                chunks.add(chunk);
                budget -= chunk.count();
                s.position = chunk.to();
                if (f.isDrained()) {
                    f.release();
                    s.buffered.pollFirst();
                }
            }
        }
        nextPartition = n == 0 ? 0 : (nextPartition + 1) % n;
        return chunks.isEmpty() ? ConsumerRecords.EMPTY : new ConsumerRecords(chunks);
    }

    private void ensurePositions() {
        List<TopicPartition> missing = new ArrayList<>();
        states.forEach((tp, s) -> {
            if (!s.hasPosition()) {
                missing.add(tp);
            }
        });
        if (missing.isEmpty()) {
            return;
        }
        if (!config.groupId().isEmpty()) {
            Set<TopicPartition> fromCommitted = new HashSet<>();
            for (TopicPartition tp : missing) {
                if (!states.get(tp).needsReset) {
                    fromCommitted.add(tp);
                }
            }
            if (!fromCommitted.isEmpty()) {
                Map<TopicPartition, Long> committed = offsets.committed(config.groupId(), fromCommitted);
                committed.forEach((tp, offset) -> states.get(tp).seek(offset));
                missing.removeAll(committed.keySet());
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        switch (config.autoOffsetReset()) {
            case NONE -> {
                TopicPartition tp = missing.get(0);
                PartitionState s = states.get(tp);
                throw new OffsetOutOfRangeException(s.needsReset
                        ? tp + ": offset " + s.fetchPosition + " is out of range and auto.offset.reset is none"
                        : tp + ": no position (nothing committed, no seek) and auto.offset.reset is none");
            }
            case EARLIEST -> seekTo(missing, OffsetsClient.EARLIEST);
            case LATEST -> seekTo(missing, OffsetsClient.LATEST);
            default -> throw new IllegalStateException();
        }
    }

    private void sendFetches() {
        Cluster cluster = client.cluster();
        long now = System.nanoTime();
        Map<Integer, List<PartitionState>> byNode = new HashMap<>();
        boolean needMetadata = false;
        for (PartitionState s : states.values()) {
            if (!s.hasPosition() || s.fetchInFlight || s.buffered.size() > 1 || s.retryAfterNanos > now) {
                continue;
            }
            int leader = cluster.leader(s.partition.topic(), s.partition.partition());
            if (leader < 0 || cluster.node(leader) == null) {
                needMetadata = true;
                continue;
            }
            if (nodesInFlight.contains(leader)) {
                continue;
            }
            byNode.computeIfAbsent(leader, id -> new ArrayList<>()).add(s);
        }
        if (needMetadata) {
            client.requestMetadataUpdate();
        }
        byNode.forEach((nodeId, partitions) -> sendFetch(cluster.node(nodeId), partitions));
    }

    private void sendFetch(Node node, List<PartitionState> partitions) {
        Map<String, FetchTopic.Builder> topics = new LinkedHashMap<>();
        Map<TopicPartition, long[]> requested = new HashMap<>();
        for (PartitionState s : partitions) {
            topics.computeIfAbsent(s.partition.topic(), t -> FetchTopic.newBuilder().setName(t))
                    .addPartitions(FetchPartition.newBuilder().setPartition(s.partition.partition())
                            .setFetchOffset(s.fetchPosition).setPartitionMaxBytes(config.maxPartitionFetchBytes())
                            .setCurrentLeaderEpoch(-1).setLogStartOffset(-1));
            requested.put(s.partition, new long[] {s.fetchPosition, s.generation});
            s.fetchInFlight = true;
        }
        FetchRequest.Builder fetch = FetchRequest.newBuilder().setReplicaId(-1).setMaxWaitMs(config.fetchMaxWaitMs())
                .setMinBytes(config.fetchMinBytes()).setMaxBytes(config.fetchMaxBytes());
        topics.values().forEach(fetch::addTopics);
        nodesInFlight.add(node.id());
        long sent = System.nanoTime();
        client.send(node, io.sluice.proto.message.Request.newBuilder().setFetch(fetch), config.requestTimeoutMs())
                .whenComplete((frame, err) -> {
                    FetchResult result = new FetchResult(node, requested, frame, err, sent, System.nanoTime());
                    synchronized (closeLock) {
                        if (closed) {
                            if (frame != null) {
                                frame.release();
                            }
                            return;
                        }
                        results.add(result);
                    }
                });
    }

    private void handle(FetchResult r) {
        nodesInFlight.remove(r.node().id());
        for (TopicPartition tp : r.requested().keySet()) {
            PartitionState s = states.get(tp);
            if (s != null) {
                s.fetchInFlight = false;
            }
        }
        if (r.error() != null) {
            Throwable cause = Errors.unwrap(r.error());
            if (!Errors.isRetriable(cause)) {
                throw Errors.asSluice(cause);
            }
            backOff(r.requested().keySet());
            client.requestMetadataUpdate();
            return;
        }
        InboundFrame<Response> frame = r.frame();
        try {
            if (fetchLatencyListener != null) {
                fetchLatencyListener.accept(r.receivedNanos() - r.sentNanos());
            }
            ByteBuf raw = frame.raw();
            int at = raw.readerIndex();
            List<PartitionData> parts = new ArrayList<>();
            for (FetchableTopicResponse t : frame.message().getFetch().getTopicsList()) {
                for (FetchPartitionResponse p : t.getPartitionsList()) {
                    TopicPartition tp = new TopicPartition(t.getName(), p.getPartition());
                    int size = p.getRecordsSize();
                    if (size < 0 || at + size > raw.writerIndex()) {
                        throw new io.sluice.client.errors.RecordVerificationException(tp, -1, -1, "fetch answer from "
                                + r.node() + " gives records_size " + size + " but only " + (raw.writerIndex() - at)
                                + " raw bytes are left");
                    }
                    ByteBuffer data = size == 0 ? null : raw.nioBuffer(at, size);
                    at += size;
                    PartitionState s = states.get(tp);
                    long[] asked = r.requested().get(tp);
                    if (s == null || asked == null || asked[1] != s.generation || asked[0] != s.fetchPosition) {
                        continue; // unassigned or sought since: a stale answer
                    }
                    parts.add(new PartitionData(tp, s, p, data, asked[0]));
                }
            }
            // Pipelining: where the data ends is known from the batch headers alone, so the next fetch leaves
            // before this one's CRCs are checked; the check below still runs on every byte before any record is
            // handed out, and a failure fails the poll.
            for (PartitionData d : parts) {
                if (d.response().getErrorCode() != ErrorCode.NONE) {
                    handlePartition(r, frame, d); // back off, reset or fail before anything is fetched again
                } else if (d.data() != null) {
                    long end = endOfWholeBatches(d.data());
                    if (end > d.fetchOffset()) {
                        d.state().fetchPosition = end;
                    }
                }
            }
            sendFetches();
            for (PartitionData d : parts) {
                if (d.response().getErrorCode() == ErrorCode.NONE) {
                    handlePartition(r, frame, d);
                }
            }
        } finally {
            frame.release();
        }
    }

    /** One partition's part of a fetch answer, matched to the state it was asked for. */
    private record PartitionData(TopicPartition tp, PartitionState state, FetchPartitionResponse response,
                                 ByteBuffer data, long fetchOffset) {
    }

    /** The offset after the last whole batch, from the batch headers only; -1 when there is none or it is malformed. */
    private static long endOfWholeBatches(ByteBuffer data) {
        long end = -1;
        try {
            for (io.sluice.proto.record.RecordBatch b : io.sluice.proto.record.RecordBatches.of(data)) {
                end = b.lastOffset() + 1;
            }
        } catch (io.sluice.proto.record.CorruptRecordException e) {
            return -1; // the full check reports it
        }
        return end;
    }

    private void handlePartition(FetchResult r, InboundFrame<Response> frame, PartitionData d) {
        PartitionState s = d.state();
        TopicPartition tp = d.tp();
        FetchPartitionResponse p = d.response();
        ByteBuffer data = d.data();
        ErrorCode code = p.getErrorCode();
        if (code == ErrorCode.NONE) {
            if (data == null) {
                return;
            }
            VerifiedBatches verified = BatchVerifier.verify(tp, data, d.fetchOffset(), s.lastEpoch);
            if (verified.batches().isEmpty()) {
                return;
            }
            if (verified.nextOffset() != s.fetchPosition) {
                throw new io.sluice.client.errors.RecordVerificationException(tp, s.fetchPosition,
                        verified.nextOffset(), "the batches end at offset " + verified.nextOffset()
                        + " but their headers said " + s.fetchPosition);
            }
            s.lastEpoch = verified.lastEpoch();
            s.buffered.add(new CompletedFetch(tp, frame.retain(), verified.batches(), d.fetchOffset(),
                    verified.nextOffset()));
            return;
        }
        if (code == ErrorCode.OFFSET_OUT_OF_RANGE) {
            if (config.autoOffsetReset() == ConsumerConfig.OffsetReset.NONE) {
                throw new OffsetOutOfRangeException(tp + ": fetch offset " + s.fetchPosition + " is out of range (log "
                        + p.getLogStartOffset() + ".." + p.getLogEndOffset() + ") and auto.offset.reset is none");
            }
            s.clearBuffered();
            s.needsReset = true;
            return;
        }
        SluiceException e = Errors.of(code, "fetch " + tp + " from " + r.node(), p.getErrorMessage());
        if (!e.isRetriable()) {
            throw e;
        }
        backOff(List.of(tp));
        client.requestMetadataUpdate();
    }

    private void backOff(Collection<TopicPartition> partitions) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.retryBackoffMs());
        for (TopicPartition tp : partitions) {
            PartitionState s = states.get(tp);
            if (s != null) {
                s.retryAfterNanos = until;
            }
        }
    }

    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        last.release();
        last = ConsumerRecords.EMPTY;
        for (PartitionState s : states.values()) {
            s.clearBuffered();
        }
        FetchResult r;
        while ((r = results.poll()) != null) {
            if (r.frame() != null) {
                r.frame().release();
            }
        }
        client.close();
    }

}
