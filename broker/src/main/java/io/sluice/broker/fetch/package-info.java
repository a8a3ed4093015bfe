/**
 * The zero-copy read path: log slices handed to the transport as file regions, which it sends with
 * {@code sendfile}, so no fetched byte is copied by the CPU in plaintext mode.
 */
package io.sluice.broker.fetch;
