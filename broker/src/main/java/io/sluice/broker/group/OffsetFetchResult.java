package io.sluice.broker.group;

import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.util.Map;

/**
 * The answer to an offset fetch: a group-level error ({@code NONE}, {@code INVALID_GROUP_ID},
 * {@code COORDINATOR_NOT_AVAILABLE}) and the committed offsets found. A partition asked for with no commit is absent
 * from {@code offsets} (the response carries offset -1 for it).
 */
public record OffsetFetchResult(ErrorCode error, String errorMessage, Map<TopicPartition, OffsetAndMetadata> offsets) {
    public OffsetFetchResult {
        offsets = Map.copyOf(offsets);
    }

    static OffsetFetchResult failed(ErrorCode error, String message) {
        return new OffsetFetchResult(error, message, Map.of());
    }
}
