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

    /** The real partition logs of __consumer_offsets behind the narrow interface, counting reads. */
    final class TestOffsetsLog implements OffsetsLog {
        final Log[] logs = new Log[PARTITIONS];
        final AtomicInteger reads = new AtomicInteger();

        TestOffsetsLog() {
            LogConfig config = LogConfig.DEFAULT.withSegmentBytes(16 * 1024).withIndexIntervalBytes(256).withPrefillBytes(0);
            for (int p = 0; p < PARTITIONS; p++) {
                TopicPartition tp = new TopicPartition(GroupCoordinator.OFFSETS_TOPIC, p);
                logs[p] = Log.open(tp, logDir.resolve(tp.dirName()), config, clock, Runnable::run, false, 0);
            }
        }

        @Override
        public LogAppendInfo append(int partition, ByteBuffer batch) {
            return logs[partition].appendAsLeader(batch, 0);
        }

        @Override
        public LogSlice read(int partition, long offset, int maxBytes) {
            reads.incrementAndGet();
            return logs[partition].read(offset, maxBytes, Long.MAX_VALUE);
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
        coordinator = new GroupCoordinator(offsetsLog, store, PARTITIONS, GroupCoordinator.DEFAULT_MAX_METADATA_BYTES,
                clock);
        for (int p = 0; p < PARTITIONS; p++) {
            await(coordinator.load(p));
        }
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
                Map.entry(ORDERS_0, ErrorCode.COORDINATOR_NOT_AVAILABLE));
        assertThat(await(coordinator.fetch("g", null)).error()).isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        await(coordinator.load(p));
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
        offsetsLog.append(p, b.build());
        await(coordinator.unload(p));
        int readsBefore = offsetsLog.reads.get();
        await(coordinator.load(p));
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
        OffsetsLog failing = new OffsetsLog() {
            @Override
            public LogAppendInfo append(int partition, ByteBuffer batch) {
                throw new IllegalStateException("disk on fire");
            }

            @Override
            public LogSlice read(int partition, long offset, int maxBytes) {
                return offsetsLog.read(partition, offset, maxBytes);
            }

            @Override
            public long logEndOffset(int partition) {
                return offsetsLog.logEndOffset(partition);
            }

            @Override
            public long logStartOffset(int partition) {
                return offsetsLog.logStartOffset(partition);
            }
        };
        coordinator.close();
        coordinator = new GroupCoordinator(failing, store, PARTITIONS, GroupCoordinator.DEFAULT_MAX_METADATA_BYTES, clock);
        await(coordinator.load(coordinator.partitionFor("g")));
        assertThat(commit("g", Map.of(ORDERS_0, om(2, "")))).containsExactly(
                Map.entry(ORDERS_0, ErrorCode.COORDINATOR_NOT_AVAILABLE));
        assertThat(fetchOffsets("g")).containsExactly(Map.entry(ORDERS_0, 1L));
    }

    @Test
    void aCommitTheViewMissedUnloadsThePartitionUntilItIsLoadedAgain() throws Exception {
        int p = coordinator.partitionFor("g");
        commit("g", Map.of(ORDERS_0, om(1, "")));
        store.close(); // the view cannot be written now; the log still can
        assertThat(commit("g", Map.of(ORDERS_0, om(2, "")))).as("the commit is in the log")
                .containsExactly(Map.entry(ORDERS_0, ErrorCode.NONE));
        assertThat(await(coordinator.isLoaded(p))).isFalse();
        assertThat(await(coordinator.fetch("g", null)).error()).isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        restart();
        assertThat(fetchOffsets("g")).containsExactly(Map.entry(ORDERS_0, 2L));
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
