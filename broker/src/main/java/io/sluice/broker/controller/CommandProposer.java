package io.sluice.broker.controller;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.proto.message.ErrorCode;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proposes controller commands through this node's Ratis client (which finds the leader and retries through
 * elections) and turns the reply into the caller's answer once this node has published the change, so whoever
 * proposed sees it in the local image and every local listener has been told.
 *
 * <p>A Ratis client whose retries ran out (no majority for a while) closes its ordered request window for good: every
 * later request fails at once. So a proposal that was not committed retires the client it went through, and the
 * next proposal goes through a new one.
 *
 * <p>Thread-safety: any thread may propose; the Ratis client is thread-safe and keeps one node's proposals in order.
 * {@code client} is guarded by this object's monitor.
 */
final class CommandProposer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CommandProposer.class);

    /** How long a proposal may wait for its answer. */
    static final long PROPOSAL_TIMEOUT_MS = 30_000;

    /** A new client that sends to the given peer first (null: the best guess the caller has). */
    private final Function<RaftPeerId, RaftClient> clients;
    private final MetadataPublisher publisher;
    private RaftClient client;
    /** Clients replaced by {@link #leaderChanged} whose proposals may still be in flight; guarded by this. */
    private final java.util.List<RaftClient> replaced = new java.util.ArrayList<>();
    private volatile boolean closed;

    CommandProposer(Function<RaftPeerId, RaftClient> clients, MetadataPublisher publisher) {
        this.clients = clients;
        this.publisher = publisher;
        this.client = clients.apply(null);
    }

    private synchronized RaftClient client() {
        return client;
    }

    /** Replaces {@code failed} (if it is still the current client) with a new one. */
    private void retire(RaftClient failed) {
        synchronized (this) {
            if (closed || client != failed) {
                return;
            }
            client = clients.apply(null);
        }
        try {
            failed.close();
        } catch (IOException | RuntimeException e) {
            log.debug("closing a retired controller quorum client failed", e);
        }
    }

    /**
     * The quorum has a new leader: unless the current client already sends to it, proposals from now on go through a
     * new client that sends to {@code leader} first. A Ratis client keeps sending to the leader it last knew and,
     * when that one is gone, waits out a request timeout (3 s) before it looks elsewhere: every node's first proposal
     * after a controller failover paid it (the new controller's fencing, a follower's AlterPartition, measured at
     * 3.1 s in ControllerQuorumIT). Proposals in flight on the old client keep it until they are answered or time
     * out; it is closed after that.
     */
    void leaderChanged(RaftPeerId leader) {
        RaftClient old;
        synchronized (this) {
            if (closed || leader == null || leader.equals(client.getLeaderId())) {
                return;
            }
            old = client;
            client = clients.apply(leader);
            replaced.add(old);
        }
        CompletableFuture.delayedExecutor(PROPOSAL_TIMEOUT_MS, TimeUnit.MILLISECONDS).execute(() -> {
            synchronized (this) {
                if (!replaced.remove(old)) {
                    return; // closed with the proposer
                }
            }
            closeQuietly(old);
        });
    }

    /** The peer the current client sends to first; for tests. */
    synchronized RaftPeerId addressedLeader() {
        return client.getLeaderId();
    }

    private static void closeQuietly(RaftClient c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            log.debug("closing a replaced controller quorum client failed", e);
        }
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
        RaftClient via = client();
        CompletableFuture<RaftClientReply> sent;
        try {
            sent = via.async().send(Message.valueOf(ByteString.copyFrom(command.toByteArray())));
        } catch (RuntimeException e) {
            retire(via);
            out.completeExceptionally(notCommitted(command, e));
            return out;
        }
        // The Ratis client gives up after its retries; this bounds the wait also when every attempt hangs until its
        // request timeout. A command answered this way may still be committed later.
        CompletableFuture.delayedExecutor(PROPOSAL_TIMEOUT_MS, TimeUnit.MILLISECONDS).execute(() ->
                out.completeExceptionally(new MetadataException(ErrorCode.REQUEST_TIMED_OUT, "the controller quorum"
                        + " did not answer " + command.getBodyCase() + " within " + PROPOSAL_TIMEOUT_MS
                        + " ms (is a majority of the voters up?); it may still be applied")));
        sent.whenComplete((reply, error) -> {
            if (error != null || !reply.isSuccess()) {
                retire(via);
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
        RaftClient last;
        java.util.List<RaftClient> old;
        synchronized (this) {
            closed = true;
            last = client;
            old = new java.util.ArrayList<>(replaced);
            replaced.clear();
        }
        old.forEach(CommandProposer::closeQuietly);
        last.close();
    }
}
