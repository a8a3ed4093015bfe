/**
 * The frame codec of the wire protocol (ARCHITECTURE.md §3): a length-prefixed protobuf envelope
 * followed by raw record batches, decoded without copying the batches and encoded so that file
 * regions reach the transport unchanged.
 */
package io.sluice.proto.frame;
