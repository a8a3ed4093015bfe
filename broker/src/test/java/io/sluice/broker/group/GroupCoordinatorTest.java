package io.sluice.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogAppendInfo;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.log.LogSlice;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.state.StoreBatch;
import io.sluice.broker.state.StoreFamily;
import io.sluice.broker.testing.ManualClock;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCoordinatorTest {
    static final int PARTITIONS = 4;
    static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);
    static final TopicPartition PAYMENTS_0 = new TopicPartition("payments", 0);

    @TempDir
    Path logDir;
    final ManualClock clock = new ManualClock(1_700_000_000_000L);
    BrokerStore store;
    TestOffsetsLog offsetsLog;
    GroupCoordinator coordinator;

    /**
     * The real partition logs of __consumer_offsets behind the narrow interface, counting reads. The high watermark
     * follows the log end (a single replica) unless {@link #manualHighWatermark} is set; then the test moves it, as
     * followers' fetches would, and commits wait for it. Thread-safe (the test and the coordinator thread call it).
     */
    final class TestOffsetsLog implements OffsetsLog {
        final Log[] logs = new Log[PARTITIONS];
        final long[] highWatermarks = new long[PARTITIONS];
        final int[] leaderEpochs = new int[PARTITIONS];
        final AtomicInteger reads = new AtomicInteger();
        final List<Waiter> waiters = new ArrayList<>();
        volatile boolean manualHighWatermark;
        volatile RuntimeException appendFailure;

        record Waiter(int partition, int epoch, long offset, CompletableFuture<Void> future) {
        }

        TestOffsetsLog() {
            LogConfig config = LogConfig.DEFAULT.withSegmentBytes(16 * 1024).withIndexIntervalBytes(256).withPrefillBytes(0);
            for (int p = 0; p < PARTITIONS; p++) {
                TopicPartition tp = new TopicPartition(GroupCoordinator.OFFSETS_TOPIC, p);
                logs[p] = Log.open(tp, logDir.resolve(tp.dirName()), config, clock, Runnable::run, false, 0);
                highWatermarks[p] = logs[p].logEndOffset();
            }
        }

        @Override
        public synchronized int leaderEpoch(int partition) {
            return leaderEpochs[partition];
        }

        @Override
        public synchronized LogAppendInfo append(int partition, int leaderEpoch, ByteBuffer batch) {
            if (appendFailure != null) {
                throw appendFailure;
            }
            if (leaderEpoch != leaderEpochs[partition]) {
                throw new OffsetsLogException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "not leader at " + leaderEpoch);
            }
            return appendRaw(partition, batch);
        }

        /** Appends as a follower's log would get it (no epoch check). */
        synchronized LogAppendInfo appendRaw(int partition, ByteBuffer batch) {
            LogAppendInfo info = logs[partition].appendAsLeader(batch, 0);
            if (!manualHighWatermark) {
                setHighWatermark(partition, logs[partition].logEndOffset());
            }
            return info;
        }

        @Override
        public synchronized CompletableFuture<Void> awaitCommitted(int partition, int leaderEpoch, long offset,
                                                                   long timeoutMs) {
            if (leaderEpoch != leaderEpochs[partition]) {
                return CompletableFuture.failedFuture(new OffsetsLogException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "moved"));
            }
            if (highWatermarks[partition] > offset) {
                return CompletableFuture.completedFuture(null);
            }
            Waiter w = new Waiter(partition, leaderEpoch, offset, new CompletableFuture<>());
            waiters.add(w);
            return w.future();
        }

        synchronized void setHighWatermark(int partition, long hw) {
            highWatermarks[partition] = hw;
            for (Waiter w : List.copyOf(waiters)) {
                if (w.partition() == partition && hw > w.offset()) {
                    waiters.remove(w);
                    w.future().complete(null);
                }
            }
        }

        synchronized void setLeaderEpoch(int partition, int epoch) {
            leaderEpochs[partition] = epoch;
            for (Waiter w : List.copyOf(waiters)) {
                if (w.partition() == partition && w.epoch() != epoch) {
                    waiters.remove(w);
                    w.future().completeExceptionally(new OffsetsLogException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "moved"));
                }
            }
        }

        /** Every waiting commit times out, as the purgatory's timer would end it. */
        synchronized void expireWaiters() {
            for (Waiter w : List.copyOf(waiters)) {
                waiters.remove(w);
                w.future().completeExceptionally(new OffsetsLogException(ErrorCode.REQUEST_TIMED_OUT, "too slow"));
            }
        }

        synchronized int waiting() {
            return waiters.size();
        }

        @Override
        public LogSlice read(int partition, long offset, int maxBytes) {
            reads.incrementAndGet();
            return logs[partition].read(offset, maxBytes, highWatermark(partition));
        }

        @Override
        public synchronized long highWatermark(int partition) {
            return highWatermarks[partition];
        }

        @Override
        public long logEndOffset(int partition) {
            return logs[partition].logEndOffset();
        }

        @Override
        public long logStartOffset(int partition) {
            return logs[partition].logStartOffset();
        }

        void close() {
            for (Log l : logs) {
                l.close();
            }
        }
    }

    @BeforeEach
    void open() throws Exception {
        store = BrokerStore.open(BrokerStore.dirIn(logDir));
        offsetsLog = new TestOffsetsLog();
        coordinator = newCoordinator(OffsetsTopic.existing(PARTITIONS));
        for (int p = 0; p < PARTITIONS; p++) {
            assertThat(await(coordinator.load(p, 0))).isTrue();
        }
    }

    GroupCoordinator newCoordinator(OffsetsTopic topic) {
        return new GroupCoordinator(offsetsLog, store, topic, GroupCoordinator.DEFAULT_MAX_METADATA_BYTES,
                GroupCoordinator.DEFAULT_COMMIT_TIMEOUT_MS, clock);
    }

    @AfterEach
    void close() {
        coordinator.close();
        offsetsLog.close();
        store.close();
    }

    void restart() throws Exception {
        close();
        open();
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    static OffsetAndMetadata om(long offset, String metadata) {
        return new OffsetAndMetadata(offset, 3, metadata, OffsetAndMetadata.NO_TIMESTAMP);
    }

    Map<TopicPartition, ErrorCode> commit(String group, Map<TopicPartition, OffsetAndMetadata> offsets) throws Exception {
        return await(coordinator.commit(group, offsets));
    }

    Map<TopicPartition, Long> fetchOffsets(String group) throws Exception {
        OffsetFetchResult r = await(coordinator.fetch(group, null));
        assertThat(r.error()).isEqualTo(ErrorCode.NONE);
        Map<TopicPartition, Long> out = new LinkedHashMap<>();
        r.offsets().forEach((tp, v) -> out.put(tp, v.offset()));
        return out;
    }

    @Test
    void commitThenFetch() throws Exception {
        Map<TopicPartition, ErrorCode> result = commit("g1", Map.of(ORDERS_0, om(10, "m0"), ORDERS_1, om(20, "")));
        assertThat(result).containsOnly(Map.entry(ORDERS_0, ErrorCode.NONE), Map.entry(ORDERS_1, ErrorCode.NONE));
        commit("g1", Map.of(ORDERS_0, om(15, "later")));
        commit("g2", Map.of(ORDERS_0, om(99, "")));

        OffsetFetchResult all = await(coordinator.fetch("g1", null));
        assertThat(all.offsets()).containsOnlyKeys(ORDERS_0, ORDERS_1);
        OffsetAndMetadata o0 = all.offsets().get(ORDERS_0);
        assertThat(o0.offset()).isEqualTo(15);
        assertThat(o0.leaderEpoch()).isEqualTo(3);
        assertThat(o0.metadata()).isEqualTo("later");
        assertThat(o0.commitTimestamp()).as("stamped by the coordinator").isEqualTo(clock.milliseconds());

        OffsetFetchResult some = await(coordinator.fetch("g1", List.of(ORDERS_1, PAYMENTS_0)));
        assertThat(some.offsets()).containsOnlyKeys(ORDERS_1);
        assertThat(fetchOffsets("g2")).containsExactly(Map.entry(ORDERS_0, 99L));
        assertThat(fetchOffsets("nobody")).isEmpty();
    }

    @Test
    void commitsAreRecordsInTheGroupsOffsetsPartition() throws Exception {
        int p = coordinator.partitionFor("g1");
        long before = offsetsLog.logEndOffset(p);
        commit("g1", Map.of(ORDERS_0, om(1, ""), ORDERS_1, om(2, ""), PAYMENTS_0, om(3, "")));
        assertThat(offsetsLog.logEndOffset(p)).as("one batch, one record per partition").isEqualTo(before + 3);
        for (int other = 0; other < PARTITIONS; other++) {
            if (other != p) {
                assertThat(offsetsLog.logEndOffset(other)).isZero();
            }
        }
    }

    @Test
    void groupsArePartitionedByAbsoluteHashCodeAsInKafka() {
        assertThat(GroupCoordinator.partitionFor("polygenelubricants", 8)).as("hashCode is Integer.MIN_VALUE").isZero();
        assertThat(GroupCoordinator.partitionFor("g1", 8)).isEqualTo(Math.abs("g1".hashCode()) % 8);
        for (String g : List.of("a", "group-x", "Zz", "consumer-123")) {
            assertThat(GroupCoordinator.partitionFor(g, 8)).isBetween(0, 7);
        }
    }

    @Test
    void emptyGroupIdIsInvalid() throws Exception {
        assertThat(commit("", Map.of(ORDERS_0, om(1, "")))).containsExactly(Map.entry(ORDERS_0, ErrorCode.INVALID_GROUP_ID));
        assertThat(commit(null, Map.of(ORDERS_0, om(1, "")))).containsExactly(Map.entry(ORDERS_0, ErrorCode.INVALID_GROUP_ID));
        assertThat(await(coordinator.fetch("", null)).error()).isEqualTo(ErrorCode.INVALID_GROUP_ID);
        for (int p = 0; p < PARTITIONS; p++) {
            assertThat(offsetsLog.logEndOffset(p)).isZero();
        }
    }

    @Test
    void metadataAboveTheLimitIsRefusedForThatPartitionOnly() throws Exception {
        String tooLong = "x".repeat(GroupCoordinator.DEFAULT_MAX_METADATA_BYTES + 1);
        String atLimit = "y".repeat(GroupCoordinator.DEFAULT_MAX_METADATA_BYTES);
        Map<TopicPartition, ErrorCode> result = commit("g", Map.of(ORDERS_0, om(1, tooLong), ORDERS_1, om(2, atLimit)));
        assertThat(result).containsOnly(Map.entry(ORDERS_0, ErrorCode.OFFSET_METADATA_TOO_LARGE),
                Map.entry(ORDERS_1, ErrorCode.NONE));
        assertThat(fetchOffsets("g")).containsExactly(Map.entry(ORDERS_1, 2L));
        // Multi-byte characters count as their UTF-8 bytes.
        String wide = "é".repeat(GroupCoordinator.DEFAULT_MAX_METADATA_BYTES / 2 + 1);
        assertThat(commit("g", Map.of(ORDERS_0, om(1, wide)))).containsExactly(
                Map.entry(ORDERS_0, ErrorCode.OFFSET_METADATA_TOO_LARGE));
    }

    @Test
    void anUnloadedPartitionIsNotServed() throws Exception {
        int p = coordinator.partitionFor("g");
        await(coordinator.unload(p));
        assertThat(commit("g", Map.of(ORDERS_0, om(1, "")))).containsExactly(
                Map.entry(ORDERS_0, ErrorCode.NOT_COORDINATOR));
        assertThat(await(coordinator.fetch("g", null)).error()).isEqualTo(ErrorCode.NOT_COORDINATOR);
        assertThat(await(coordinator.load(p, 0))).isTrue();
        assertThat(commit("g", Map.of(ORDERS_0, om(1, "")))).containsExactly(Map.entry(ORDERS_0, ErrorCode.NONE));
    }

    @Test
    void offsetsSurviveARestartThroughTheViewWithoutReadingTheLog() throws Exception {
        for (int i = 0; i < 30; i++) {
            commit("g" + (i % 5), Map.of(ORDERS_0, om(i, "m" + i), PAYMENTS_0, om(1000 + i, "")));
        }
        Map<TopicPartition, Long> g3 = fetchOffsets("g3");
        restart();
        assertThat(offsetsLog.reads.get()).as("the view was up to date: nothing to replay").isZero();
        assertThat(fetchOffsets("g3")).isEqualTo(g3).containsEntry(ORDERS_0, 28L).containsEntry(PAYMENTS_0, 1028L);
    }

    @Test
    void aLostViewIsRebuiltFromTheLog() throws Exception {
        for (int i = 0; i < 600; i++) { // enough to span several segments of the offsets partitions
            commit("g" + (i % 5), Map.of(ORDERS_0, om(i, "m" + i), ORDERS_1, om(1000 + i, "")));
        }
        Map<String, Map<TopicPartition, Long>> before = new LinkedHashMap<>();
        for (int g = 0; g < 5; g++) {
            before.put("g" + g, fetchOffsets("g" + g));
        }
        close();
        try (BrokerStore s = BrokerStore.open(BrokerStore.dirIn(logDir))) {
            s.write(new StoreBatch().deletePrefix(StoreFamily.CONSUMER_OFFSETS, new byte[0]));
            assertThat(s.scan(StoreFamily.CONSUMER_OFFSETS, new byte[0])).isEmpty();
        }
        open();
        assertThat(offsetsLog.logs[coordinator.partitionFor("g0")].segmentCount()).isGreaterThan(1);
        assertThat(offsetsLog.reads.get()).isPositive();
        for (int g = 0; g < 5; g++) {
            assertThat(fetchOffsets("g" + g)).as("g" + g).isEqualTo(before.get("g" + g));
        }
    }

    @Test
    void aViewAheadOfALogThatLostItsTailIsRebuiltToTheLog() throws Exception {
        int p = coordinator.partitionFor("g");
        commit("g", Map.of(ORDERS_0, om(5, "kept")));
        commit("g", Map.of(ORDERS_1, om(6, "kept")));
        long survivingEnd = offsetsLog.logEndOffset(p);
        commit("g", Map.of(ORDERS_0, om(50, "lost"), PAYMENTS_0, om(60, "lost")));
        assertThat(fetchOffsets("g")).containsEntry(ORDERS_0, 50L);
        close();
        // A machine crash took the log's tail but not the view's write of it.
        TestOffsetsLog crashed = new TestOffsetsLog();
        crashed.logs[p].truncateTo(survivingEnd);
        crashed.close();
        open();
        assertThat(fetchOffsets("g")).containsOnly(Map.entry(ORDERS_0, 5L), Map.entry(ORDERS_1, 6L));
        assertThat(await(coordinator.fetch("g", null)).offsets().get(ORDERS_0).metadata()).isEqualTo("kept");
        // And commits carry on from the log's end.
        commit("g", Map.of(PAYMENTS_0, om(7, "")));
        restart();
        assertThat(fetchOffsets("g")).containsOnly(Map.entry(ORDERS_0, 5L), Map.entry(ORDERS_1, 6L),
                Map.entry(PAYMENTS_0, 7L));
    }

    @Test
    void aViewBehindTheLogReplaysOnlyTheTailIncludingTombstones() throws Exception {
        int p = coordinator.partitionFor("g");
        commit("g", Map.of(ORDERS_0, om(1, ""), ORDERS_1, om(2, "")));
        // Records the view has not applied (as a follower's log gets them from the leader): a newer commit and a
        // tombstone, plus a record of a kind this broker does not know, which is skipped.
        RecordBatchBuilder b = new RecordBatchBuilder(256);
        b.append(clock.milliseconds(), OffsetRecords.encodeKey(new OffsetKey("g", ORDERS_0)),
                OffsetRecords.encodeValue(new OffsetAndMetadata(42, 7, "from-leader", 123)));
        b.append(clock.milliseconds(), OffsetRecords.encodeKey(new OffsetKey("g", ORDERS_1)), null);
        b.append(clock.milliseconds(), new byte[] {9, 9, 9}, new byte[] {1});
        offsetsLog.appendRaw(p, b.build());
        await(coordinator.unload(p));
        int readsBefore = offsetsLog.reads.get();
        assertThat(await(coordinator.load(p, 0))).isTrue();
        assertThat(offsetsLog.reads.get()).isGreaterThan(readsBefore);
        OffsetFetchResult r = await(coordinator.fetch("g", null));
        assertThat(r.offsets()).containsOnlyKeys(ORDERS_0);
        assertThat(r.offsets().get(ORDERS_0)).isEqualTo(new OffsetAndMetadata(42, 7, "from-leader", 123));
    }

    @Test
    void groupsWhosePrefixesOverlapDoNotSeeEachOthersOffsets() throws Exception {
        // Find two groups in the same offsets partition where one name is a prefix of the other.
        String a = "grp";
        String b = null;
        for (int i = 0; b == null; i++) {
            if (coordinator.partitionFor(a + i) == coordinator.partitionFor(a)) {
                b = a + i;
            }
        }
        commit(a, Map.of(ORDERS_0, om(1, "")));
        commit(b, Map.of(ORDERS_1, om(2, "")));
        assertThat(fetchOffsets(a)).containsOnlyKeys(ORDERS_0);
        assertThat(fetchOffsets(b)).containsOnlyKeys(ORDERS_1);
    }

    @Test
    void aFailedAppendAnswersCoordinatorNotAvailableAndLeavesTheViewAlone() throws Exception {
        commit("g", Map.of(ORDERS_0, om(1, "")));
        offsetsLog.appendFailure = new IllegalStateException("disk on fire");
        assertThat(commit("g", Map.of(ORDERS_0, om(2, "")))).containsExactly(
                Map.entry(ORDERS_0, ErrorCode.COORDINATOR_NOT_AVAILABLE));
        offsetsLog.appendFailure = null;
        assertThat(fetchOffsets("g")).containsExactly(Map.entry(ORDERS_0, 1L));
    }

    @Test
    void aViewThatCannotBeWrittenAnswersFetchesCoordinatorNotAvailableUntilItCan() throws Exception {
        commit("g", Map.of(ORDERS_0, om(1, "")));
        store.close(); // the view cannot be written now; the log still can
        assertThat(commit("g", Map.of(ORDERS_0, om(2, "")))).as("the commit is committed in the log")
                .containsExactly(Map.entry(ORDERS_0, ErrorCode.NONE));
        assertThat(await(coordinator.fetch("g", null)).error()).isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        restart();
        assertThat(fetchOffsets("g")).containsExactly(Map.entry(ORDERS_0, 2L));
    }

    // ---------------------------------------------------------------- replicated: load, unload, high watermark

    @Test
    void aNewLeaderServesOnlyOnceItsHighWatermarkReachesItsLogEnd() throws Exception {
        int p = coordinator.partitionFor("g");
        commit("g", Map.of(ORDERS_0, om(1, "")));
        await(coordinator.unload(p));
        // As a follower, this broker got a newer commit from the old leader; its high watermark lags behind it.
        offsetsLog.manualHighWatermark = true;
        long committedHere = offsetsLog.highWatermark(p);
        RecordBatchBuilder b = new RecordBatchBuilder(256);
        b.append(clock.milliseconds(), OffsetRecords.encodeKey(new OffsetKey("g", ORDERS_0)),
                OffsetRecords.encodeValue(new OffsetAndMetadata(9, 1, "acked by the old leader", 5)));
        offsetsLog.appendRaw(p, b.build());
        assertThat(offsetsLog.highWatermark(p)).isEqualTo(committedHere);

        offsetsLog.setLeaderEpoch(p, 1);
        CompletableFuture<Boolean> loaded = coordinator.load(p, 1);
        assertThat(await(coordinator.fetch("g", null)).error()).isEqualTo(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
        assertThat(commit("g", Map.of(ORDERS_1, om(3, "")))).containsExactly(
                Map.entry(ORDERS_1, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS));
        assertThat(loaded).isNotDone();
        assertThat(await(coordinator.isLoaded(p))).isFalse();

        offsetsLog.setHighWatermark(p, offsetsLog.logEndOffset(p)); // the followers caught up
        assertThat(await(loaded)).isTrue();
        assertThat(fetchOffsets("g")).containsExactly(Map.entry(ORDERS_0, 9L));
    }

    @Test
    void aCommitIsAnsweredAndFetchedOnlyOnceTheHighWatermarkPassesIt() throws Exception {
        int p = coordinator.partitionFor("g");
        commit("g", Map.of(ORDERS_0, om(1, "")));
        offsetsLog.manualHighWatermark = true;
        CompletableFuture<Map<TopicPartition, ErrorCode>> pending = coordinator.commit("g", Map.of(ORDERS_0, om(2, "")));
        org.awaitility.Awaitility.await().until(() -> offsetsLog.waiting() == 1);
        assertThat(pending).isNotDone();
        assertThat(offsetsLog.logEndOffset(p)).isGreaterThan(offsetsLog.highWatermark(p));
        assertThat(fetchOffsets("g")).as("appended, not committed: not visible").containsExactly(Map.entry(ORDERS_0, 1L));

        offsetsLog.setHighWatermark(p, offsetsLog.logEndOffset(p));
        assertThat(await(pending)).containsExactly(Map.entry(ORDERS_0, ErrorCode.NONE));
        assertThat(fetchOffsets("g")).containsExactly(Map.entry(ORDERS_0, 2L));
    }

    @Test
    void aCommitNotReplicatedInTimeIsAnsweredCoordinatorNotAvailableAndAppliedIfItCommitsLater() throws Exception {
        int p = coordinator.partitionFor("g");
        offsetsLog.manualHighWatermark = true;
        CompletableFuture<Map<TopicPartition, ErrorCode>> pending = coordinator.commit("g", Map.of(ORDERS_0, om(7, "")));
        org.awaitility.Awaitility.await().until(() -> offsetsLog.waiting() == 1);
        offsetsLog.expireWaiters();
        assertThat(await(pending)).containsExactly(Map.entry(ORDERS_0, ErrorCode.COORDINATOR_NOT_AVAILABLE));
        assertThat(fetchOffsets("g")).isEmpty();
        // The record is in the log: once committed it is what the log says, as after any reload.
        offsetsLog.setHighWatermark(p, offsetsLog.logEndOffset(p));
        assertThat(fetchOffsets("g")).containsExactly(Map.entry(ORDERS_0, 7L));
    }

    @Test
    void losingTheLeadershipAnswersNotCoordinatorToWaitingAndNewRequests() throws Exception {
        int p = coordinator.partitionFor("g");
        offsetsLog.manualHighWatermark = true;
        CompletableFuture<Map<TopicPartition, ErrorCode>> pending = coordinator.commit("g", Map.of(ORDERS_0, om(7, "")));
        org.awaitility.Awaitility.await().until(() -> offsetsLog.waiting() == 1);
        offsetsLog.setLeaderEpoch(p, 1); // another broker leads at epoch 1
        assertThat(await(pending)).containsExactly(Map.entry(ORDERS_0, ErrorCode.NOT_COORDINATOR));
        assertThat(await(coordinator.fetch("g", null)).error()).as("before the unload arrives: the epoch moved")
                .isEqualTo(ErrorCode.NOT_COORDINATOR);
        await(coordinator.unload(p));
        assertThat(await(coordinator.isLoaded(p))).isFalse();
        assertThat(commit("g", Map.of(ORDERS_0, om(8, "")))).containsExactly(Map.entry(ORDERS_0, ErrorCode.NOT_COORDINATOR));
        // Other partitions are still served.
        String other = "h";
        for (int i = 0; coordinator.partitionFor(other) == p; i++) {
            other = "h" + i;
        }
        offsetsLog.manualHighWatermark = false;
        assertThat(commit(other, Map.of(ORDERS_0, om(1, "")))).containsExactly(Map.entry(ORDERS_0, ErrorCode.NONE));
    }

    @Test
    void aLoadOvertakenByAnUnloadOrANewerEpochEndsUnloaded() throws Exception {
        int p = coordinator.partitionFor("g");
        commit("g", Map.of(ORDERS_0, om(1, "")));
        await(coordinator.unload(p));
        offsetsLog.manualHighWatermark = true;
        offsetsLog.setHighWatermark(p, 0);
        offsetsLog.setLeaderEpoch(p, 2);
        CompletableFuture<Boolean> first = coordinator.load(p, 2);
        await(coordinator.unload(p));
        assertThat(await(first)).isFalse();

        CompletableFuture<Boolean> second = coordinator.load(p, 2);
        offsetsLog.setLeaderEpoch(p, 3);
        CompletableFuture<Boolean> third = coordinator.load(p, 3);
        assertThat(await(second)).isFalse();
        offsetsLog.setHighWatermark(p, offsetsLog.logEndOffset(p));
        assertThat(await(third)).isTrue();
        assertThat(fetchOffsets("g")).containsExactly(Map.entry(ORDERS_0, 1L));
    }

    @Test
    void withoutTheTopicARequestAsksForItAndIsAnsweredCoordinatorNotAvailable() throws Exception {
        AtomicInteger creations = new AtomicInteger();
        coordinator.close();
        coordinator = newCoordinator(new OffsetsTopic() {
            @Override
            public int partitions() {
                return 0;
            }

            @Override
            public CompletableFuture<Void> create() {
                creations.incrementAndGet();
                return new CompletableFuture<>();
            }
        });
        assertThat(commit("g", Map.of(ORDERS_0, om(1, "")))).containsExactly(
                Map.entry(ORDERS_0, ErrorCode.COORDINATOR_NOT_AVAILABLE));
        OffsetFetchResult fetched = await(coordinator.fetch("g", null));
        assertThat(fetched.error()).isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        assertThat(fetched.errorMessage()).contains("offsets.topic.replication.factor");
        assertThat(creations.get()).isEqualTo(2);
    }

    @Test
    void recordCodecRoundTrips() {
        OffsetKey key = new OffsetKey("gröup", new TopicPartition("t.x", 12345));
        assertThat(OffsetRecords.decodeKey(ByteBuffer.wrap(OffsetRecords.encodeKey(key)))).isEqualTo(key);
        OffsetAndMetadata value = new OffsetAndMetadata(Long.MAX_VALUE, -1, "meta ✓", 17);
        assertThat(OffsetRecords.decodeValue(ByteBuffer.wrap(OffsetRecords.encodeValue(value)))).isEqualTo(value);
        assertThat(OffsetRecords.decodeKey(ByteBuffer.wrap(new byte[] {1, 0, 0}))).as("unknown version").isNull();
    }
}
