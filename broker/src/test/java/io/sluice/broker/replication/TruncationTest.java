package io.sluice.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.log.EpochEndOffset;
import org.junit.jupiter.api.Test;

class TruncationTest {
    @Test
    void sameEpochTruncatesToTheSmallerEnd() {
        assertThat(Truncation.decide(new EpochEndOffset(3, 100), new EpochEndOffset(3, 120), 0, 120))
                .isEqualTo(new Truncation(100, true));
        assertThat(Truncation.decide(new EpochEndOffset(3, 150), new EpochEndOffset(3, 120), 0, 120))
                .isEqualTo(new Truncation(120, true));
    }

    @Test
    void anEpochTheFollowerNeverSawTakesAnotherRound() {
        // Follower: epochs 1 [0,50) and 4 [50,80); leader has 1 [0,60) and 3 [60,..): leader answers (3, 90) for 4.
        assertThat(Truncation.decide(new EpochEndOffset(3, 90), new EpochEndOffset(1, 50), 0, 80))
                .isEqualTo(new Truncation(50, false));
        // Second round, asking for 1: leader says 1 ends at 60; the follower's 1 ends at 50.
        assertThat(Truncation.decide(new EpochEndOffset(1, 60), new EpochEndOffset(1, 50), 0, 50))
                .isEqualTo(new Truncation(50, true));
    }

    @Test
    void noCommonEpochTruncatesEverything() {
        assertThat(Truncation.decide(EpochEndOffset.UNDEFINED, EpochEndOffset.UNDEFINED, 7, 30))
                .isEqualTo(new Truncation(7, true));
        assertThat(Truncation.decide(new EpochEndOffset(2, 10), EpochEndOffset.UNDEFINED, 0, 30))
                .isEqualTo(new Truncation(0, true));
    }
}
