/**
 * Idempotent producers (ARCHITECTURE.md §6, Kafka's semantics): producer ids handed out in blocks, and per partition
 * the last batches of each producer, so that a retried batch is answered with its original offsets instead of being
 * written twice, and a gap or a fenced epoch is refused. The state is rebuilt from the log's batch headers on load,
 * starting from a snapshot kept in the broker store.
 */
package io.sluice.broker.producer;
