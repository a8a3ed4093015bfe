package io.sluice.broker.partition;

import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.producer.BatchMetadata;
import io.sluice.proto.message.ErrorCode;

/**
 * What became of a producer's batches on a partition: appended (with the offsets they got), recognised as a
 * retry of batches already written (with the original offsets, nothing appended), or refused by the
 * idempotent-producer checks (with the code and a message).
 */
public record AppendResult(LogAppendInfo appended, BatchMetadata duplicateOf, ErrorCode error, String message) {

    static AppendResult appended(LogAppendInfo info) {
        return new AppendResult(info, null, ErrorCode.NONE, "");
    }

    static AppendResult duplicate(BatchMetadata original) {
        return new AppendResult(null, original, ErrorCode.NONE, "");
    }

    static AppendResult refused(ErrorCode code, String message) {
        return new AppendResult(null, null, code, message);
    }

    public boolean isError() {
        return error != ErrorCode.NONE;
    }

    /** The first offset to answer with: the new one, or the original's for a retry; -1 for a refusal. */
    public long firstOffset() {
        return appended != null ? appended.firstOffset() : duplicateOf != null ? duplicateOf.firstOffset() : -1;
    }

    /** The last offset the producer must see committed before an {@code acks=all} answer. */
    public long lastOffset() {
        return appended != null ? appended.lastOffset() : duplicateOf != null ? duplicateOf.lastOffset() : -1;
    }
}
