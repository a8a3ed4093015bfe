package io.sluice.broker.controller;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.proto.message.ErrorCode;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * Proposes controller commands through this node's Ratis client (which finds the leader and retries through
 * elections) and turns the reply into the caller's answer once this node has published the change, so whoever
 * proposed sees it in the local image and every local listener has been told.
 *
 * <p>Thread-safety: any thread may propose; the Ratis client is thread-safe and keeps one node's proposals in order.
 */
final class CommandProposer implements AutoCloseable {
    private final RaftClient client;
    private final MetadataPublisher publisher;
    private volatile boolean closed;

    CommandProposer(RaftClient client, MetadataPublisher publisher) {
        this.client = client;
        this.publisher = publisher;
    }

    /**
     * Proposes {@code command}; completes (on the metadata thread) with {@code value} of the result, or fails with
     * the refusal as a {@link MetadataException} ({@code REQUEST_TIMED_OUT} when the quorum did not commit it).
     */
    <T> CompletableFuture<T> propose(Command command, Function<CommandResult, T> value) {
        CompletableFuture<T> out = new CompletableFuture<>();
        if (closed) {
            out.completeExceptionally(new IllegalStateException("metadata store is closed"));
            return out;
        }
        CompletableFuture<RaftClientReply> sent;
        try {
            sent = client.async().send(Message.valueOf(ByteString.copyFrom(command.toByteArray())));
        } catch (RuntimeException e) {
            out.completeExceptionally(notCommitted(command, e));
            return out;
        }
        sent.whenComplete((reply, error) -> {
            if (error != null || !reply.isSuccess()) {
                out.completeExceptionally(notCommitted(command, error != null ? error : reply.getException()));
                return;
            }
            CommandResult result;
            try {
                result = CommandResult.parseFrom(reply.getMessage().getContent().toByteArray());
            } catch (InvalidProtocolBufferException e) {
                out.completeExceptionally(new IllegalStateException("unreadable controller reply to "
                        + command.getBodyCase(), e));
                return;
            }
            publisher.whenPublished(reply.getLogIndex(), () -> complete(out, command, result, value),
                    () -> out.completeExceptionally(new MetadataException(ErrorCode.BROKER_NOT_AVAILABLE,
                            "the metadata store closed before " + command.getBodyCase() + " was published")));
        });
        return out;
    }

    private static <T> void complete(CompletableFuture<T> out, Command command, CommandResult result,
                                     Function<CommandResult, T> value) {
        if (result.getErrorCode() != ErrorCode.NONE.getNumber()) {
            ErrorCode code = ErrorCode.forNumber(result.getErrorCode());
            out.completeExceptionally(new MetadataException(code == null ? ErrorCode.UNKNOWN_SERVER_ERROR : code,
                    result.getErrorMessage()));
            return;
        }
        try {
            out.complete(value.apply(result));
        } catch (RuntimeException e) {
            out.completeExceptionally(new IllegalStateException(command.getBodyCase() + " was applied but its answer"
                    + " could not be read", e));
        }
    }

    private static MetadataException notCommitted(Command command, Throwable cause) {
        return new MetadataException(ErrorCode.REQUEST_TIMED_OUT, "the controller quorum did not commit "
                + command.getBodyCase() + ": " + cause + "; retry");
    }

    /** Later proposals fail at once; proposals in flight fail as the client closes. */
    @Override
    public void close() throws IOException {
        closed = true;
        client.close();
    }
}
