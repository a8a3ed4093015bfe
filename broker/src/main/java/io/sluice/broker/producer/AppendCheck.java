package io.sluice.broker.producer;

import io.sluice.proto.message.ErrorCode;

/**
 * The verdict of {@link ProducerStateManager#check} on a batch about to be appended.
 *
 * @param duplicateOf for {@link Outcome#DUPLICATE}, the batch already written, whose offsets answer the retry; else null
 * @param message     for a refusal, what was expected and what came, for the response's error message; else null
 */
public record AppendCheck(Outcome outcome, BatchMetadata duplicateOf, String message) {

    public enum Outcome {
        /** Not idempotent, or the next batch in sequence: append it. */
        APPEND,
        /** A retry of a batch still remembered: do not append; answer with its original offsets. */
        DUPLICATE,
        /** A gap in the sequence, a sequence too old to be remembered, or a new epoch not starting at 0. */
        OUT_OF_ORDER_SEQUENCE,
        /** An epoch older than the producer's current one: a zombie instance, fenced. */
        INVALID_PRODUCER_EPOCH,
        /** A producer this partition has no state for, sending a sequence other than 0. */
        UNKNOWN_PRODUCER_ID
    }

    static final AppendCheck APPEND = new AppendCheck(Outcome.APPEND, null, null);

    static AppendCheck duplicate(BatchMetadata original) {
        return new AppendCheck(Outcome.DUPLICATE, original, null);
    }

    static AppendCheck refuse(Outcome outcome, String message) {
        return new AppendCheck(outcome, null, message);
    }

    /**
     * The code a produce response carries. A duplicate maps to {@link ErrorCode#DUPLICATE_SEQUENCE}, as the wire
     * contract says ("answered with its offset"): the response's base_offset is the original's, and the client takes
     * it as a success. (Kafka since 2.x answers NONE with the original offset instead.)
     */
    public ErrorCode errorCode() {
        return switch (outcome) {
            case APPEND -> ErrorCode.NONE;
            case DUPLICATE -> ErrorCode.DUPLICATE_SEQUENCE;
            case OUT_OF_ORDER_SEQUENCE -> ErrorCode.OUT_OF_ORDER_SEQUENCE;
            case INVALID_PRODUCER_EPOCH -> ErrorCode.INVALID_PRODUCER_EPOCH;
            case UNKNOWN_PRODUCER_ID -> ErrorCode.UNKNOWN_PRODUCER_ID;
        };
    }
}
