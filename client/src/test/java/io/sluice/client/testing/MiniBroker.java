package io.sluice.client.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.BrokerInfo;
import io.sluice.proto.message.CreatableTopic;
import io.sluice.proto.message.CreateTopicsResponse;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.FetchPartition;
import io.sluice.proto.message.FetchPartitionResponse;
import io.sluice.proto.message.FetchRequest;
import io.sluice.proto.message.FetchResponse;
import io.sluice.proto.message.FetchTopic;
import io.sluice.proto.message.FetchableTopicResponse;
import io.sluice.proto.message.InitProducerIdResponse;
import io.sluice.proto.message.ListOffsetsPartition;
import io.sluice.proto.message.ListOffsetsPartitionResponse;
import io.sluice.proto.message.ListOffsetsResponse;
import io.sluice.proto.message.ListOffsetsTopic;
import io.sluice.proto.message.ListOffsetsTopicResponse;
import io.sluice.proto.message.MetadataResponse;
import io.sluice.proto.message.OffsetCommitPartition;
import io.sluice.proto.message.OffsetCommitResponse;
import io.sluice.proto.message.OffsetCommitTopic;
import io.sluice.proto.message.OffsetCommitTopicResponse;
import io.sluice.proto.message.OffsetFetchPartitionResponse;
import io.sluice.proto.message.OffsetFetchResponse;
import io.sluice.proto.message.OffsetFetchTopic;
import io.sluice.proto.message.OffsetFetchTopicResponse;
import io.sluice.proto.message.PartitionError;
import io.sluice.proto.message.PartitionMetadata;
import io.sluice.proto.message.PartitionProduceData;
import io.sluice.proto.message.PartitionProduceResponse;
import io.sluice.proto.message.ProduceResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.sluice.proto.message.TopicMetadata;
import io.sluice.proto.message.TopicProduceData;
import io.sluice.proto.message.TopicProduceResponse;
import io.sluice.proto.message.TopicResult;
import io.sluice.proto.record.RecordBatch;
import io.sluice.proto.record.RecordBatches;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory single-node broker for client tests, on {@link FakeBroker}: topics, logs of whole batches, idempotent
 * producer sequences, fetch (with a simple long poll), list offsets, committed offsets. Faults are injected through
 * its public fields. State is confined to the server's event loop, except where methods are synchronized for tests
 * to read.
 */
public final class MiniBroker implements AutoCloseable {
    public static final int NODE_ID = 1;

    /** One partition's log: batches by base offset. */
    public static final class PartitionLog {
        public final TreeMap<Long, byte[]> batches = new TreeMap<>();
        public long logStart;
        public long logEnd;
        public int leaderEpoch;
    }

    private record ProducerState(int lastSequence, Map<Integer, Long> offsetsBySequence) {
    }

    private final FakeBroker server;
    private final Map<String, List<PartitionLog>> topics = new LinkedHashMap<>();
    private final Map<String, Map<TopicPartition, Long>> committed = new HashMap<>();
    private final Map<Long, Map<TopicPartition, ProducerState>> producers = new HashMap<>();
    private long nextProducerId = 1000;
    private final java.util.Set<FakeBroker.Exchange> parked = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Every produced batch as received (before the broker sets offsets): partition, base sequence, CRC. */
    public final List<String> received = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Chooses an error for a partition's produce before anything is appended (null or NONE: none). */
    public volatile java.util.function.BiFunction<TopicPartition, RecordBatch, ErrorCode> produceFault;
    /** The next this many produce requests are appended but never answered. */
    public final AtomicInteger dropProduceResponses = new AtomicInteger();
    public final AtomicInteger produceRequests = new AtomicInteger();
    public final AtomicInteger fetchRequests = new AtomicInteger();
    /** Produce answers offsets without checking or storing the batches (for measuring the producer alone). */
    public volatile boolean sink;

    public MiniBroker() throws InterruptedException {
        server = new FakeBroker(this::handle);
    }

    public String bootstrap() {
        return server.bootstrap();
    }

    public FakeBroker server() {
        return server;
    }

