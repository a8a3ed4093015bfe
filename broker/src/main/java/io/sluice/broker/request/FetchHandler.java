package io.sluice.broker.request;

import io.sluice.broker.fetch.LogSliceRegion;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.broker.purgatory.DelayedOperation;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.FetchPartition;
import io.sluice.proto.message.FetchPartitionResponse;
import io.sluice.proto.message.FetchRequest;
import io.sluice.proto.message.FetchResponse;
import io.sluice.proto.message.FetchTopic;
import io.sluice.proto.message.FetchableTopicResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Fetch}: reads whole batches from each partition (below the high watermark for consumers, below the
 * log end for followers) and answers with the protobuf header followed by one {@link LogSliceRegion} per
 * partition slice, so the payload goes from the page cache to the socket with {@code sendfile}. When fewer
 * than {@code min_bytes} are there, the fetch parks in the purgatory until an append brings enough or
 * {@code max_wait_ms} passes.
 *
 * <p>A fetch with {@code replica_id} ≥ 0 comes from a follower: it must be one of the partition's replicas (else
 * INVALID_REQUEST naming it) and carry the current leader epoch (older: FENCED_LEADER_EPOCH, newer:
 * UNKNOWN_LEADER_EPOCH). It reads up to the log end, not the high watermark, and goes out as file regions counted
 * on the follower path. Its fetch offset is the follower's log end: it is recorded (once, when the request
 * arrives) with {@link ReplicaManager#recordFollowerFetch}, which moves the high watermark and wakes whatever
 * waits on it; the answer carries the leader's high watermark and log start for the follower to take.
 * Consumers and followers alike are refused NOT_LEADER_OR_FOLLOWER by a broker that only follows the partition.
 */
final class FetchHandler implements RequestHandler {
    /** Upper bound of one answer's records, whatever max_bytes asks: far below the frame format's 2 GiB. */
    static final int MAX_RESPONSE_BYTES = 1 << 30;
    private final ReplicaManager replicas;
    FetchHandler(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        FetchRequest request = frame.message().getFetch();
        frame.release(); // a fetch request has no raw tail worth keeping
        List<Wanted> wanted = new ArrayList<>();
        for (FetchTopic topic : request.getTopicsList()) {
            for (FetchPartition p : topic.getPartitionsList()) {
                wanted.add(new Wanted(topic.getName(), new TopicPartition(topic.getName(), p.getPartition()), p));
            }
        }
        int replicaId = request.getReplicaId();
        boolean follower = replicaId >= 0;
        if (follower) {
            recordFollowerFetches(wanted, replicaId);
        }
        int minBytes = Math.max(0, request.getMinBytes());
        // An unset or huge max_bytes must not build an answer the frame format cannot carry (2 GiB).
        int maxBytes = request.getMaxBytes() > 0 ? Math.min(request.getMaxBytes(), MAX_RESPONSE_BYTES) : MAX_RESPONSE_BYTES;
        Reads reads = read(wanted, maxBytes, replicaId);
        if (request.getMaxWaitMs() <= 0 || reads.bytes >= minBytes || reads.hasError || wanted.isEmpty()) {
            send(context, reads, follower);
            return;
        }
        reads.release();
        DelayedFetch delayed = new DelayedFetch(context, wanted, minBytes, maxBytes, replicaId, request.getMaxWaitMs());
        List<TopicPartition> keys = wanted.stream().map(Wanted::tp).toList();
        if (!replicas.fetchPurgatory().tryCompleteElseWatch(delayed, keys)) {
            delayed.watchConnection();
        }
    }

    /** Records each partition's fetch offset as the follower's log end, where the fetch is one the leader serves. */
    private void recordFollowerFetches(List<Wanted> wanted, int replicaId) {
        for (Wanted w : wanted) {
            Partition partition = replicas.partition(w.tp);
            if (partition == null || !partition.isLeader() || checkEpoch(partition, w.request.getCurrentLeaderEpoch()).isError()) {
                continue;
            }
            long offset = w.request.getFetchOffset();
            if (offset >= partition.logStartOffset() && offset <= partition.logEndOffset()) {
                replicas.recordFollowerFetch(partition, replicaId, offset);
            }
        }
    }

    /** One partition the fetch asks for, in request order. */
    private record Wanted(String topic, TopicPartition tp, FetchPartition request) {
    }

    /** What was read for every partition, in request order; owns the slices until they are sent. */
    private static final class Reads {
        final List<FetchPartitionResponse.Builder> responses = new ArrayList<>();
        final List<LogSlice> slices = new ArrayList<>();
        final List<String> topics = new ArrayList<>();
        /** The partition of each slice, or null where it is not hosted. */
        final List<Partition> partitions = new ArrayList<>();
        long bytes;
        boolean hasError;

        void release() {
            slices.forEach(s -> {
                if (s != null) {
                    s.close();
                }
            });
            slices.clear();
        }
    }

    private Reads read(List<Wanted> wanted, int maxBytes, int replicaId) {
        boolean follower = replicaId >= 0;
        Reads reads = new Reads();
        long remaining = maxBytes;
        for (Wanted w : wanted) {
            FetchPartitionResponse.Builder response = FetchPartitionResponse.newBuilder()
                    .setPartition(w.tp.partition())
                    .setHighWatermark(-1)
                    .setLogStartOffset(-1)
                    .setLogEndOffset(-1)
                    .setLeaderEpoch(-1);
            LogSlice slice = null;
            Partition partition = replicas.partition(w.tp);
            ApiError error = ApiError.NONE;
            if (partition == null) {
                error = ApiError.of(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "this broker does not host " + w.tp);
            } else {
                response.setHighWatermark(partition.highWatermark())
                        .setLogStartOffset(partition.logStartOffset())
                        .setLogEndOffset(partition.logEndOffset())
                        .setLeaderEpoch(partition.leaderEpoch());
                error = checkLeader(partition, replicaId, w.request.getCurrentLeaderEpoch());
                if (!error.isError() && remaining > 0) {
                    int partitionMax = w.request.getPartitionMaxBytes() > 0 ? w.request.getPartitionMaxBytes() : Integer.MAX_VALUE;
                    int limit = (int) Math.min(partitionMax, remaining);
                    try {
                        slice = partition.read(w.request.getFetchOffset(), limit, !follower);
                        if (slice.isEmpty()) {
                            slice.close();
                            slice = null;
                        } else if (reads.bytes > 0 && slice.length() > remaining) {
                            // Only the first partition with data may overshoot max_bytes (progress guarantee).
                            slice.close();
                            slice = null;
                        }
                    } catch (RuntimeException e) {
                        error = ApiError.from(e, w.tp);
                    }
                }
            }
            if (error.isError()) {
                reads.hasError = true;
                response.setErrorCode(error.code()).setErrorMessage(error.message());
            }
            int size = slice == null ? 0 : slice.length();
            response.setRecordsSize(size);
            reads.bytes += size;
            remaining -= size;
            reads.responses.add(response);
            reads.slices.add(slice);
            reads.topics.add(w.topic);
            reads.partitions.add(partition);
        }
        return reads;
    }

    /**
     * Whether this broker may answer a request for {@code partition} as its leader at {@code requestEpoch} (-1: any),
     * checked in Kafka's order: the epoch first, then the role. A request at a newer epoch than this broker knows is
     * UNKNOWN_LEADER_EPOCH even when this broker still follows: it is the new leader whose metadata has not arrived
     * yet (a few milliseconds after an election), and the requester retries soon instead of treating it as a broker
     * that does not lead (NOT_LEADER_OR_FOLLOWER).
     */
    static ApiError checkLeader(Partition partition, int replicaId, int requestEpoch) {
        ApiError error = checkEpoch(partition, requestEpoch);
        return error.isError() ? error : checkRole(partition, replicaId);
    }

    /** NOT_LEADER_OR_FOLLOWER on a follower; INVALID_REQUEST for a follower fetch from a broker not a replica. */
    private static ApiError checkRole(Partition partition, int replicaId) {
        if (!partition.isLeader()) {
            return ApiError.of(ErrorCode.NOT_LEADER_OR_FOLLOWER, partition.topicPartition() + ": this broker follows broker "
                    + partition.leaderId() + " at leader epoch " + partition.leaderEpoch());
        }
        if (replicaId >= 0 && !partition.replicas().contains(replicaId)) {
            return ApiError.of(ErrorCode.INVALID_REQUEST, partition.topicPartition() + ": broker " + replicaId
                    + " is not a replica (replicas " + partition.replicas() + ") and may not fetch as a follower");
        }
        return ApiError.NONE;
    }

    /** FENCED_ or UNKNOWN_LEADER_EPOCH when a request names an epoch (≥ 0) other than the partition's. */
    private static ApiError checkEpoch(Partition partition, int requestEpoch) {
        if (requestEpoch < 0 || requestEpoch == partition.leaderEpoch()) {
            return ApiError.NONE;
        }
        if (requestEpoch < partition.leaderEpoch()) {
            return ApiError.of(ErrorCode.FENCED_LEADER_EPOCH, partition.topicPartition() + ": leader epoch "
                    + requestEpoch + " is older than the current " + partition.leaderEpoch());
        }
        return ApiError.of(ErrorCode.UNKNOWN_LEADER_EPOCH, partition.topicPartition() + ": leader epoch "
                + requestEpoch + " is newer than this broker's " + partition.leaderEpoch());
    }

    private void send(RequestContext context, Reads reads, boolean follower) {
        FetchResponse.Builder body = FetchResponse.newBuilder();
        FetchableTopicResponse.Builder topic = null;
        String topicName = null;
        List<Object> tail = new ArrayList<>();
        for (int i = 0; i < reads.responses.size(); i++) {
            FetchPartitionResponse.Builder p = reads.responses.get(i);
            LogSlice slice = reads.slices.get(i);
            String name = nameOf(reads, i);
            if (topic == null || !name.equals(topicName)) {
                if (topic != null) {
                    body.addTopics(topic);
                }
                topic = FetchableTopicResponse.newBuilder().setName(name);
                topicName = name;
            }
            topic.addPartitions(p);
            if (p.getErrorCode() != ErrorCode.NONE) {
                context.countError(p.getErrorCode());
            }
            if (slice != null) {
                // Counted in the partition's traffic when it reaches the socket (see TrafficCounter).
                tail.add(new LogSliceRegion(slice, reads.partitions.get(i).traffic(), follower));
            }
        }
        if (topic != null) {
            body.addTopics(topic);
        }
        reads.slices.clear(); // the regions own them now
        context.send(Response.newBuilder().setFetch(body), tail);
    }

    private static String nameOf(Reads reads, int i) {
        return reads.topics.get(i);
    }

    /**
     * A fetch waiting for {@code minBytes}. Its condition is checked by reading (index lookups only, no
     * data is touched) and the reads are dropped; the answer is read again when it completes, by the thread
     * that completes it: an appender, or the timer at {@code max_wait_ms}.
     */
    private final class DelayedFetch extends DelayedOperation {
        private final RequestContext context;
        private final List<Wanted> wanted;
        private final int minBytes;
        private final int maxBytes;
        private final int replicaId;
        /** Takes back the connection-close listener; set once parked, run when complete. */
        private volatile Runnable stopWatchingConnection;

        DelayedFetch(RequestContext context, List<Wanted> wanted, int minBytes, int maxBytes, int replicaId, long delayMs) {
            super(delayMs);
            this.context = context;
            this.wanted = wanted;
            this.minBytes = minBytes;
            this.maxBytes = maxBytes;
            this.replicaId = replicaId;
        }

        @Override
        public boolean tryComplete() {
            if (!context.isOpen()) {
                return forceComplete();
            }
            Reads reads = read(wanted, maxBytes, replicaId);
            boolean enough = reads.bytes >= minBytes || reads.hasError;
            reads.release();
            return enough && forceComplete();
        }

        /**
         * A parked fetch whose consumer disconnects leaves the purgatory when the connection closes, not at the next
         * append to one of its partitions or at its max wait (which a client may set to hours), holding the
         * connection until then. Completing it then sends nothing and reads nothing (this runs on the event loop).
         */
        void watchConnection() {
            stopWatchingConnection = context.onConnectionClose(this::forceComplete);
            if (isCompleted()) {
                stopWatchingConnection.run();
            }
        }

        @Override
        protected void onComplete() {
            try {
                if (context.isOpen()) {
                    send(context, read(wanted, maxBytes, replicaId), replicaId >= 0);
                }
            } finally {
                Runnable stop = stopWatchingConnection;
                if (stop != null) {
                    stop.run();
                }
            }
        }

        @Override
        protected void onCompleteFailed(RuntimeException e) {
            ApiError error = ApiError.from(e, "fetch");
            context.sendError(error.code(), error.message());
        }
    }
}
