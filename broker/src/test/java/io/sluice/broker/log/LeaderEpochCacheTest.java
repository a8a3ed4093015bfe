package io.sluice.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.TestBatches;
import io.sluice.broker.util.Clock;
import io.sluice.proto.TopicPartition;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaderEpochCacheTest {
    @TempDir
    Path dir;

    private final TopicPartition tp = new TopicPartition("t", 0);

    private Log open() {
        return Log.open(tp, dir.resolve(tp.dirName()), LogConfig.DEFAULT.withSegmentBytes(1 << 20).withPrefillBytes(0),
                Clock.SYSTEM, Runnable::run, false, 0);
    }

    @Test
    void answersTheLargestEpochAtOrBelowTheRequestedOneAndWhereItEnds() {
        LeaderEpochCache cache = LeaderEpochCache.empty(dir);
        assertThat(cache.endOffsetFor(5, 0)).isEqualTo(EpochEndOffset.UNDEFINED);
        cache.assign(1, 0);
        cache.assign(3, 10);
        cache.assign(2, 12); // older than the latest: ignored
        cache.assign(6, 25);
        assertThat(cache.entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(3, 10), new EpochEntry(6, 25));
        assertThat(cache.endOffsetFor(0, 40)).isEqualTo(EpochEndOffset.UNDEFINED);
        assertThat(cache.endOffsetFor(1, 40)).isEqualTo(new EpochEndOffset(1, 10));
        assertThat(cache.endOffsetFor(2, 40)).isEqualTo(new EpochEndOffset(1, 10));
        assertThat(cache.endOffsetFor(5, 40)).isEqualTo(new EpochEndOffset(3, 25));
        assertThat(cache.endOffsetFor(6, 40)).isEqualTo(new EpochEndOffset(6, 40));
        assertThat(cache.endOffsetFor(9, 40)).isEqualTo(new EpochEndOffset(6, 40));
    }

    @Test
    void truncationAndRetentionKeepTheFileInStep() {
        LeaderEpochCache cache = LeaderEpochCache.empty(dir);
        cache.assign(1, 0);
        cache.assign(3, 10);
        cache.assign(6, 25);
        cache.truncateFromEnd(25);
        assertThat(LeaderEpochCache.load(dir).entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(3, 10));
        cache.truncateFromStart(12);
        assertThat(LeaderEpochCache.load(dir).entries()).containsExactly(new EpochEntry(3, 12));
        assertThat(Files.exists(dir.resolve(LeaderEpochCache.FILE_NAME + LeaderEpochCache.TEMP_SUFFIX))).isFalse();
    }

    @Test
    void anAddedEpochIsWrittenByForceNotByAssign() {
        LeaderEpochCache cache = LeaderEpochCache.empty(dir);
        cache.assign(1, 0);
        assertThat(dir.resolve(LeaderEpochCache.FILE_NAME)).doesNotExist();
        cache.force();
        assertThat(LeaderEpochCache.load(dir).entries()).containsExactly(new EpochEntry(1, 0));
        cache.assign(4, 30);
        assertThat(LeaderEpochCache.load(dir).entries()).containsExactly(new EpochEntry(1, 0));
        cache.force();
        cache.force(); // nothing new: no write
        assertThat(LeaderEpochCache.load(dir).entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(4, 30));
        cache.assign(5, 40);
        cache.truncateFromEnd(35); // a removal writes at once, with every entry still held
        assertThat(LeaderEpochCache.load(dir).entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(4, 30));
    }

    @Test
    void aCorruptFileIsATypedErrorNamingIt() throws Exception {
        Files.writeString(dir.resolve(LeaderEpochCache.FILE_NAME), "0\n2\n3 10\n1 20\n");
        assertThatThrownBy(() -> LeaderEpochCache.load(dir)).isInstanceOf(LogCorruptionException.class)
                .hasMessageContaining(LeaderEpochCache.FILE_NAME).hasMessageContaining("out of order");
        Files.writeString(dir.resolve(LeaderEpochCache.FILE_NAME), "0\n3\n1 0\n");
        assertThatThrownBy(() -> LeaderEpochCache.load(dir)).isInstanceOf(LogCorruptionException.class);
    }

    @Test
    void theLogRecordsEpochsOnAppendTruncatesThemAndReloadsThem() {
        try (Log log = open()) {
            log.appendAsLeader(TestBatches.batch(0, 5, 10, 1), 1);
            log.appendAsLeader(TestBatches.batch(5, 5, 10, 1), 1);
            log.appendAsLeader(TestBatches.batch(10, 5, 10, 1), 4);
            ByteBuffer followed = TestBatches.batch(15, 5, 10, 1);
            // As a leader would have stamped it: offsets and epoch are outside the CRC.
            followed.putLong(followed.position() + io.sluice.proto.record.RecordBatch.BASE_OFFSET_OFFSET, 15)
                    .putInt(followed.position() + io.sluice.proto.record.RecordBatch.PARTITION_LEADER_EPOCH_OFFSET, 7);
            log.appendAsFollower(followed);
            assertThat(log.epochEntries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(4, 10), new EpochEntry(7, 15));
            log.truncateTo(15);
            assertThat(log.epochEntries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(4, 10));
            assertThat(log.endOffsetForEpoch(4)).isEqualTo(new EpochEndOffset(4, log.logEndOffset()));
        }
        try (Log log = open()) {
            assertThat(log.epochEntries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(4, 10));
        }
    }

    @Test
    void aMissingOrCorruptCheckpointIsRebuiltFromTheBatchHeaders() throws Exception {
        try (Log log = open()) {
            log.appendAsLeader(TestBatches.batch(0, 5, 10, 1), 2);
            log.appendAsLeader(TestBatches.batch(5, 5, 10, 1), 5);
        }
        Path file = dir.resolve(tp.dirName()).resolve(LeaderEpochCache.FILE_NAME);
        Files.writeString(file, "0\nnot a number\n");
        try (Log log = open()) {
            assertThat(log.epochEntries()).containsExactly(new EpochEntry(2, 0), new EpochEntry(5, 5));
        }
        assertThat(LeaderEpochCache.load(file.getParent()).entries()).hasSize(2);
        Files.delete(file);
        try (Log log = open()) {
            assertThat(log.epochEntries()).isEqualTo(List.of(new EpochEntry(2, 0), new EpochEntry(5, 5)));
        }
    }

    @Test
    void entriesPastTheLogEndAreDroppedOnLoad() throws Exception {
        try (Log log = open()) {
            log.appendAsLeader(TestBatches.batch(0, 5, 10, 1), 2);
        }
        // A checkpoint written just before a crash that lost the tail it describes.
        Files.writeString(dir.resolve(tp.dirName()).resolve(LeaderEpochCache.FILE_NAME), "0\n2\n2 0\n3 5\n");
        try (Log log = open()) {
            assertThat(log.epochEntries()).containsExactly(new EpochEntry(2, 0));
        }
    }
}
