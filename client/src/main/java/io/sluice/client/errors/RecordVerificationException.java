package io.sluice.client.errors;

import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;

/**
 * What the consumer read breaks the log's promise: a batch whose CRC32C or framing is wrong, offsets that skip
 * (records lost) or repeat (records duplicated), or a partition leader epoch that goes down. The message names the
 * partition and the offsets involved; the records are never handed to the application.
 */
public final class RecordVerificationException extends SluiceException {
    private final TopicPartition partition;
    private final long expectedOffset;
    private final long actualOffset;

    public RecordVerificationException(TopicPartition partition, long expectedOffset, long actualOffset, String message) {
        super(ErrorCode.CORRUPT_MESSAGE, false, partition + ": " + message);
        this.partition = partition;
        this.expectedOffset = expectedOffset;
        this.actualOffset = actualOffset;
    }

    public RecordVerificationException(TopicPartition partition, long expectedOffset, long actualOffset, String message,
                                       Throwable cause) {
        super(ErrorCode.CORRUPT_MESSAGE, false, partition + ": " + message, cause);
        this.partition = partition;
        this.expectedOffset = expectedOffset;
        this.actualOffset = actualOffset;
    }

    public TopicPartition partition() {
        return partition;
    }

    /** The offset the consumer expected next (its fetch position), or -1 where none applies. */
    public long expectedOffset() {
        return expectedOffset;
    }

    /** The offset found instead (a batch's base offset), or -1 where none applies. */
    public long actualOffset() {
        return actualOffset;
    }
}
