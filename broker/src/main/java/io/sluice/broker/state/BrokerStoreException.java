package io.sluice.broker.state;

import java.nio.file.Path;

/**
 * A failure of the broker's RocksDB (corrupt files, a lock held by another process, an I/O error), naming the
 * store's path and what was being done. The RocksDB status, when there is one, is in the message and the cause.
 */
public final class BrokerStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BrokerStoreException(Path path, String action, Throwable cause) {
        super(path + ": " + action + " failed: " + cause.getMessage(), cause);
    }
}
