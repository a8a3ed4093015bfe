package io.sluice.broker.controller;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.state.BrokerStore;
import io.sluice.proto.message.ErrorCode;
import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller quorum's Ratis state machine: applies {@link Command}s to the {@link ClusterImage} in log order
 * (through the {@link CommandApplier}), hands what changed to the {@link MetadataPublisher}, and answers each command
 * with its {@link CommandResult}. Snapshots go into the broker store ({@link ImageSnapshots}); at start the image is
 * the last snapshot and Ratis replays the log after it. Each snapshot is also written as one file in Ratis's state
 * machine directory, which is what Ratis ships to a voter whose log position the leader has purged; installing one
 * replaces the image and tells the listeners the difference.
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
    /** The snapshot files (the installable copy of the RocksDB snapshots). */
    private final SimpleStateMachineStorage fileStorage = new SimpleStateMachineStorage();
    /** The term and index of the snapshot in RocksDB. */
    private volatile TermIndex snapshotTermIndex;
    /** Snapshots installed from a leader since start (tests check the path was taken). */
    private volatile int installs;

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
        fileStorage.init(raftStorage);
        TermIndex loaded = snapshotTermIndex;
        if (loaded != null) {
            setLastAppliedTermIndex(loaded);
            SnapshotInfo file = fileStorage.getLatestSnapshot();
            if (file == null || file.getIndex() < loaded.getIndex()) {
                // RocksDB is ahead of the files (they were lost, or this store predates them): write the file now.
                writeSnapshotFile(loaded);
            }
        }
        getLifeCycle().transition(LifeCycle.State.STARTING);
        getLifeCycle().transition(LifeCycle.State.RUNNING);
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
    public synchronized long takeSnapshot() throws IOException {
        TermIndex applied = getLastAppliedTermIndex();
        if (applied == null || applied.getIndex() < 0) {
            return -1;
        }
        TermIndex previous = snapshotTermIndex;
        if (previous != null && previous.getIndex() >= applied.getIndex()) {
            return previous.getIndex();
        }
        writeSnapshotFile(applied);
        ImageSnapshots.write(store, image, applied);
        snapshotTermIndex = applied;
        log.debug("controller snapshot at {} written to {}", applied, store.path());
        return applied.getIndex();
    }

    /** Writes the image as the snapshot file for {@code at} (to a temporary name first, so a crash leaves none). */
    private void writeSnapshotFile(TermIndex at) throws IOException {
        File file = fileStorage.getSnapshotFile(at.getTerm(), at.getIndex());
        Path tmp = file.toPath().resolveSibling(file.getName() + ".tmp");
        Files.write(tmp, ImageSnapshots.encode(image));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file.toPath(), StandardCopyOption.ATOMIC_MOVE);
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        fileStorage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), at));
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        return fileStorage.getLatestSnapshot();
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return fileStorage;
    }

    @Override
    public void pause() {
        if (getLifeCycleState() == LifeCycle.State.RUNNING) {
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    /**
     * After Ratis installed a snapshot file from the leader (this voter's log position was purged there): the image
     * becomes the snapshot's, RocksDB gets it too, and the listeners hear the difference in one publication.
     */
    @Override
    public void reinitialize() throws IOException {
        SingleFileSnapshotInfo installed = fileStorage.loadLatestSnapshot();
        TermIndex applied = getLastAppliedTermIndex();
        if (installed != null && (applied == null || installed.getIndex() > applied.getIndex())) {
            Path path = installed.getFile().getPath();
            MD5Hash md5 = installed.getFile().getFileDigest();
            if (md5 != null) {
                MD5FileUtil.verifySavedMD5(path.toFile(), md5);
            }
            ClusterImage loaded = ImageSnapshots.decode(Files.readAllBytes(path));
            List<MetadataDelta> deltas;
            synchronized (this) {
                deltas = ClusterImage.diff(image, loaded);
                image.replaceWith(loaded);
                ImageSnapshots.write(store, image, installed.getTermIndex());
                snapshotTermIndex = installed.getTermIndex();
                setLastAppliedTermIndex(installed.getTermIndex());
            }
            publisher.publish(installed.getIndex(), deltas);
            installs++;
            log.info("installed the controller snapshot at {} from the leader ({} changes)", installed.getTermIndex(),
                    deltas.size());
        }
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    int installs() {
        return installs;
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
