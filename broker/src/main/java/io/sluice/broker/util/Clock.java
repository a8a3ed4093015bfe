package io.sluice.broker.util;

/**
 * The broker's source of time, injected everywhere a decision depends on it (segment age, retention,
 * flush intervals) so that tests can step time instead of sleeping.
 */
public interface Clock {

    Clock SYSTEM = new Clock() {
        @Override
        public long milliseconds() {
            return System.currentTimeMillis();
        }

        @Override
        public long nanoseconds() {
            return System.nanoTime();
        }
    };

    /** Wall-clock time in milliseconds since the epoch. */
    long milliseconds();

    /** Monotonic time for measuring intervals. */
    long nanoseconds();
}
