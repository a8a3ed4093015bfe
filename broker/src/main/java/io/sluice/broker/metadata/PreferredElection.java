package io.sluice.broker.metadata;

import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;

/**
 * One partition's outcome of a preferred leader election ({@link MetadataStore#electPreferredLeaders}).
 *
 * @param error    {@code NONE} when leadership moved to the preferred replica; else why not
 * @param leaderId the leader after the election (-1: none, or the partition does not exist)
 */
public record PreferredElection(TopicPartition tp, ErrorCode error, String message, int leaderId, int leaderEpoch) {
}
