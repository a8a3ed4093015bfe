package io.sluice.client.errors;

import io.sluice.proto.message.ErrorCode;

/** Maps a broker's {@link ErrorCode} to the exception of its family. Stateless. */
public final class Errors {
    private Errors() {
    }

    /**
     * The exception for {@code code}, with the broker's message (or the code's name when the broker sent none)
     * prefixed by {@code context} when that is not empty.
     *
     * @throws IllegalArgumentException for {@link ErrorCode#NONE}
     */
    public static SluiceException of(ErrorCode code, String context, String brokerMessage) {
        String message = (context == null || context.isEmpty() ? "" : context + ": ") + code
                + (brokerMessage == null || brokerMessage.isEmpty() ? "" : " (" + brokerMessage + ")");
        return of(code, message);
    }

    /** The exception for {@code code} with exactly {@code message}. */
    public static SluiceException of(ErrorCode code, String message) {
        switch (code) {
            case NONE:
                throw new IllegalArgumentException("NONE is not an error");
            case UNKNOWN_TOPIC_OR_PARTITION:
                return new UnknownTopicException(message);
            case NOT_LEADER_OR_FOLLOWER:
            case FENCED_LEADER_EPOCH:
            case UNKNOWN_LEADER_EPOCH:
                return new NotLeaderException(code, message);
            case REQUEST_TIMED_OUT:
                return new TimeoutException(message);
            case NOT_ENOUGH_REPLICAS:
            case NOT_ENOUGH_REPLICAS_AFTER_APPEND:
                return new NotEnoughReplicasException(code, message);
            case BROKER_NOT_AVAILABLE:
                return new BrokerUnavailableException(message);
            case COORDINATOR_NOT_AVAILABLE:
                return new CoordinatorNotAvailableException(message);
            case NOT_COORDINATOR:
                return new NotCoordinatorException(message);
            case COORDINATOR_LOAD_IN_PROGRESS:
                return new CoordinatorLoadInProgressException(message);
            case CORRUPT_MESSAGE:
                return new CorruptMessageException(message);
            case RECORD_BATCH_TOO_LARGE:
                return new RecordTooLargeException(message);
            case OFFSET_OUT_OF_RANGE:
                return new OffsetOutOfRangeException(message);
            case TOPIC_ALREADY_EXISTS:
                return new TopicExistsException(message);
            case INVALID_TOPIC:
                return new InvalidTopicException(message);
            case INVALID_CONFIG:
            case INVALID_PARTITIONS:
            case INVALID_REPLICATION_FACTOR:
                return new InvalidConfigException(code, message);
            case INVALID_REQUEST:
            case UNSUPPORTED_VERSION:
            case UNKNOWN_API:
            case INVALID_REQUIRED_ACKS:
            case INVALID_GROUP_ID:
            case OFFSET_METADATA_TOO_LARGE:
                return new InvalidRequestException(code, message);
            case OUT_OF_ORDER_SEQUENCE:
                return new OutOfOrderSequenceException(message);
            case INVALID_PRODUCER_EPOCH:
            case UNKNOWN_PRODUCER_ID:
                return new ProducerFencedException(code, message);
            case DUPLICATE_SEQUENCE:
                // Not an error for a producer (its batch is written); a caller that gets here has no better answer.
                return new UnknownServerException(code, message);
            case STORAGE_ERROR:
                return new StorageException(message);
            default:
                return new UnknownServerException(code, message);
        }
    }

    /**
     * True for the codes after which a metadata refresh may route the request to the right broker (for the group
     * coordinator errors: the leader of the group's {@code __consumer_offsets} partition may have moved, or the topic
     * may have been created).
     */
    public static boolean needsMetadataRefresh(ErrorCode code) {
        return code == ErrorCode.NOT_LEADER_OR_FOLLOWER || code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                || code == ErrorCode.FENCED_LEADER_EPOCH || code == ErrorCode.UNKNOWN_LEADER_EPOCH
                || code == ErrorCode.BROKER_NOT_AVAILABLE || code == ErrorCode.NOT_COORDINATOR
                || code == ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }

    /** The cause of a failed future, unwrapped from {@code CompletionException}/{@code ExecutionException}. */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** True when {@code t} (unwrapped) is a retriable {@link SluiceException}. */
    public static boolean isRetriable(Throwable t) {
        Throwable cause = unwrap(t);
        return cause instanceof SluiceException se && se.isRetriable();
    }

    /** {@code t} as a {@link SluiceException}: itself when it is one, else wrapped as an unknown error. */
    public static SluiceException asSluice(Throwable t) {
        Throwable cause = unwrap(t);
        if (cause instanceof SluiceException se) {
            return se;
        }
        return new UnknownServerException(String.valueOf(cause.getMessage()), cause);
    }
}
