package io.sluice.client.producer;

/**
 * Told when a record is acknowledged or has failed. Runs on the client's I/O thread: it must return quickly and
 * never block (no {@code send} that may wait for buffer memory, no {@code get} on another future).
 */
@FunctionalInterface
public interface Callback {
    /** Exactly one of {@code metadata} and {@code exception} is null. */
    void onCompletion(RecordMetadata metadata, Exception exception);
}
