package io.sluice.broker.request;

import io.sluice.broker.log.LogClosedException;
import io.sluice.broker.log.LogCorruptionException;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.broker.log.OffsetOutOfRangeException;
import io.sluice.broker.log.RecordBatchTooLargeException;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.record.CorruptRecordException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An error code with the message that goes with it on the wire. */
public record ApiError(ErrorCode code, String message) {
    private static final Logger log = LoggerFactory.getLogger(ApiError.class);

    public static final ApiError NONE = new ApiError(ErrorCode.NONE, "");

    public static ApiError of(ErrorCode code, String message) {
        return new ApiError(code, message);
    }

    public boolean isError() {
        return code != ErrorCode.NONE;
    }

    /**
     * The code and message for a failure of an operation on {@code what} (a partition, a topic, a group),
     * unwrapping a future's {@code CompletionException}.
     */
    public static ApiError from(Throwable t, Object what) {
        if (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof MetadataException e) {
            return new ApiError(e.errorCode(), e.getMessage());
        }
        if (t instanceof CorruptRecordException e) {
            return new ApiError(ErrorCode.CORRUPT_MESSAGE, what + ": " + e.getMessage());
        }
        if (t instanceof RecordBatchTooLargeException e) {
            return new ApiError(ErrorCode.RECORD_BATCH_TOO_LARGE, e.getMessage());
        }
        if (t instanceof LogClosedException e) {
            return new ApiError(ErrorCode.NOT_LEADER_OR_FOLLOWER, e.getMessage());
        }
        if (t instanceof OffsetOutOfRangeException e) {
            return new ApiError(ErrorCode.OFFSET_OUT_OF_RANGE, e.getMessage());
        }
        if (t instanceof LogCorruptionException || t instanceof UncheckedIOException) {
            log.error("storage error on {}", what, t);
            return new ApiError(ErrorCode.STORAGE_ERROR, what + ": " + t.getMessage());
        }
        log.error("unexpected failure on {}", what, t);
        return new ApiError(ErrorCode.UNKNOWN_SERVER_ERROR, what + ": " + t);
    }
}
