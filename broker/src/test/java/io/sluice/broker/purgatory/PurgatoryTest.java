package io.sluice.broker.purgatory;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.HashedWheelTimer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PurgatoryTest {
    private final HashedWheelTimer timer = new HashedWheelTimer();
    private final Purgatory<Waiting> purgatory = new Purgatory<>("test", timer);

    @AfterEach
    void stop() {
        timer.stop();
    }

    /** Completes once {@code ready} is set; counts its completions and failures. */
    private static final class Waiting extends DelayedOperation {
        final AtomicBoolean ready = new AtomicBoolean();
        final AtomicInteger completions = new AtomicInteger();
        final AtomicInteger failures = new AtomicInteger();
        boolean throwOnComplete;

        Waiting(long delayMs) {
            super(delayMs);
        }

        @Override
        public boolean tryComplete() {
            return ready.get() && forceComplete();
        }

        @Override
        protected void onComplete() {
            completions.incrementAndGet();
            if (throwOnComplete) {
                throw new IllegalStateException("boom");
            }
        }

        @Override
        protected void onCompleteFailed(RuntimeException e) {
            failures.incrementAndGet();
        }
    }

    @Test
    void anOperationCompletedThroughOneKeyLeavesTheQueuesOfAllItsKeys() {
        Waiting op = new Waiting(60_000);
        assertThat(purgatory.tryCompleteElseWatch(op, List.of("a", "b", "c"))).isFalse();
        assertThat(purgatory.watching("b")).isEqualTo(1);
        op.ready.set(true);
        assertThat(purgatory.checkAndComplete("a")).isEqualTo(1);
        assertThat(purgatory.watching("a")).isZero();
        assertThat(purgatory.watching("b")).as("idle keys must not keep completed operations").isZero();
        assertThat(purgatory.watching("c")).isZero();
        assertThat(purgatory.size()).isZero();
        assertThat(op.completions).hasValue(1);
    }

    @Test
    void anOperationThatFailsToAnswerDoesNotKeepTheOthersOnItsKeyWaiting() {
        Waiting failing = new Waiting(60_000);
        failing.throwOnComplete = true;
        Waiting fine = new Waiting(60_000);
        purgatory.tryCompleteElseWatch(failing, List.of("k"));
        purgatory.tryCompleteElseWatch(fine, List.of("k"));
        failing.ready.set(true);
        fine.ready.set(true);
        assertThat(purgatory.checkAndComplete("k")).isEqualTo(2);
        assertThat(failing.failures).hasValue(1);
        assertThat(fine.completions).hasValue(1);
        assertThat(purgatory.watching("k")).isZero();
    }

    @Test
    void anOperationExpiresOnceAndLeavesItsKeys() throws Exception {
        Waiting op = new Waiting(50);
        purgatory.tryCompleteElseWatch(op, List.of("x", "y"));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (op.completions.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(op.completions).hasValue(1);
        assertThat(purgatory.watching("x")).isZero();
        assertThat(purgatory.watching("y")).isZero();
        op.ready.set(true);
        assertThat(purgatory.checkAndComplete("x")).isZero();
        assertThat(op.completions).hasValue(1);
    }
}
