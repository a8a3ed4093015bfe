package io.sluice.broker.state;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes to apply atomically with {@link BrokerStore#write(StoreBatch)}: all of them or none survive a crash. Plain
 * Java until written, so an abandoned batch holds no native memory. Not thread-safe; build it on one thread.
 */
public final class StoreBatch {

    enum Kind { PUT, DELETE, DELETE_PREFIX }

    record Op(Kind kind, StoreFamily family, byte[] key, byte[] value) {
    }

    private final List<Op> ops = new ArrayList<>();

    public StoreBatch put(StoreFamily family, byte[] key, byte[] value) {
        ops.add(new Op(Kind.PUT, family, key.clone(), value.clone()));
        return this;
    }

    public StoreBatch delete(StoreFamily family, byte[] key) {
        ops.add(new Op(Kind.DELETE, family, key.clone(), null));
        return this;
    }

    /** Deletes every key that starts with {@code prefix} (a range delete: cheap however many keys it covers). */
    public StoreBatch deletePrefix(StoreFamily family, byte[] prefix) {
        ops.add(new Op(Kind.DELETE_PREFIX, family, prefix.clone(), null));
        return this;
    }

    public int size() {
        return ops.size();
    }

    public boolean isEmpty() {
        return ops.isEmpty();
    }

    List<Op> ops() {
        return ops;
    }

    /** Whether any write in the batch goes to a family whose writes are synced. */
    boolean needsSync() {
        for (Op op : ops) {
            if (op.family().sync()) {
                return true;
            }
        }
        return false;
    }
}