    public synchronized void createTopic(String name, int partitions) {
        List<PartitionLog> logs = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            logs.add(new PartitionLog());
        }
        topics.put(name, logs);
    }

    public synchronized PartitionLog log(String topic, int partition) {
        return topics.get(topic).get(partition);
    }

    /** Appends a batch as produced (the broker sets its base offset and epoch). */
    public synchronized long append(TopicPartition tp, ByteBuffer batch) {
        PartitionLog log = topics.get(tp.topic()).get(tp.partition());
        byte[] bytes = new byte[batch.remaining()];
        batch.duplicate().get(bytes);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long base = log.logEnd;
        RecordBatch.setBaseOffset(b, 0, base);
        RecordBatch.setPartitionLeaderEpoch(b, 0, log.leaderEpoch);
        log.batches.put(base, bytes);
        log.logEnd = base + RecordBatch.at(b, 0).recordCount();
        return base;
    }

    @Override
    public void close() {
        server.close();
        // Long-polling fetches the stopped event loop will never answer.
        for (FakeBroker.Exchange ex : parked) {
            if (parked.remove(ex)) {
                ex.release();
            }
        }
    }

    private synchronized void handle(FakeBroker.Exchange ex) {
        Request r = ex.request();
        switch (r.getBodyCase()) {
            case METADATA -> ex.reply(Response.newBuilder().setMetadata(metadata(r.getMetadata().getTopicsList(),
                    r.getMetadata().getAllTopics())));
            case INIT_PRODUCER_ID -> ex.reply(Response.newBuilder().setInitProducerId(
                    InitProducerIdResponse.newBuilder().setProducerId(nextProducerId++).setProducerEpoch(0)));
            case PRODUCE -> produce(ex);
            case FETCH -> fetch(ex, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(r.getFetch().getMaxWaitMs()));
            case LIST_OFFSETS -> ex.reply(Response.newBuilder().setListOffsets(listOffsets(r)));
            case CREATE_TOPICS -> {
                CreateTopicsResponse.Builder out = CreateTopicsResponse.newBuilder();
                for (CreatableTopic t : r.getCreateTopics().getTopicsList()) {
                    ErrorCode code = topics.containsKey(t.getName()) ? ErrorCode.TOPIC_ALREADY_EXISTS : ErrorCode.NONE;
                    if (code == ErrorCode.NONE) {
                        createTopic(t.getName(), t.getNumPartitions() == 0 ? 1 : t.getNumPartitions());
                    }
                    out.addTopics(TopicResult.newBuilder().setName(t.getName()).setErrorCode(code));
                }
                ex.reply(Response.newBuilder().setCreateTopics(out));
            }
            case OFFSET_COMMIT -> {
                OffsetCommitResponse.Builder out = OffsetCommitResponse.newBuilder();
                Map<TopicPartition, Long> group = committed.computeIfAbsent(r.getOffsetCommit().getGroupId(), g -> new HashMap<>());
                for (OffsetCommitTopic t : r.getOffsetCommit().getTopicsList()) {
                    OffsetCommitTopicResponse.Builder tr = OffsetCommitTopicResponse.newBuilder().setName(t.getName());
                    for (OffsetCommitPartition p : t.getPartitionsList()) {
                        group.put(new TopicPartition(t.getName(), p.getPartition()), p.getCommittedOffset());
                        tr.addPartitions(PartitionError.newBuilder().setPartition(p.getPartition()));
                    }
                    out.addTopics(tr);
                }
                ex.reply(Response.newBuilder().setOffsetCommit(out));
            }
            case OFFSET_FETCH -> {
                OffsetFetchResponse.Builder out = OffsetFetchResponse.newBuilder();
                Map<TopicPartition, Long> group = committed.getOrDefault(r.getOffsetFetch().getGroupId(), Map.of());
                for (OffsetFetchTopic t : r.getOffsetFetch().getTopicsList()) {
                    OffsetFetchTopicResponse.Builder tr = OffsetFetchTopicResponse.newBuilder().setName(t.getName());
                    for (int p : t.getPartitionsList()) {
                        tr.addPartitions(OffsetFetchPartitionResponse.newBuilder().setPartition(p)
                                .setCommittedOffset(group.getOrDefault(new TopicPartition(t.getName(), p), -1L)));
                    }
                    out.addTopics(tr);
                }
                ex.reply(Response.newBuilder().setOffsetFetch(out));
            }
            default -> ex.reply(Response.newBuilder().setErrorCode(ErrorCode.UNKNOWN_API)
                    .setErrorMessage("MiniBroker does not do " + r.getBodyCase()));
        }
    }

    private MetadataResponse.Builder metadata(List<String> wanted, boolean all) {
        MetadataResponse.Builder out = MetadataResponse.newBuilder().setClusterId("mini").setControllerId(NODE_ID)
                .addBrokers(BrokerInfo.newBuilder().setNodeId(NODE_ID).setHost("127.0.0.1").setPort(server.port()));
        List<String> names = wanted.isEmpty() && all ? new ArrayList<>(topics.keySet()) : wanted;
        for (String name : names) {
            List<PartitionLog> logs = topics.get(name);
            if (logs == null) {
                out.addTopics(TopicMetadata.newBuilder().setName(name).setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
                continue;
            }
            TopicMetadata.Builder t = TopicMetadata.newBuilder().setName(name);
            for (int i = 0; i < logs.size(); i++) {
                PartitionLog log = logs.get(i);
                t.addPartitions(PartitionMetadata.newBuilder().setPartition(i).setLeaderId(NODE_ID)
                        .setLeaderEpoch(log.leaderEpoch).addReplicas(NODE_ID).addIsr(NODE_ID)
                        .setLogStartOffset(log.logStart).setLogEndOffset(log.logEnd).setHighWatermark(log.logEnd));
            }
            out.addTopics(t);
        }
        return out;
    }

    private void produce(FakeBroker.Exchange ex) {
        produceRequests.incrementAndGet();
        ByteBuf raw = ex.raw();
        int at = raw.readerIndex();
        ProduceResponse.Builder out = ProduceResponse.newBuilder();
        for (TopicProduceData t : ex.request().getProduce().getTopicsList()) {
            TopicProduceResponse.Builder tr = TopicProduceResponse.newBuilder().setName(t.getName());
            for (PartitionProduceData p : t.getPartitionsList()) {
                TopicPartition tp = new TopicPartition(t.getName(), p.getPartition());
                ByteBuffer bytes = raw.nioBuffer(at, p.getRecordsSize());
                at += p.getRecordsSize();
                tr.addPartitions(appendProduced(tp, bytes).setPartition(p.getPartition()));
            }
            out.addTopics(tr);
        }
        if (ex.request().getProduce().getAcks() == 0) {
            return;
        }
        if (dropProduceResponses.get() > 0 && dropProduceResponses.decrementAndGet() >= 0) {
            return;
        }
        ex.reply(Response.newBuilder().setProduce(out));
    }

    private PartitionProduceResponse.Builder appendProduced(TopicPartition tp, ByteBuffer bytes) {
        PartitionProduceResponse.Builder r = PartitionProduceResponse.newBuilder();
        List<PartitionLog> logs = topics.get(tp.topic());
        if (logs == null || tp.partition() >= logs.size()) {
            return r.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        long firstOffset = -1;
        if (sink) {
            PartitionLog log = logs.get(tp.partition());
            long base = log.logEnd;
            for (RecordBatch batch : RecordBatches.of(bytes)) {
                log.logEnd += batch.recordCount();
            }
            return r.setBaseOffset(base).setLogAppendTime(-1);
        }
        for (RecordBatch batch : RecordBatches.of(bytes)) {
            batch.validate();
            received.add(tp + " seq=" + batch.baseSequence() + " crc=" + batch.checksum());
            java.util.function.BiFunction<TopicPartition, RecordBatch, ErrorCode> fault = produceFault;
            ErrorCode injected = fault == null ? null : fault.apply(tp, batch);
            if (injected != null && injected != ErrorCode.NONE) {
                return r.setErrorCode(injected).setErrorMessage("injected");
            }
            long pid = batch.producerId();
            if (pid >= 0) {
                Map<TopicPartition, ProducerState> states = producers.computeIfAbsent(pid, x -> new HashMap<>());
                ProducerState st = states.getOrDefault(tp, new ProducerState(-1, new HashMap<>()));
                int seq = batch.baseSequence();
                if (seq <= st.lastSequence()) {
                    Long original = st.offsetsBySequence().get(seq);
                    return original == null ? r.setErrorCode(ErrorCode.DUPLICATE_SEQUENCE) : r.setBaseOffset(original);
                }
                if (seq != st.lastSequence() + 1) {
                    return r.setErrorCode(ErrorCode.OUT_OF_ORDER_SEQUENCE).setErrorMessage(
                            "expected " + (st.lastSequence() + 1) + ", got " + seq);
                }
                long base = append(tp, batch.slice());
                st.offsetsBySequence().put(seq, base);
                states.put(tp, new ProducerState(batch.lastSequence(), st.offsetsBySequence()));
                firstOffset = firstOffset < 0 ? base : firstOffset;
            } else {
                long base = append(tp, batch.slice());
                firstOffset = firstOffset < 0 ? base : firstOffset;
            }
        }
        return r.setBaseOffset(firstOffset).setLogAppendTime(-1);
    }

    private synchronized void fetch(FakeBroker.Exchange ex, long deadlineNanos) {
        fetchRequests.incrementAndGet();
        FetchRequest req = ex.request().getFetch();
        FetchResponse.Builder out = FetchResponse.newBuilder();
        List<ByteBuf> tail = new ArrayList<>();
        int total = 0;
        for (FetchTopic t : req.getTopicsList()) {
            FetchableTopicResponse.Builder tr = FetchableTopicResponse.newBuilder().setName(t.getName());
            for (FetchPartition p : t.getPartitionsList()) {
                FetchPartitionResponse.Builder pr = FetchPartitionResponse.newBuilder().setPartition(p.getPartition());
                List<PartitionLog> logs = topics.get(t.getName());
                if (logs == null || p.getPartition() >= logs.size()) {
                    tr.addPartitions(pr.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
                    continue;
                }
                PartitionLog log = logs.get(p.getPartition());
                pr.setHighWatermark(log.logEnd).setLogStartOffset(log.logStart).setLogEndOffset(log.logEnd)
                        .setLeaderEpoch(log.leaderEpoch);
                if (p.getFetchOffset() < log.logStart || p.getFetchOffset() > log.logEnd) {
                    tr.addPartitions(pr.setErrorCode(ErrorCode.OFFSET_OUT_OF_RANGE));
                    continue;
                }
                int size = 0;
                Map.Entry<Long, byte[]> e = log.batches.floorEntry(p.getFetchOffset());
                Long from = e == null || lastOffset(e.getValue()) < p.getFetchOffset()
                        ? log.batches.ceilingKey(p.getFetchOffset()) : e.getKey();
                if (from != null) {
                    for (byte[] b : log.batches.tailMap(from, true).values()) {
                        if (size > 0 && size + b.length > p.getPartitionMaxBytes()) {
                            break;
                        }
                        if (total + size + b.length > req.getMaxBytes() && total + size > 0) {
                            break;
                        }
                        tail.add(Unpooled.wrappedBuffer(b));
                        size += b.length;
                    }
                }
                total += size;
                tr.addPartitions(pr.setRecordsSize(size));
            }
            out.addTopics(tr);
        }
        if (total < Math.max(1, req.getMinBytes()) && System.nanoTime() < deadlineNanos) {
            tail.forEach(ByteBuf::release);
            ex.retain();
            parked.add(ex);
            ex.channel().eventLoop().schedule(() -> {
                if (!parked.remove(ex)) {
                    return;
                }
                try {
                    fetch(ex, deadlineNanos);
                } finally {
                    ex.release();
                }
            }, 2, TimeUnit.MILLISECONDS);
            return;
        }
        ex.reply(Response.newBuilder().setFetch(out), tail.toArray(new ByteBuf[0]));
    }

    private static long lastOffset(byte[] batch) {
        return RecordBatch.at(ByteBuffer.wrap(batch), 0).lastOffset();
    }

    private ListOffsetsResponse.Builder listOffsets(Request r) {
        ListOffsetsResponse.Builder out = ListOffsetsResponse.newBuilder();
        for (ListOffsetsTopic t : r.getListOffsets().getTopicsList()) {
            ListOffsetsTopicResponse.Builder tr = ListOffsetsTopicResponse.newBuilder().setName(t.getName());
            for (ListOffsetsPartition p : t.getPartitionsList()) {
                ListOffsetsPartitionResponse.Builder pr = ListOffsetsPartitionResponse.newBuilder()
                        .setPartition(p.getPartition()).setTimestamp(-1);
                List<PartitionLog> logs = topics.get(t.getName());
                if (logs == null || p.getPartition() >= logs.size()) {
                    tr.addPartitions(pr.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
                    continue;
                }
                PartitionLog log = logs.get(p.getPartition());
                long offset = p.getTimestamp() == -2 ? log.logStart : log.logEnd;
                tr.addPartitions(pr.setOffset(offset).setLeaderEpoch(log.leaderEpoch));
            }
            out.addTopics(tr);
        }
        return out;
    }
}
