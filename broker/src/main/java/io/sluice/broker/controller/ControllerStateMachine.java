package io.sluice.broker.controller;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.state.BrokerStore;
import io.sluice.proto.message.ErrorCode;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller quorum's Ratis state machine: applies {@link Command}s to the {@link ClusterImage} in log order
 * (through the {@link CommandApplier}), hands what changed to the {@link MetadataPublisher}, and answers each command
 * with its {@link CommandResult}. Snapshots go into the broker store ({@link ImageSnapshots}); at start the image is
 * the last snapshot and Ratis replays the log after it.
 *
 * <p>Thread-safety: Ratis applies entries and takes snapshots on its state-machine updater thread; both also hold
 * this object's monitor, so a snapshot requested from elsewhere sees a whole command or none. Leadership
 * notifications arrive on Ratis threads and are passed on without blocking.
 */
final class ControllerStateMachine extends BaseStateMachine {
    private static final Logger log = LoggerFactory.getLogger(ControllerStateMachine.class);

    /** What the quorum store wants to hear about leadership; called on Ratis threads, must not block. */
    interface LeadershipListener {
        void leaderChanged(RaftPeerId newLeader);

        void leaderReady();
    }

    private final BrokerStore store;
    private final ClusterImage image;
    private final CommandApplier applier;
    private final MetadataPublisher publisher;
    private final LeadershipListener leadership;
    /** Only for Ratis's snapshot-installation paths, which this state machine does not use; never written. */
    private final SimpleStateMachineStorage unusedFileStorage = new SimpleStateMachineStorage();
    private volatile TermIndex snapshotTermIndex;

    ControllerStateMachine(BrokerStore store, ImageSnapshots.Loaded loaded, MetadataPublisher publisher,
                           LeadershipListener leadership) {
        this.store = store;
        this.image = loaded.image();
        this.applier = new CommandApplier(image);
        this.snapshotTermIndex = loaded.termIndex();
        this.publisher = publisher;
        this.leadership = leadership;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        unusedFileStorage.init(raftStorage);
        TermIndex loaded = snapshotTermIndex;
        if (loaded != null) {
            setLastAppliedTermIndex(loaded);
        }
        log.debug("controller state machine starts at {} with {}", loaded, image);
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        CommandResult result;
        List<MetadataDelta> deltas;
        synchronized (this) {
            Command command;
            try {
                command = Command.parseFrom(entry.getStateMachineLogEntry().getLogData().toByteArray());
            } catch (InvalidProtocolBufferException e) {
                // Deterministic: every voter fails the same bytes the same way, and nothing changes.
                command = null;
            }
            if (command == null) {
                result = CommandResult.newBuilder().setErrorCode(ErrorCode.INVALID_REQUEST.getNumber())
                        .setErrorMessage("log entry " + index + " is not a controller command").build();
                deltas = List.of();
            } else {
                CommandApplier.Applied applied = applier.apply(command, index);
                result = applied.result();
                deltas = applied.deltas();
            }
            updateLastAppliedTermIndex(entry.getTerm(), index);
        }
        publisher.publish(index, deltas);
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(result.toByteArray())));
    }

    @Override
    public synchronized long takeSnapshot() {
        TermIndex applied = getLastAppliedTermIndex();
        if (applied == null || applied.getIndex() < 0) {
            return -1;
        }
        TermIndex previous = snapshotTermIndex;
        if (previous != null && previous.getIndex() >= applied.getIndex()) {
            return previous.getIndex();
        }
        ImageSnapshots.write(store, image, applied);
        snapshotTermIndex = applied;
        log.debug("controller snapshot at {} written to {}", applied, store.path());
        return applied.getIndex();
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        TermIndex ti = snapshotTermIndex;
        return ti == null ? null : new FileListSnapshotInfo(List.of(), ti);
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return unusedFileStorage;
    }

    @Override
    public void reinitialize() {
        // Only called after a snapshot was installed from the leader, which needs snapshot files this state machine
        // does not make: the log is never purged, so a peer that lags catches up from it (RatisSettings).
        log.error("asked to reload the controller image after a snapshot installation, which is not supported; "
                + "keeping the image at {}", getLastAppliedTermIndex());
    }

    /** A copy of the image (for tests that compare voters); taken under the apply lock. */
    synchronized ClusterImage imageCopy() {
        return image.copy();
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        leadership.leaderChanged(newLeaderId);
    }

    @Override
    public void notifyLeaderReady() {
        leadership.leaderReady();
    }
}
