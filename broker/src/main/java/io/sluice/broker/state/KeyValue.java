package io.sluice.broker.state;

/** One entry read from a {@link BrokerStore} scan; the arrays are the caller's to keep. */
public record KeyValue(byte[] key, byte[] value) {
}
