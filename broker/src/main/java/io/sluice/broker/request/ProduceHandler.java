package io.sluice.broker.request;

import io.netty.buffer.ByteBuf;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.broker.partition.AppendResult;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.broker.purgatory.DelayedOperation;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.PartitionProduceData;
import io.sluice.proto.message.PartitionProduceResponse;
import io.sluice.proto.message.ProduceRequest;
import io.sluice.proto.message.ProduceResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicProduceData;
import io.sluice.proto.message.TopicProduceResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Produce}: appends each partition's batches (from the frame's raw tail, in message order) to the
 * partition's log as its leader. Every batch is validated in full before any byte of it reaches the file.
 * {@code acks=0} gets no answer, {@code acks=1} is answered once the leader has appended, {@code acks=all}
 * once the high watermark has passed every appended batch (it parks in the purgatory until then).
 *
 * <p>min.insync.replicas (the topic's, else the broker's): an {@code acks=all} produce to a partition whose ISR is
 * smaller is refused with NOT_ENOUGH_REPLICAS before anything is appended. If the ISR shrinks below it while the
 * produce waits, the answer, once the high watermark has passed the batch, is NOT_ENOUGH_REPLICAS_AFTER_APPEND
 * (Kafka's behaviour): the batch is in the log and committed by the smaller ISR, but not with the redundancy the
 * producer asked for; it retries (an idempotent producer's retry is then answered as a duplicate). If the broker
 * stops leading the partition while the produce waits, the answer is NOT_LEADER_OR_FOLLOWER at once.
 *
 * <p>A retry of an idempotent producer's batch that the partition still remembers is answered like the
 * original was, {@code NONE} with the original base offset (as Kafka does), and nothing is written again.
 */
final class ProduceHandler implements RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(ProduceHandler.class);

    private final ReplicaManager replicas;
    private final Predicate<String> writableByClients;

    /** @param writableByClients false for topics clients may not produce to (the internal ones) */
    ProduceHandler(ReplicaManager replicas, Predicate<String> writableByClients) {
        this.replicas = replicas;
        this.writableByClients = writableByClients;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        ProduceRequest request = frame.message().getProduce();
        int acks = request.getAcks();
        List<Appended> appended = new ArrayList<>();
        try {
            ApiError requestError = checkRequest(request, frame.raw(), acks);
            ByteBuf raw = frame.raw();
            int position = raw.readerIndex();
            for (TopicProduceData topic : request.getTopicsList()) {
                for (PartitionProduceData p : topic.getPartitionsList()) {
                    TopicPartition tp = new TopicPartition(topic.getName(), p.getPartition());
                    Appended result = requestError.isError()
                            ? new Appended(tp, null, null, requestError)
                            : append(tp, raw, position, p.getRecordsSize(), acks);
                    position += Math.max(0, p.getRecordsSize());
                    appended.add(result);
                }
            }
        } finally {
            frame.release();
        }
        if (acks == 0) {
            for (Appended a : appended) {
                if (a.error.isError()) {
                    context.countError(a.error.code());
                    // No answer can carry the error: hang up, as Kafka does, so the producer notices and refreshes.
                    log.info("closing the connection of {}: acks=0 produce to {} failed: {}", context.remoteAddress(),
                            a.tp, a.error.message());
                    context.close();
                    break;
                }
            }
            return;
        }
        if (acks == -1) {
            DelayedProduce delayed = new DelayedProduce(context, appended, request.getTimeoutMs());
            List<TopicPartition> keys = appended.stream().filter(a -> a.partition != null).map(Appended::tp).toList();
            replicas.producePurgatory().tryCompleteElseWatch(delayed, keys);
            return;
        }
        send(context, appended, null);
    }

    private ApiError checkRequest(ProduceRequest request, ByteBuf raw, int acks) {
        if (acks != 0 && acks != 1 && acks != -1) {
            return ApiError.of(ErrorCode.INVALID_REQUIRED_ACKS, "acks must be 0, 1 or -1 (all), not " + acks);
        }
        long declared = 0;
        for (TopicProduceData topic : request.getTopicsList()) {
            for (PartitionProduceData p : topic.getPartitionsList()) {
                if (p.getRecordsSize() < 0) {
                    return ApiError.of(ErrorCode.INVALID_REQUEST, topic.getName() + "-" + p.getPartition()
                            + ": negative records_size " + p.getRecordsSize());
                }
                declared += p.getRecordsSize();
            }
        }
        if (declared != raw.readableBytes()) {
            return ApiError.of(ErrorCode.INVALID_REQUEST, "the partitions' records_size add up to " + declared
                    + " bytes but the request carries " + raw.readableBytes());
        }
        return ApiError.NONE;
    }

    private Appended append(TopicPartition tp, ByteBuf raw, int position, int size, int acks) {
        if (!writableByClients.test(tp.topic())) {
            return new Appended(tp, null, null, ApiError.of(ErrorCode.INVALID_TOPIC, tp.topic() + " is an internal topic"));
        }
        Partition partition = replicas.partition(tp);
        if (partition == null) {
            return new Appended(tp, null, null, ApiError.of(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "this broker does not host " + tp));
        }
        if (size == 0) {
            return new Appended(tp, partition, null, ApiError.of(ErrorCode.CORRUPT_MESSAGE, tp + ": no record batch"));
        }
        AppendResult result;
        int minIsr = acks == -1 ? replicas.minInsyncReplicas(tp.topic()) : 0;
        int epoch = partition.leaderEpoch();
        try {
            result = partition.appendAsLeader(raw.nioBuffer(position, size), acks, Math.max(1, minIsr));
        } catch (RuntimeException e) {
            return new Appended(tp, partition, null, ApiError.from(e, tp));
        }
        if (result.isError()) {
            return new Appended(tp, partition, null, ApiError.of(result.error(), result.message()));
        }
        if (result.appended() != null) {
            partition.traffic().appended(result.appended().recordCount(), result.appended().sizeInBytes());
            // Outside the append's error handling: a waiter failing to answer must not turn a done append into an error.
            replicas.onLogAppended(partition);
        }
        return new Appended(tp, partition, result, ApiError.NONE, epoch, minIsr);
    }

    private void send(RequestContext context, List<Appended> appended, ApiError overrideForWaiting) {
        ProduceResponse.Builder body = ProduceResponse.newBuilder();
        TopicProduceResponse.Builder topic = null;
        for (Appended a : appended) {
            if (topic == null || !topic.getName().equals(a.tp.topic())) {
                if (topic != null) {
                    body.addTopics(topic);
                }
                topic = TopicProduceResponse.newBuilder().setName(a.tp.topic());
            }
            ApiError error = a.error;
            if (!error.isError() && overrideForWaiting != null && !a.committed()) {
                error = a.leaderChanged() ? ApiError.of(ErrorCode.NOT_LEADER_OR_FOLLOWER, a.tp + ": this broker stopped"
                        + " leading the partition (epoch " + a.leaderEpoch + ") before the high watermark reached the batch")
                        : overrideForWaiting;
            }
            if (!error.isError() && overrideForWaiting != null && a.result != null && a.minInsyncReplicas > 0
                    && a.partition.inSyncReplicas().size() < a.minInsyncReplicas) {
                error = ApiError.of(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, a.tp + ": written, but the in-sync"
                        + " replicas " + a.partition.inSyncReplicas() + " are now fewer than min.insync.replicas="
                        + a.minInsyncReplicas);
            }
            if (error.isError()) {
                context.countError(error.code());
            }
            PartitionProduceResponse.Builder p = PartitionProduceResponse.newBuilder()
                    .setPartition(a.tp.partition())
                    .setErrorCode(error.code())
                    .setErrorMessage(error.message())
                    .setBaseOffset(a.result == null || error.isError() ? -1 : a.result.firstOffset())
                    .setLogAppendTime(-1)
                    .setLogStartOffset(a.partition == null ? -1 : a.partition.logStartOffset());
            topic.addPartitions(p);
        }
        if (topic != null) {
            body.addTopics(topic);
        }
        context.send(Response.newBuilder().setProduce(body));
    }

    /**
     * One partition's part of the request and what became of it: the leader epoch it was appended under, and the
     * min.insync.replicas it must still meet when committed (0 unless acks=all).
     */
    private record Appended(TopicPartition tp, Partition partition, AppendResult result, ApiError error,
                            int leaderEpoch, int minInsyncReplicas) {
        Appended(TopicPartition tp, Partition partition, AppendResult result, ApiError error) {
            this(tp, partition, result, error, -1, 0);
        }

        /**
         * True once the high watermark has passed everything appended, or the original of a retried batch
         * (or there is nothing to wait for), while this broker still leads at the epoch of the append.
         */
        boolean committed() {
            return result == null || (!leaderChanged() && partition.highWatermark() > result.lastOffset());
        }

        /** This broker no longer leads the partition at the epoch the batch was appended under. */
        boolean leaderChanged() {
            return result != null && (!partition.isLeader() || partition.leaderEpoch() != leaderEpoch);
        }
    }

    /** An {@code acks=all} produce waiting for the high watermark to pass its batches. */
    private final class DelayedProduce extends DelayedOperation {
        private final RequestContext context;
        private final List<Appended> appended;
        private volatile boolean expired;

        DelayedProduce(RequestContext context, List<Appended> appended, long timeoutMs) {
            super(Math.max(1, timeoutMs));
            this.context = context;
            this.appended = appended;
        }

        @Override
        public boolean tryComplete() {
            for (Appended a : appended) {
                if (!a.error.isError() && !a.committed() && !a.leaderChanged()) {
                    return false;
                }
            }
            return forceComplete();
        }

        @Override
        protected void onExpiration() {
            expired = true;
        }

        /**
         * Partitions whose batch the high watermark has not passed get an error: a timeout, or, when the wait
         * was cut short (the partition deleted, the broker stopping), NOT_LEADER_OR_FOLLOWER.
         */
        @Override
        protected void onComplete() {
            ApiError notCommitted = expired
                    ? ApiError.of(ErrorCode.REQUEST_TIMED_OUT, "the high watermark did not reach the batch within the timeout")
                    : ApiError.of(ErrorCode.NOT_LEADER_OR_FOLLOWER, "this broker stopped leading the partition before"
                            + " the high watermark reached the batch");
            send(context, appended, notCommitted);
        }

        @Override
        protected void onCompleteFailed(RuntimeException e) {
            ApiError error = ApiError.from(e, "produce");
            context.sendError(error.code(), error.message());
        }
    }
}
