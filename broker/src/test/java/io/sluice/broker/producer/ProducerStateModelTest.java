package io.sluice.broker.producer;

import static io.sluice.broker.producer.ProducerStateManagerTest.batch;
import static io.sluice.broker.producer.ProducerStateManagerTest.plainBatch;
import static io.sluice.broker.producer.ProducerStateManagerTest.produce;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.producer.AppendCheck.Outcome;
import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.testing.ManualClock;
import io.sluice.proto.TopicPartition;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random histories of sends, retries, epoch bumps, fenced and out-of-order batches, snapshots, restarts and
 * truncations, each outcome held against a model that remembers every batch ever appended (not just the last five).
 */
class ProducerStateModelTest {
    static final TopicPartition TP = new TopicPartition("model", 0);
    static final int SEEDS = 25;
    static final int STEPS = 250;

    @TempDir
    Path tmp;

    /** A batch the model knows was appended. */
    record Sent(long pid, int epoch, int firstSeq, int count, long firstOffset, ByteBuffer bytes) {
        int lastSeq() {
            return firstSeq + count - 1;
        }
    }

    @Test
    void randomHistoriesAgreeWithTheModel() {
        for (long seed = 0; seed < SEEDS; seed++) {
            run(seed);
        }
    }

    private void run(long seed) {
        Random random = new Random(seed);
        Path dir = tmp.resolve("seed-" + seed);
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(4096).withIndexIntervalBytes(256).withPrefillBytes(0);
        ManualClock clock = new ManualClock(1_700_000_000_000L);
        Map<Long, List<Sent>> history = new HashMap<>();
        Map<Long, Integer> lastEpoch = new HashMap<>();
        try (BrokerStore store = BrokerStore.open(BrokerStore.dirIn(dir))) {
            ProducerStateStore snapshots = new ProducerStateStore(store);
            Log log = Log.open(TP, dir.resolve(TP.dirName()), config, clock, Runnable::run, false, 0);
            ProducerStateManager state = new ProducerStateManager(TP, snapshots);
            try {
                for (int step = 0; step < STEPS; step++) {
                    String where = "seed " + seed + " step " + step;
                    long pid = 1 + random.nextInt(4);
                    List<Sent> mine = history.computeIfAbsent(pid, p -> new ArrayList<>());
                    Sent last = mine.isEmpty() ? null : mine.get(mine.size() - 1);
                    int epoch = last != null ? last.epoch() : lastEpoch.getOrDefault(pid, 0);
                    int nextSeq = last != null ? last.lastSeq() + 1 : 0;
                    int r = random.nextInt(100);
                    if (r < 45) { // the next batch in sequence
                        send(state, log, mine, pid, epoch, nextSeq, 1 + random.nextInt(5), where);
                    } else if (r < 50) { // someone else's plain batch
                        assertThat(produce(state, log, plainBatch(1 + random.nextInt(3))).outcome()).isEqualTo(Outcome.APPEND);
                    } else if (r < 63 && last != null) { // a retry of one of the producer's recent batches
                        int k = 1 + random.nextInt(Math.min(8, mine.size()));
                        Sent retried = mine.get(mine.size() - k);
                        List<Sent> sameEpoch = mine.stream().filter(s -> s.epoch() == epoch).toList();
                        int indexInEpoch = sameEpoch.indexOf(retried);
                        AppendCheck check = produce(state, log, retried.bytes().duplicate());
                        if (retried.epoch() < epoch) {
                            assertThat(check.outcome()).as(where).isEqualTo(Outcome.INVALID_PRODUCER_EPOCH);
                        } else if (indexInEpoch >= sameEpoch.size() - ProducerStateEntry.RETAINED_BATCHES) {
                            assertThat(check.outcome()).as(where).isEqualTo(Outcome.DUPLICATE);
                            assertThat(check.duplicateOf().firstOffset()).as(where).isEqualTo(retried.firstOffset());
                        } else {
                            assertThat(check.outcome()).as(where).isEqualTo(Outcome.OUT_OF_ORDER_SEQUENCE);
                        }
                    } else if (r < 68) { // a new epoch, from sequence 0
                        lastEpoch.put(pid, epoch + 1);
                        send(state, log, mine, pid, epoch + 1, 0, 1 + random.nextInt(3), where);
                    } else if (r < 71 && last != null && epoch > 0) { // a zombie of an older epoch
                        assertThat(produce(state, log, batch(pid, epoch - 1, nextSeq, 1)).outcome()).as(where)
                                .isEqualTo(Outcome.INVALID_PRODUCER_EPOCH);
                    } else if (r < 75 && last != null) { // a gap
                        assertThat(produce(state, log, batch(pid, epoch, nextSeq + 1 + random.nextInt(3), 1))
                                .outcome()).as(where).isEqualTo(Outcome.OUT_OF_ORDER_SEQUENCE);
                    } else if (r < 78) { // a producer this partition never saw, not starting at 0
                        assertThat(produce(state, log, batch(1000 + random.nextInt(100), 0, 1 + random.nextInt(9), 1))
                                .outcome()).as(where).isEqualTo(Outcome.UNKNOWN_PRODUCER_ID);
                    } else if (r < 85) {
                        state.takeSnapshot(log.logEndOffset());
                    } else if (r < 93) { // restart: the state is rebuilt from the snapshot and the log
                        List<ProducerStateEntry> before = state.entries();
                        log.close();
                        log = Log.open(TP, dir.resolve(TP.dirName()), config, clock, Runnable::run, true, 0);
                        state = new ProducerStateManager(TP, snapshots);
                        state.load(log);
                        assertThat(state.entries()).as(where).isEqualTo(before);
                    } else { // a follower's truncation to a batch boundary
                        List<Sent> all = new ArrayList<>();
                        history.values().forEach(all::addAll);
                        if (all.isEmpty()) {
                            continue;
                        }
                        long cut = all.get(random.nextInt(all.size())).firstOffset();
                        log.truncateTo(cut);
                        state.truncateTo(log);
                        history.values().forEach(list -> list.removeIf(s -> s.firstOffset() >= cut));
                        ProducerStateManager rebuilt = new ProducerStateManager(TP, snapshots);
                        rebuilt.load(log);
                        assertThat(state.entries()).as(where).isEqualTo(rebuilt.entries());
                    }
                }
            } finally {
                log.close();
            }
        }
    }

    private static void send(ProducerStateManager state, Log log, List<Sent> mine, long pid, int epoch, int seq,
                             int count, String where) {
        ByteBuffer bytes = batch(pid, epoch, seq, count);
        long offset = log.logEndOffset();
        assertThat(produce(state, log, bytes.duplicate()).outcome()).as(where).isEqualTo(Outcome.APPEND);
        mine.add(new Sent(pid, epoch, seq, count, offset, bytes));
    }
}
