/**
 * The broker's local state store: one RocksDB under {@code <first log dir>/meta} (ARCHITECTURE.md §8) with a
 * column family per kind of state. Nothing here knows what the bytes mean; the metadata, producer-state and
 * consumer-offset packages encode their own keys and values.
 */
package io.sluice.broker.state;
