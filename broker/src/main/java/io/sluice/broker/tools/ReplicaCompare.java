package io.sluice.broker.tools;

import io.sluice.proto.record.CorruptRecordException;
import io.sluice.proto.record.RecordBatch;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks that the replicas of one partition hold the same log below an offset (normally the high watermark): batch by
 * batch, the same base offsets and the same bytes, as replication promises (followers append the leader's batches
 * unchanged). The comparison starts at the newest of the replicas' first offsets (retention may have removed more
 * of one log than of another) and covers every batch whose base offset is below {@code below}; each replica must hold
 * data up to {@code below}. It stops at the first difference, which it describes by file, position and offset.
 *
 * <p>The bytes are compared as stored: the leader epoch, producer id and sequence, CRC and records alike. The first
 * replica's batches are also checked against their CRC, so that identical damage on every replica is not passed.
 *
 * <p>Not thread-safe; single use.
 */
final class ReplicaCompare {
    /**
     * The outcome.
     *
     * @param difference the first difference, or null when the replicas agree
     * @param batches    batches compared on each replica
     * @param bytes      bytes compared on each replica
     * @param from       the first offset compared
     * @param to         the offset after the last batch compared (at least {@code below} when they agree)
     */
    record Result(String difference, long batches, long bytes, long from, long to) {
        boolean identical() {
            return difference == null;
        }
    }

    private final List<PartitionFiles> replicas;
    private final long below;

    ReplicaCompare(List<PartitionFiles> replicas, long below) {
        this.replicas = List.copyOf(replicas);
        this.below = below;
    }

    Result run() throws IOException {
        List<BatchCursor> cursors = new ArrayList<>();
        try {
            for (PartitionFiles r : replicas) {
                cursors.add(new BatchCursor(r));
            }
            return compare(cursors);
        } catch (BatchCursor.NotABatchException e) {
            return new Result("unreadable: " + e.getMessage(), 0, 0, -1, -1);
        } finally {
            for (BatchCursor c : cursors) {
                c.close();
            }
        }
    }

    private Result compare(List<BatchCursor> cursors) throws IOException {
        int n = cursors.size();
        BatchCursor.Batch[] current = new BatchCursor.Batch[n];
        // Where each replica's log starts: its first batch, or (an empty log) its first segment's base offset.
        long from = 0;
        for (int i = 0; i < n; i++) {
            current[i] = cursors.get(i).next();
            long start = current[i] != null ? current[i].baseOffset() : replicas.get(i).segments().get(0).baseOffset();
            from = Math.max(from, start);
        }
        for (int i = 0; i < n; i++) {
            // Batches every other replica has already removed (retention) are not compared.
            while (current[i] != null && current[i].baseOffset() < from && current[i].lastOffset() < from) {
                current[i] = cursors.get(i).next();
            }
        }
        long batches = 0;
        long bytes = 0;
        long next = from;
        while (next < below) {
            BatchCursor.Batch first = current[0];
            for (int i = 0; i < n; i++) {
                if (current[i] == null) {
                    return new Result(name(i) + " ends at offset " + next + ", before offset " + below
                            + " (every replica should hold the log up to it)", batches, bytes, from, next);
                }
            }
            for (int i = 1; i < n; i++) {
                BatchCursor.Batch other = current[i];
                if (other.baseOffset() != first.baseOffset()) {
                    return new Result("at offset " + Math.min(first.baseOffset(), other.baseOffset()) + ": "
                            + first.where() + " holds a batch at offsets " + range(first) + " but " + other.where()
                            + " one at offsets " + range(other), batches, bytes, from, next);
                }
                int at = first.bytes().mismatch(other.bytes());
                if (at >= 0) {
                    return new Result("at offset " + first.baseOffset() + ": the batch at offsets " + range(first)
                            + " differs: " + first.where() + " (" + first.bytes().remaining() + " bytes) and "
                            + other.where() + " (" + other.bytes().remaining() + " bytes) first differ at byte " + at
                            + " of the batch (" + field(at) + ")", batches, bytes, from, next);
                }
            }
            try {
                RecordBatch.at(first.bytes(), 0).ensureValid();
            } catch (CorruptRecordException e) {
                return new Result("at offset " + first.baseOffset() + ": the batch at " + first.where()
                        + " is identical on every replica but fails its CRC check: " + e.getMessage(), batches, bytes,
                        from, next);
            }
            batches++;
            bytes += first.bytes().remaining();
            next = first.lastOffset() + 1;
            for (int i = 0; i < n; i++) {
                current[i] = cursors.get(i).next();
            }
        }
        return new Result(null, batches, bytes, from, next);
    }

    private String name(int replica) {
        return replicas.get(replica).path().toString();
    }

    private static String range(BatchCursor.Batch b) {
        return b.baseOffset() + ".." + b.lastOffset();
    }

    /** The batch header field a byte position falls in, to tell a different epoch from different records. */
    static String field(int at) {
        if (at < RecordBatch.BATCH_LENGTH_OFFSET) {
            return "baseOffset";
        } else if (at < RecordBatch.PARTITION_LEADER_EPOCH_OFFSET) {
            return "batchLength";
        } else if (at < RecordBatch.MAGIC_OFFSET) {
            return "partitionLeaderEpoch";
        } else if (at < RecordBatch.CRC_OFFSET) {
            return "magic";
        } else if (at < RecordBatch.ATTRIBUTES_OFFSET) {
            return "crc";
        } else if (at < RecordBatch.LAST_OFFSET_DELTA_OFFSET) {
            return "attributes";
        } else if (at < RecordBatch.BASE_TIMESTAMP_OFFSET) {
            return "lastOffsetDelta";
        } else if (at < RecordBatch.PRODUCER_ID_OFFSET) {
            return "timestamps";
        } else if (at < RecordBatch.BASE_SEQUENCE_OFFSET) {
            return "producer id/epoch";
        } else if (at < RecordBatch.RECORDS_COUNT_OFFSET) {
            return "baseSequence";
        } else if (at < RecordBatch.RECORDS_OFFSET) {
            return "recordCount";
        }
        return "records";
    }
}
