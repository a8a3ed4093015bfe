package io.sluice.broker.replication;

import io.netty.buffer.ByteBuf;
import io.sluice.broker.log.EpochEndOffset;
import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.UnexpectedAppendOffsetException;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.util.Clock;
import io.sluice.client.network.BrokerConnection;
import io.sluice.client.network.ConnectionConfig;
import io.sluice.client.network.Transport;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.EpochEndOffsetTopic;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.FetchPartition;
import io.sluice.proto.message.FetchPartitionResponse;
import io.sluice.proto.message.FetchRequest;
import io.sluice.proto.message.FetchTopic;
import io.sluice.proto.message.FetchableTopicResponse;
import io.sluice.proto.message.OffsetForLeaderPartition;
import io.sluice.proto.message.OffsetForLeaderTopic;
import io.sluice.proto.message.OffsetsForLeaderEpochRequest;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the partitions this broker follows from one leader broker, over one {@link BrokerConnection}.
 *
 * <p>Each partition starts by truncating: {@code OffsetsForLeaderEpoch} with its latest epoch, then
 * {@link Truncation#decide} (rounds until settled). Then it fetches from its log end with {@code replica_id} set and
 * its leader epoch; the leader's bytes are appended unchanged ({@link Partition#appendAsFollower}, which also
 * replays them into the idempotent-producer state) and the follower's high watermark becomes min(leader's, own log
 * end). Errors put a partition (or, for the connection, all of them) in back-off; OFFSET_OUT_OF_RANGE below the
 * leader's log start restarts the log there, above its log end sends the partition back to truncation.
 *
 * <p>Threads: the fetcher runs on its own thread ({@link #run}) and waits there for the connection's futures; it never
 * runs on, or blocks, an event loop. Its state (the partitions, the connection) is confined to that thread; other
 * threads reach it only through {@code commands}. Appends are fenced by the partition's leader epoch, so a partition
 * removed while a fetch is in flight is not written to once it leads or follows at another epoch.
 */
final class ReplicaFetcher implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaFetcher.class);
    /** The retry of a partition whose leader does not know its own election yet (UNKNOWN_LEADER_EPOCH). */
    static final long LEADER_CATCH_UP_RETRY_MS = 20;

    private final int nodeId;
    private final int leaderId;
    private final IntFunction<InetSocketAddress> addresses;
    private final Transport transport;
    private final FetcherSettings settings;
    private final Clock clock;
    private final LinkedBlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
    /** Confined to the fetcher thread. */
    private final Map<TopicPartition, PartitionFetchState> partitions = new LinkedHashMap<>();
    private BrokerConnection connection;
    private long connectionBackoffUntilMs;
    private volatile boolean running = true;
    private volatile int partitionCount;

    ReplicaFetcher(int nodeId, int leaderId, IntFunction<InetSocketAddress> addresses, Transport transport,
                   FetcherSettings settings, Clock clock) {
        this.nodeId = nodeId;
        this.leaderId = leaderId;
        this.addresses = addresses;
        this.transport = transport;
        this.settings = settings;
        this.clock = clock;
    }

    /** One partition being copied. Fetcher-thread confined. */
    private static final class PartitionFetchState {
        final Partition partition;
        final int epoch;
        boolean truncating = true;
        long backoffUntilMs;
        /** UNKNOWN_LEADER_EPOCH answers so far at this epoch: each doubles the next quick retry. */
        int catchUpRetries;

        PartitionFetchState(Partition partition, int epoch) {
            this.partition = partition;
            this.epoch = epoch;
        }

        boolean ready(long now) {
            return now >= backoffUntilMs;
        }
    }

    int leaderId() {
        return leaderId;
    }

    /** Partitions assigned, as of the last command applied (approximate from other threads). */
    int partitionCount() {
        return partitionCount;
    }

    /** Starts copying {@code partition} at {@code epoch}, truncating first; replaces an earlier assignment. */
    void add(Partition partition, int epoch) {
        commands.add(() -> partitions.put(partition.topicPartition(), new PartitionFetchState(partition, epoch)));
    }

    void remove(TopicPartition tp) {
        commands.add(() -> partitions.remove(tp));
    }

    /** Asks the thread to stop; it closes the connection as it leaves. */
    void stop() {
        running = false;
        commands.add(() -> { });
    }

    @Override
    public void run() {
        try {
            while (running) {
                try {
                    doWork();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (RuntimeException e) {
                    log.warn("fetcher from broker {}: unexpected failure; dropping the connection and retrying in {} ms",
                            leaderId, settings.backoffMs(), e);
                    dropConnection();
                    connectionBackoffUntilMs = clock.milliseconds() + settings.backoffMs();
                }
            }
        } finally {
            dropConnection();
        }
    }

    /** One round: apply commands, truncate what needs it, then one fetch. Waits (bounded) when there is nothing to do. */
    void doWork() throws InterruptedException {
        applyCommands(0);
        long now = clock.milliseconds();
        List<PartitionFetchState> truncating = new ArrayList<>();
        List<PartitionFetchState> fetching = new ArrayList<>();
        long nextReady = Long.MAX_VALUE;
        for (PartitionFetchState s : partitions.values()) {
            if (!s.ready(now)) {
                nextReady = Math.min(nextReady, s.backoffUntilMs);
            } else if (s.truncating) {
                truncating.add(s);
            } else {
                fetching.add(s);
            }
        }
        if ((truncating.isEmpty() && fetching.isEmpty()) || now < connectionBackoffUntilMs) {
            long wait = Math.max(1, Math.min(Math.min(nextReady, Math.max(connectionBackoffUntilMs, now + 100)) - now, 100));
            applyCommands(wait);
            return;
        }
        if (!ensureConnected()) {
            return;
        }
        if (!truncating.isEmpty()) {
            truncate(truncating);
            // A partition that settled its truncation joins this round's fetch instead of waiting out the long poll
            // of the others (replica.fetch.wait.max.ms): after a failover that is the partition acks=all waits for.
            long after = clock.milliseconds();
            for (PartitionFetchState s : truncating) {
                if (partitions.get(s.partition.topicPartition()) != s) {
                    continue;
                }
                if (!s.ready(after)) {
                    nextReady = Math.min(nextReady, s.backoffUntilMs);
                } else if (!s.truncating) {
                    fetching.add(s);
                }
            }
        }
        if (!fetching.isEmpty()) {
            fetch(fetching, nextReady);
        }
    }

    private void applyCommands(long waitMs) throws InterruptedException {
        Runnable first = waitMs > 0 ? commands.poll(waitMs, TimeUnit.MILLISECONDS) : commands.poll();
        for (Runnable c = first; c != null; c = commands.poll()) {
            c.run();
        }
        partitionCount = partitions.size();
    }

    private boolean ensureConnected() throws InterruptedException {
        if (connection != null && connection.isActive()) {
            return true;
        }
        dropConnection();
        InetSocketAddress address = addresses.apply(leaderId);
        if (address == null) {
            backOffConnection("its address is unknown");
            return false;
        }
        try {
            connection = BrokerConnection.connect(transport, address.getHostString(), address.getPort(),
                    ConnectionConfig.defaults("replica-fetcher-" + nodeId).withMaxFrameBytes(
                            Math.max(ConnectionConfig.MIN_MAX_FRAME_BYTES, settings.responseMaxBytes() + (1 << 20))))
                    .get(settings.requestTimeoutMs(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            backOffConnection("cannot connect to " + address + ": " + (e.getCause() != null ? e.getCause().getMessage() : e));
            return false;
        }
    }

    private void backOffConnection(String why) {
        log.warn("fetcher from broker {}: {}; retrying in {} ms", leaderId, why, settings.backoffMs());
        dropConnection();
        connectionBackoffUntilMs = clock.milliseconds() + settings.backoffMs();
    }

    private void dropConnection() {
        if (connection != null) {
            connection.close();
            connection = null;
        }
    }

    /** Sends {@code request} and waits for the answer; null (and the connection dropped) when it fails. */
    private InboundFrame<Response> call(Request.Builder request, long timeoutMs) throws InterruptedException {
        CompletableFuture<InboundFrame<Response>> future = connection.send(request, timeoutMs);
        try {
            InboundFrame<Response> frame = future.get(timeoutMs + settings.requestTimeoutMs(), TimeUnit.MILLISECONDS);
            Response r = frame.message();
            if (r.getErrorCode() != ErrorCode.NONE) {
                frame.release();
                backOffConnection("request refused: " + r.getErrorCode() + " " + r.getErrorMessage());
                return null;
            }
            return frame;
        } catch (ExecutionException | TimeoutException e) {
            future.thenAccept(InboundFrame::release); // an answer arriving after all is not leaked
            backOffConnection(request.getBodyCase() + " failed: " + (e.getCause() != null ? e.getCause().getMessage() : e));
            return null;
        } catch (InterruptedException e) {
            future.thenAccept(InboundFrame::release);
            throw e;
        }
    }

    // ---------------------------------------------------------------- truncation

    private void truncate(List<PartitionFetchState> states) throws InterruptedException {
        Map<String, OffsetForLeaderTopic.Builder> topics = new LinkedHashMap<>();
        Map<TopicPartition, PartitionFetchState> asked = new LinkedHashMap<>();
        for (PartitionFetchState s : states) {
            int latest = s.partition.log().latestEpoch();
            if (latest < 0) {
                // An empty history agrees with any: nothing to truncate.
                s.truncating = false;
                continue;
            }
            TopicPartition tp = s.partition.topicPartition();
            topics.computeIfAbsent(tp.topic(), t -> OffsetForLeaderTopic.newBuilder().setName(t))
                    .addPartitions(OffsetForLeaderPartition.newBuilder().setPartition(tp.partition())
                            .setCurrentLeaderEpoch(s.epoch).setLeaderEpoch(latest));
            asked.put(tp, s);
        }
        if (asked.isEmpty()) {
            return;
        }
        OffsetsForLeaderEpochRequest.Builder body = OffsetsForLeaderEpochRequest.newBuilder().setReplicaId(nodeId);
        topics.values().forEach(body::addTopics);
        InboundFrame<Response> frame = call(Request.newBuilder().setOffsetsForLeaderEpoch(body), settings.requestTimeoutMs());
        if (frame == null) {
            return;
        }
        try {
            for (EpochEndOffsetTopic t : frame.message().getOffsetsForLeaderEpoch().getTopicsList()) {
                for (io.sluice.proto.message.EpochEndOffset p : t.getPartitionsList()) {
                    PartitionFetchState s = asked.get(new TopicPartition(t.getName(), p.getPartition()));
                    if (s == null || partitions.get(s.partition.topicPartition()) != s) {
                        continue;
                    }
                    if (p.getErrorCode() != ErrorCode.NONE) {
                        backOff(s, p.getErrorCode(), "OffsetsForLeaderEpoch: " + p.getErrorCode() + " "
                                + p.getErrorMessage());
                        continue;
                    }
                    applyTruncation(s, new EpochEndOffset(p.getLeaderEpoch(), p.getEndOffset()));
                }
            }
        } finally {
            frame.release();
        }
    }

    private void applyTruncation(PartitionFetchState s, EpochEndOffset leader) {
        Partition partition = s.partition;
        EpochEndOffset own = leader.isUndefined() ? EpochEndOffset.UNDEFINED
                : partition.log().endOffsetForEpoch(leader.epoch());
        long end = partition.logEndOffset();
        Truncation t = Truncation.decide(leader, own, partition.logStartOffset(), end);
        if (t.offset() < end) {
            log.info("{}: leader {} says epoch {} ends at {}; truncating from {} to {}{}", partition.topicPartition(), leaderId,
                    leader.epoch(), leader.endOffset(), end, t.offset(), t.complete() ? "" : " (another round follows)");
            partition.truncateTo(t.offset());
        }
        s.truncating = !t.complete();
    }

    // ---------------------------------------------------------------- fetching

    /**
     * One fetch of {@code states}. It waits at the leader for data at most {@code replica.fetch.wait.max.ms}, and no
     * later than {@code nextReadyMs}, when a partition in back-off is due again (a short retry must not wait out a
     * long poll of partitions with nothing new).
     */
    private void fetch(List<PartitionFetchState> states, long nextReadyMs) throws InterruptedException {
        Map<String, FetchTopic.Builder> topics = new LinkedHashMap<>();
        Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
        for (PartitionFetchState s : states) {
            TopicPartition tp = s.partition.topicPartition();
            long offset = s.partition.logEndOffset();
            offsets.put(tp, offset);
            topics.computeIfAbsent(tp.topic(), t -> FetchTopic.newBuilder().setName(t))
                    .addPartitions(FetchPartition.newBuilder().setPartition(tp.partition()).setFetchOffset(offset)
                            .setPartitionMaxBytes(settings.partitionMaxBytes()).setCurrentLeaderEpoch(s.epoch)
                            .setLogStartOffset(s.partition.logStartOffset()));
        }
        int maxWaitMs = (int) Math.max(0, Math.min(settings.maxWaitMs(), nextReadyMs - clock.milliseconds()));
        FetchRequest.Builder body = FetchRequest.newBuilder().setReplicaId(nodeId).setMaxWaitMs(maxWaitMs)
                .setMinBytes(settings.minBytes()).setMaxBytes(settings.responseMaxBytes());
        topics.values().forEach(body::addTopics);
        InboundFrame<Response> frame = call(Request.newBuilder().setFetch(body),
                maxWaitMs + (long) settings.requestTimeoutMs());
        if (frame == null) {
            return;
        }
        try {
            ByteBuf raw = frame.raw();
            int position = raw.readerIndex();
            for (FetchableTopicResponse t : frame.message().getFetch().getTopicsList()) {
                for (FetchPartitionResponse p : t.getPartitionsList()) {
                    TopicPartition tp = new TopicPartition(t.getName(), p.getPartition());
                    int size = p.getRecordsSize();
                    if (size < 0 || position + size > raw.writerIndex()) {
                        throw new IllegalStateException("fetch answer from broker " + leaderId + ": " + tp + " declares "
                                + size + " bytes of records beyond the " + raw.readableBytes() + " it carries");
                    }
                    PartitionFetchState s = partitions.get(tp);
                    Long asked = offsets.get(tp);
                    if (s != null && asked != null && states.contains(s)) {
                        handlePartition(s, p, asked, size == 0 ? null : raw.nioBuffer(position, size));
                    }
                    position += size;
                }
            }
        } finally {
            frame.release();
        }
    }

    private void handlePartition(PartitionFetchState s, FetchPartitionResponse p, long fetchOffset, java.nio.ByteBuffer records) {
        Partition partition = s.partition;
        switch (p.getErrorCode()) {
            case NONE -> {
                if (records != null) {
                    if (partition.logEndOffset() != fetchOffset) {
                        return; // the log changed under the fetch (truncated by a new assignment): fetch again
                    }
                    try {
                        LogAppendInfo info = partition.appendAsFollower(records, s.epoch);
                        if (info == null) {
                            partitions.remove(partition.topicPartition()); // no longer following at this epoch
                            return;
                        }
                    } catch (UnexpectedAppendOffsetException e) {
                        log.warn("{}: {}; truncating again", partition.topicPartition(), e.getMessage());
                        s.truncating = true;
                        return;
                    } catch (RuntimeException e) {
                        backOff(s, "appending the leader's batches failed: " + e);
                        return;
                    }
                }
                partition.updateHighWatermarkAsFollower(p.getHighWatermark(), s.epoch);
                partition.recordLeaderLogEnd(p.getLogEndOffset());
            }
            case OFFSET_OUT_OF_RANGE -> {
                if (p.getLogStartOffset() > fetchOffset) {
                    log.info("{}: fetch offset {} is below the leader's log start {}; restarting the log there",
                            partition.topicPartition(), fetchOffset, p.getLogStartOffset());
                    partition.truncateFullyAndStartAt(p.getLogStartOffset());
                } else {
                    log.info("{}: fetch offset {} is beyond the leader's log end {}; truncating again",
                            partition.topicPartition(), fetchOffset, p.getLogEndOffset());
                    s.truncating = true;
                }
            }
            default -> backOff(s, p.getErrorCode(), "fetch: " + p.getErrorCode() + " " + p.getErrorMessage());
        }
    }

    private void backOff(PartitionFetchState s, String why) {
        backOff(s, ErrorCode.NONE, why);
    }

    /**
     * Puts the partition in back-off for {@code replica.fetch.backoff.ms}, or, after UNKNOWN_LEADER_EPOCH, for
     * {@value #LEADER_CATCH_UP_RETRY_MS} ms doubling with each such answer at this epoch (up to the back-off): that
     * leader has not yet applied the election this follower already knows about, which takes milliseconds, and a
     * whole back-off there (Kafka's fetcher waits one) held acks=all up to a second after every failover whose new
     * leader was a little behind.
     */
    private void backOff(PartitionFetchState s, ErrorCode error, String why) {
        long delay = error == ErrorCode.UNKNOWN_LEADER_EPOCH
                ? Math.min(settings.backoffMs(), LEADER_CATCH_UP_RETRY_MS << Math.min(s.catchUpRetries++, 10))
                : settings.backoffMs();
        log.info("{}: fetcher from broker {}: {}; retrying in {} ms", s.partition.topicPartition(), leaderId, why,
                delay);
        s.backoffUntilMs = clock.milliseconds() + delay;
    }
}
