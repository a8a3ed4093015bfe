package io.sluice.client.admin;

import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;

/**
 * One partition's outcome of {@link Admin#electPreferredLeaders}: {@code NONE} when its preferred replica leads it
 * now, {@code ELECTION_NOT_NEEDED} when it led already, else why it could not ({@code PREFERRED_LEADER_NOT_AVAILABLE},
 * {@code UNKNOWN_TOPIC_OR_PARTITION}, {@code REQUEST_TIMED_OUT}), with the broker's message.
 */
public record LeaderElectionResult(TopicPartition partition, ErrorCode error, String message) {
    /** Whether the preferred replica leads the partition now (elected by this call or already). */
    public boolean preferredLeads() {
        return error == ErrorCode.NONE || error == ErrorCode.ELECTION_NOT_NEEDED;
    }
}
