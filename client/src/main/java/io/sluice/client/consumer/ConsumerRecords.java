package io.sluice.client.consumer;

import io.sluice.client.errors.RecordVerificationException;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.record.Record;
import io.sluice.proto.record.RecordBatch;
import io.netty.util.ReferenceCounted;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The records one {@link Consumer#poll} returned, decoded in place from the fetched buffers as they are iterated:
 * nothing is copied. Valid until the next poll or close, which release the buffers. Each record's offset is checked
 * against the one expected as iteration goes; a mismatch throws {@link RecordVerificationException}.
 *
 * <p>Not thread-safe; iterate on the polling thread (or hand it over with a happens-before).
 */
public final class ConsumerRecords implements Iterable<ConsumerRecord> {
    static final ConsumerRecords EMPTY = new ConsumerRecords(List.of());

    /** Records {@code from} (inclusive) to {@code to} (exclusive) of one partition, starting in batch {@code firstBatch}. */
    record Chunk(TopicPartition partition, List<RecordBatch> batches, int firstBatch, long from, long to,
                 ReferenceCounted owner) {
        int count() {
            return (int) (to - from);
        }
    }

    private final List<Chunk> chunks;
    private final int count;
    private boolean released;

    ConsumerRecords(List<Chunk> chunks) {
        this.chunks = chunks;
        int n = 0;
        for (Chunk c : chunks) {
            n += c.count();
        }
        this.count = n;
    }

    public int count() {
        return count;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    /** The partitions with records here. */
    public Set<TopicPartition> partitions() {
        Set<TopicPartition> out = new LinkedHashSet<>();
        for (Chunk c : chunks) {
            out.add(c.partition());
        }
        return out;
    }

    /** The records of one partition, in offset order. */
    public Iterable<ConsumerRecord> records(TopicPartition partition) {
        List<Chunk> mine = new ArrayList<>();
        for (Chunk c : chunks) {
            if (c.partition().equals(partition)) {
                mine.add(c);
            }
        }
        return () -> new RecordsIterator(mine);
    }

    @Override
    public Iterator<ConsumerRecord> iterator() {
        return new RecordsIterator(chunks);
    }

    /** Releases the fetched buffers; the records must not be used afterwards. */
    void release() {
        if (released || chunks.isEmpty()) {
            return;
        }
        released = true;
        for (Chunk c : chunks) {
            c.owner().release();
        }
    }

    private final class RecordsIterator implements Iterator<ConsumerRecord> {
        private final List<Chunk> chunks;
        private int chunkIndex = -1;
        private Chunk chunk;
        private int batchIndex;
        private RecordBatch batch;
        private Iterator<Record> records;
        private long expected;
        private ConsumerRecord next;

        RecordsIterator(List<Chunk> chunks) {
            this.chunks = chunks;
        }

        @Override
        public boolean hasNext() {
            if (released) {
                throw new IllegalStateException("these records were released by a later poll() or close()");
            }
            while (next == null) {
                if (chunk == null || expected >= chunk.to()) {
                    if (++chunkIndex >= chunks.size()) {
                        return false;
                    }
                    chunk = chunks.get(chunkIndex);
                    batchIndex = chunk.firstBatch();
                    records = null;
                    expected = chunk.from();
                    continue;
                }
                if (records == null || !records.hasNext()) {
                    if (batchIndex >= chunk.batches().size()) {
                        throw new RecordVerificationException(chunk.partition(), expected, -1,
                                "the fetched batches end before offset " + expected);
                    }
                    batch = chunk.batches().get(batchIndex++);
                    records = batch.iterator();
                    continue;
                }
                Record r;
                try {
                    r = records.next();
                } catch (io.sluice.proto.record.CorruptRecordException e) {
                    throw new RecordVerificationException(chunk.partition(), expected, batch.baseOffset(),
                            "malformed record in the batch at offset " + batch.baseOffset() + ": " + e.getMessage(), e);
                }
                long offset = r.offset();
                if (offset < expected && offset < chunk.from()) {
                    continue; // before the position: the first batch may start before the fetch offset
                }
                if (offset != expected) {
                    throw new RecordVerificationException(chunk.partition(), expected, offset, "record offset " + offset
                            + " where " + expected + " was expected (batch at offset " + batch.baseOffset() + ")");
                }
                expected++;
                next = new ConsumerRecord(chunk.partition(), r, batch.partitionLeaderEpoch());
            }
            return true;
        }

        @Override
        public ConsumerRecord next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ConsumerRecord r = next;
            next = null;
            return r;
        }
    }
}
