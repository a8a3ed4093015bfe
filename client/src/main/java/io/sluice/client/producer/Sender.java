package io.sluice.client.producer;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.client.SluiceClient;
import io.sluice.client.errors.BrokerUnavailableException;
import io.sluice.client.errors.Errors;
import io.sluice.client.errors.OutOfOrderSequenceException;
import io.sluice.client.errors.SluiceException;
import io.sluice.client.errors.TimeoutException;
import io.sluice.client.errors.UnknownServerException;
import io.sluice.client.metadata.Cluster;
import io.sluice.client.metadata.Node;
import io.sluice.client.network.BrokerConnection;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.InitProducerIdRequest;
import io.sluice.proto.message.InitProducerIdResponse;
import io.sluice.proto.message.PartitionProduceData;
import io.sluice.proto.message.PartitionProduceResponse;
import io.sluice.proto.message.ProduceRequest;
import io.sluice.proto.message.ProduceResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicProduceData;
import io.sluice.proto.message.TopicProduceResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains ready batches (full, linger expired, or flush/close asked) into one ProduceRequest per leader, handles the
 * answers, and retries. It is a worker on the client's event loop: {@link #wakeup()} (any thread) schedules one
 * {@link #run()}, and the linger and retry-backoff timers schedule the next. It never blocks.
 *
 * <p>Idempotence: an InitProducerId comes first; each batch gets the next sequence of its partition when it is
 * sealed, once; a retry resends the same bytes. A partition sends a retry only when nothing of it is in flight, and
 * sends nothing new while a retry waits, so per-partition order holds with up to max.in.flight requests in flight.
 *
 * <p>Thread-safety: everything but the wakeup flag and the flush/close flags is confined to the event loop.
 */
final class Sender {
    private static final Logger log = LoggerFactory.getLogger(Sender.class);

    private final SluiceClient client;
    private final ProducerConfig config;
    private final RecordAccumulator accumulator;
    private final EventLoop loop;
    private final boolean idempotent;
    private final long lingerNanos;
    private final long deliveryTimeoutNanos;
    private final long backoffNanos;

    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final AtomicInteger flushes = new AtomicInteger();
    private volatile boolean closing;
    private volatile boolean forceClosed;

    // Event loop.
    private long producerId = -1;
    private short producerEpoch = -1;
    private boolean initInFlight;
    private ScheduledFuture<?> timer;
    private long timerDeadline;
    private final Set<Integer> connecting = new HashSet<>();
    /** Nodes whose last connect failed, so that an outage is logged once; confined to the event loop like connecting. */
    private final Set<Integer> unreachable = new HashSet<>();

    Sender(SluiceClient client, ProducerConfig config, RecordAccumulator accumulator) {
        this.client = client;
        this.config = config;
        this.accumulator = accumulator;
        this.loop = client.eventLoop();
        this.idempotent = config.idempotence();
        this.lingerNanos = TimeUnit.MILLISECONDS.toNanos(config.lingerMs());
        this.deliveryTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.deliveryTimeoutMs());
        this.backoffNanos = TimeUnit.MILLISECONDS.toNanos(config.retryBackoffMs());
    }

    /** Asks for a run on the event loop soon; cheap when one is already pending. */
    void wakeup() {
        if (wakeupPending.compareAndSet(false, true)) {
            loop.execute(this::run);
        }
    }

    void beginFlush() {
        flushes.incrementAndGet();
        wakeup();
    }

    void endFlush() {
        flushes.decrementAndGet();
    }

    /** From now on every batch is ready at once (no linger). */
    void beginClose() {
        closing = true;
        wakeup();
    }

    /** Fails everything not yet acknowledged and stops retrying; runs on the event loop. */
    void forceClose(RuntimeException error) {
        forceClosed = true;
        loop.execute(() -> {
            for (RecordAccumulator.TopicQueues tq : accumulator.topics()) {
                for (PartitionDeque dq : tq.partitions) {
                    List<ProducerBatch> dropped = new ArrayList<>(dq.retries);
                    dq.retries.clear();
                    synchronized (dq) {
                        dropped.addAll(dq.batches);
                        dq.batches.clear();
                    }
                    for (ProducerBatch b : dropped) {
                        fail(b, error);
                    }
                }
            }
        });
    }

    void run() {
        wakeupPending.set(false);
        try {
            runOnce(System.nanoTime());
        } catch (RuntimeException e) {
            log.error("the producer's sender failed a run; it runs again after retry.backoff.ms", e);
            scheduleAt(System.nanoTime() + backoffNanos);
        }
    }

    private void runOnce(long now) {
        boolean canSend = !forceClosed && (!idempotent || producerId >= 0);
        if (!canSend && idempotent && !forceClosed) {
            initProducerId();
        }
        // Up to max.in.flight requests per leader in one run, so that they leave in one flush.
        boolean sent = false;
        for (int pass = 0; pass < config.maxInFlight(); pass++) {
            if (!drainOnce(now, canSend, pass == 0)) {
                break;
            }
            sent = true;
        }
        if (sent) {
            // More batches may be ready than this run took.
            wakeup();
        }
    }

    /** One request per leader at most; returns true when one was sent. */
    private boolean drainOnce(long now, boolean canSend, boolean firstPass) {
        Cluster cluster = client.cluster();
        boolean flushing = flushes.get() > 0 || closing;
        long nextWake = Long.MAX_VALUE;
        boolean needMetadata = false;
        Map<Integer, BrokerConnection> ready = new HashMap<>();
        Map<Integer, ProduceBatches> requests = new LinkedHashMap<>();
        for (RecordAccumulator.TopicQueues tq : accumulator.topics()) {
            int count = cluster.partitionCount(tq.topic);
            if (count > tq.partitions.length) {
                tq.ensurePartitions(count);
            }
            for (PartitionDeque dq : tq.partitions) {
                if (firstPass) {
                    expire(dq, now);
                }
                boolean queued;
                synchronized (dq) {
                    queued = !dq.batches.isEmpty();
                }
                if (!canSend || (!queued && dq.retries.isEmpty())) {
                    continue;
                }
                int leader = cluster.leader(dq.partition.topic(), dq.partition.partition());
                if (leader < 0 || cluster.node(leader) == null) {
                    needMetadata = true;
                    continue;
                }
                BrokerConnection conn = ready.computeIfAbsent(leader, this::readyConnection);
                if (conn == null || !conn.isReady() || conn.inFlightCount() >= config.maxInFlight()) {
                    continue;
                }
                ProduceBatches request = requests.computeIfAbsent(leader, id -> new ProduceBatches(conn));
                ProducerBatch batch;
                if (!dq.retries.isEmpty()) {
                    ProducerBatch retry = dq.retries.get(0);
                    if (idempotent && !dq.inFlight.isEmpty()) {
                        continue;
                    }
                    if (retry.retryAfterNanos > now) {
                        nextWake = Math.min(nextWake, retry.retryAfterNanos);
                        continue;
                    }
                    if (!request.fits(retry)) {
                        continue;
                    }
                    dq.retries.remove(0);
                    batch = retry;
                } else {
                    if (idempotent && dq.inFlight.size() >= config.maxInFlight()) {
                        continue;
                    }
                    synchronized (dq) {
                        ProducerBatch head = dq.batches.peekFirst();
                        if (head == null) {
                            continue;
                        }
                        boolean isReady = head.closedForAppends || dq.batches.size() > 1 || flushing
                                || now - head.createdNanos >= lingerNanos;
                        if (!isReady) {
                            nextWake = Math.min(nextWake, head.createdNanos + lingerNanos);
                            continue;
                        }
                        if (!request.fits(head)) {
                            continue;
                        }
                        dq.batches.pollFirst();
                        head.closedForAppends = true;
                        batch = head;
                    }
                    batch.seal(producerId, producerEpoch,
                            idempotent ? dq.takeSequence(batch.recordCount()) : io.sluice.proto.record.RecordBatch.NO_SEQUENCE);
                }
                request.add(dq, batch);
            }
        }
        boolean sent = false;
        for (ProduceBatches request : requests.values()) {
            if (!request.isEmpty()) {
                send(request);
                sent = true;
            }
        }
        if (needMetadata && firstPass) {
            client.requestMetadataUpdate().whenComplete((c, e) -> wakeup());
        }
        if (nextWake != Long.MAX_VALUE) {
            scheduleAt(nextWake);
        }
        return sent;
    }

    /** The established connection to {@code nodeId}, or null after starting a connect that wakes the sender. */
    private BrokerConnection readyConnection(int nodeId) {
        BrokerConnection conn = client.readyConnection(nodeId);
        if (conn != null) {
            return conn;
        }
        Node node = client.cluster().node(nodeId);
        if (node != null && connecting.add(nodeId)) {
            client.connection(node).whenComplete((c, e) -> loop.execute(() -> {
                connecting.remove(nodeId);
                if (e == null) {
                    if (unreachable.remove(nodeId)) {
                        log.info("connected to {} again", node);
                    }
                    wakeup();
                } else {
                    // Once per outage at WARN: a broker that is down for a while must not flood the log.
                    if (unreachable.add(nodeId)) {
                        log.warn("cannot connect to {}: {}; retrying every {} ms", node, Errors.unwrap(e).getMessage(),
                                config.retryBackoffMs());
                    } else {
                        log.debug("cannot connect to {}: {}", node, Errors.unwrap(e).getMessage());
                    }
                    client.requestMetadataUpdate();
                    scheduleAt(System.nanoTime() + backoffNanos);
                }
            }));
        }
        return null;
    }

    /**
     * Fails the batches of {@code dq} that waited longer than delivery.timeout.ms, queued or waiting to be retried
     * (a retry that cannot be sent, because its leader is unreachable, must not wait forever either).
     */
    private void expire(PartitionDeque dq, long now) {
        List<ProducerBatch> expired = null;
        synchronized (dq) {
            ProducerBatch head;
            while ((head = dq.batches.peekFirst()) != null && now - head.createdNanos > deliveryTimeoutNanos) {
                dq.batches.pollFirst();
                head.closedForAppends = true;
                if (expired == null) {
                    expired = new ArrayList<>();
                }
                expired.add(head);
            }
        }
        if (expired != null) {
            for (ProducerBatch b : expired) {
                fail(b, new TimeoutException(b.recordCount() + " record(s) for " + b.partition + " expired after "
                        + config.deliveryTimeoutMs() + " ms (delivery.timeout.ms) without being sent"));
            }
        }
        for (int i = 0; i < dq.retries.size(); i++) {
            ProducerBatch b = dq.retries.get(i);
            if (now - b.createdNanos > deliveryTimeoutNanos) {
                dq.retries.remove(i--);
                fail(b, new TimeoutException(b.recordCount() + " record(s) for " + b.partition + " expired after "
                        + config.deliveryTimeoutMs() + " ms (delivery.timeout.ms) while waiting to be retried"
                        + (b.lastError == null ? "" : "; last error: " + b.lastError.getMessage()), b.lastError));
            }
        }
    }

    private void scheduleAt(long deadlineNanos) {
        if (timer != null && timerDeadline <= deadlineNanos) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        timerDeadline = deadlineNanos;
        timer = loop.schedule(() -> {
            timer = null;
            run();
        }, Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    // ------------------------------------------------------------------ InitProducerId

    private void initProducerId() {
        if (initInFlight) {
            return;
        }
        initInFlight = true;
        Request.Builder request = Request.newBuilder().setInitProducerId(
                InitProducerIdRequest.newBuilder().setProducerId(-1).setProducerEpoch(-1));
        client.withRetries(config.deliveryTimeoutMs(), () -> client.sendAny(request.clone(), config.requestTimeoutMs())
                .thenApply(frame -> {
                    try {
                        InitProducerIdResponse r = frame.message().getInitProducerId();
                        if (r.getErrorCode() != ErrorCode.NONE) {
                            throw Errors.of(r.getErrorCode(), "InitProducerId", r.getErrorMessage());
                        }
                        return r;
                    } finally {
                        frame.release();
                    }
                })).whenComplete((r, e) -> loop.execute(() -> {
                    initInFlight = false;
                    if (e == null) {
                        producerId = r.getProducerId();
                        producerEpoch = (short) r.getProducerEpoch();
                        log.debug("producer {} has producer id {} epoch {}", config.clientId(), producerId, producerEpoch);
                        wakeup();
                    } else {
                        log.warn("InitProducerId failed: {}; trying again after {} ms", Errors.unwrap(e).getMessage(),
                                config.retryBackoffMs());
                        scheduleAt(System.nanoTime() + backoffNanos);
                    }
                }));
    }

    // ------------------------------------------------------------------ produce

    /** The batches of one ProduceRequest to one leader, one per partition, in the order they were taken. */
    private final class ProduceBatches {
        final BrokerConnection conn;
        final List<PartitionDeque> deques = new ArrayList<>();
        final List<ProducerBatch> batches = new ArrayList<>();
        int bytes;

        ProduceBatches(BrokerConnection conn) {
            this.conn = conn;
        }

        boolean fits(ProducerBatch b) {
            return batches.isEmpty() || bytes + b.sizeInBytes() <= config.maxRequestSize();
        }

        void add(PartitionDeque dq, ProducerBatch b) {
            deques.add(dq);
            batches.add(b);
            bytes += b.sizeInBytes();
        }

        boolean isEmpty() {
            return batches.isEmpty();
        }
    }

    private void send(ProduceBatches request) {
        // Group by topic, keeping each topic's partitions in the order taken; the raw tail follows the same order.
        Map<String, List<Integer>> byTopic = new LinkedHashMap<>();
        for (int i = 0; i < request.batches.size(); i++) {
            byTopic.computeIfAbsent(request.batches.get(i).partition.topic(), t -> new ArrayList<>()).add(i);
        }
        ProduceRequest.Builder produce = ProduceRequest.newBuilder().setAcks(config.acks())
                .setTimeoutMs(config.requestTimeoutMs());
        ByteBuf[] tail = new ByteBuf[request.batches.size()];
        List<PartitionDeque> deques = new ArrayList<>(tail.length);
        List<ProducerBatch> batches = new ArrayList<>(tail.length);
        int t = 0;
        for (Map.Entry<String, List<Integer>> e : byTopic.entrySet()) {
            TopicProduceData.Builder topic = TopicProduceData.newBuilder().setName(e.getKey());
            for (int i : e.getValue()) {
                ProducerBatch b = request.batches.get(i);
                topic.addPartitions(PartitionProduceData.newBuilder().setPartition(b.partition.partition())
                        .setRecordsSize(b.sizeInBytes()));
                tail[t++] = b.retainedBytes();
                deques.add(request.deques.get(i));
                batches.add(b);
                b.attempts++;
            }
            produce.addTopics(topic);
        }
        Request.Builder envelope = Request.newBuilder().setProduce(produce);
        if (config.acks() == 0) {
            request.conn.sendOneWay(envelope, config.requestTimeoutMs(), tail).whenComplete((v, err) -> onLoop(() -> {
                for (int i = 0; i < batches.size(); i++) {
                    if (err == null) {
                        succeed(batches.get(i), -1, -1);
                    } else {
                        failOrRetry(deques.get(i), batches.get(i), Errors.asSluice(err));
                    }
                }
                wakeup();
            }));
            return;
        }
        for (int i = 0; i < batches.size(); i++) {
            deques.get(i).inFlight.add(batches.get(i));
        }
        request.conn.send(envelope, config.requestTimeoutMs(), tail).whenComplete((frame, err) -> onLoop(() -> {
            try {
                onProduceResponse(request.conn, deques, batches, frame, err);
            } finally {
                if (frame != null) {
                    frame.release();
                }
            }
            wakeup();
        }));
    }

    private void onLoop(Runnable r) {
        if (loop.inEventLoop()) {
            r.run();
        } else {
            loop.execute(r);
        }
    }

    private void onProduceResponse(BrokerConnection conn, List<PartitionDeque> deques, List<ProducerBatch> batches,
                                   InboundFrame<Response> frame, Throwable err) {
        if (err != null) {
            SluiceException e = Errors.asSluice(err);
            for (int i = 0; i < batches.size(); i++) {
                failOrRetry(deques.get(i), batches.get(i), e);
            }
            return;
        }
        Response response = frame.message();
        if (response.getErrorCode() != ErrorCode.NONE || !response.hasProduce()) {
            SluiceException e = response.getErrorCode() != ErrorCode.NONE
                    ? Errors.of(response.getErrorCode(), "produce to broker " + conn.address(), response.getErrorMessage())
                    : new UnknownServerException("produce to broker " + conn.address() + " was answered with "
                    + response.getBodyCase());
            for (int i = 0; i < batches.size(); i++) {
                failOrRetry(deques.get(i), batches.get(i), e);
            }
            return;
        }
        Map<TopicPartition, PartitionProduceResponse> answers = new HashMap<>();
        ProduceResponse produce = response.getProduce();
        for (TopicProduceResponse topic : produce.getTopicsList()) {
            for (PartitionProduceResponse p : topic.getPartitionsList()) {
                answers.put(new TopicPartition(topic.getName(), p.getPartition()), p);
            }
        }
        for (int i = 0; i < batches.size(); i++) {
            ProducerBatch b = batches.get(i);
            PartitionProduceResponse p = answers.get(b.partition);
            if (p == null) {
                failOrRetry(deques.get(i), b, new UnknownServerException("broker " + conn.address()
                        + " did not answer for " + b.partition));
            } else if (p.getErrorCode() == ErrorCode.NONE) {
                deques.get(i).inFlight.remove(b);
                succeed(b, p.getBaseOffset(), p.getLogAppendTime());
            } else if (p.getErrorCode() == ErrorCode.DUPLICATE_SEQUENCE) {
                // Written before; the broker no longer knows where.
                deques.get(i).inFlight.remove(b);
                succeed(b, -1, -1);
            } else {
                failOrRetry(deques.get(i), b, Errors.of(p.getErrorCode(), "produce to " + b.partition + " on broker "
                        + conn.address(), p.getErrorMessage()), refusedUnwritten(p.getErrorCode()));
            }
        }
    }

    private void succeed(ProducerBatch b, long baseOffset, long logAppendTime) {
        b.complete(baseOffset, logAppendTime);
        accumulator.deallocate(b);
    }

    private void fail(ProducerBatch b, RuntimeException error) {
        b.fail(error);
        accumulator.deallocate(b);
    }

    /** Answers with which the broker certainly did not write the batch (its sequence is free for the next one). */
    private static boolean refusedUnwritten(ErrorCode code) {
        return switch (code) {
            case NOT_ENOUGH_REPLICAS, OUT_OF_ORDER_SEQUENCE, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH,
                 UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION, CORRUPT_MESSAGE, RECORD_BATCH_TOO_LARGE,
                 INVALID_REQUIRED_ACKS -> true;
            default -> false;
        };
    }

    private void failOrRetry(PartitionDeque dq, ProducerBatch b, SluiceException error) {
        failOrRetry(dq, b, error, false);
    }

    /**
     * @param unwritten the broker answered that it did not write the batch: if it fails for good and no attempt of
     *                  it may have been written, an idempotent producer takes its sequence back (else every later
     *                  batch of the partition would be refused as out of order)
     */
    private void failOrRetry(PartitionDeque dq, ProducerBatch b, SluiceException error, boolean unwritten) {
        dq.inFlight.remove(b);
        long now = System.nanoTime();
        // A batch refused as out of sequence because an earlier one of its partition failed is not lost: it is
        // retried after that one.
        boolean consequence = error instanceof OutOfOrderSequenceException && idempotent && dq.hasEarlierUnacked(b);
        boolean retriable = error.isRetriable() || consequence;
        if (!unwritten) {
            b.maybeWritten = true;
        }
        if (!retriable || forceClosed || config.acks() == 0 || b.attempts > config.retries()) {
            if (idempotent && !b.maybeWritten) {
                dq.releaseSequences(b.baseSequence, b.recordCount());
            }
            fail(b, error);
            return;
        }
        if (now - b.createdNanos > deliveryTimeoutNanos) {
            fail(b, new TimeoutException(b.recordCount() + " record(s) for " + b.partition + " expired after "
                    + config.deliveryTimeoutMs() + " ms (delivery.timeout.ms); last error: " + error.getMessage(), error));
            return;
        }
        log.debug("retrying {} after: {}", b, error.getMessage());
        b.lastError = error;
        b.retryAfterNanos = now + backoffNanos;
        dq.addRetry(b);
        scheduleAt(b.createdNanos + deliveryTimeoutNanos + 1);
        if (Errors.needsMetadataRefresh(error.errorCode()) || error instanceof BrokerUnavailableException) {
            client.requestMetadataUpdate().whenComplete((c, e) -> wakeup());
        }
        scheduleAt(b.retryAfterNanos);
    }
}
