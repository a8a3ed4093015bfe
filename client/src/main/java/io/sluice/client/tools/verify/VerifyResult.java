package io.sluice.client.tools.verify;

/**
 * The counts sluice-verify prints as its one line on stdout; any of lost, duplicated, reordered or corrupt above
 * zero is an anomaly (exit 1). {@code unchecked} (acknowledged records inside an answer the consumer refused, so
 * neither found nor proven lost) and {@code foreign} (records of other runs or other writers) go to stderr.
 */
record VerifyResult(long acked, long consumed, long lost, long duplicated, long reordered, long corrupt,
                    long unchecked, long foreign) {

    static VerifyResult producedOnly(long acked) {
        return new VerifyResult(acked, 0, 0, 0, 0, 0, 0, 0);
    }

    boolean anomalies() {
        return lost > 0 || duplicated > 0 || reordered > 0 || corrupt > 0;
    }

    String line() {
        return "acked=" + acked + " consumed=" + consumed + " lost=" + lost + " duplicated=" + duplicated
                + " reordered=" + reordered + " corrupt=" + corrupt;
    }
}
