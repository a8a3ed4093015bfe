package io.sluice.broker.partition;

import java.util.List;
import java.util.function.Consumer;

/**
 * Applies an ISR change at once on this broker, with no controller to commit it: the partition's in-sync
 * set really changes and its high watermark follows. It stands until the controller's {@code AlterPartition}
 * path replaces it; with it, a change is not made durable or visible to other brokers.
 *
 * <p>Stateless; thread-safe as {@link Partition#applyIsr} is.
 */
public final class LocalIsrChangeSender implements IsrChangeSender {
    private final Consumer<Partition> onApplied;

    /**
     * @param onApplied told, outside the partition lock, after a change was applied (the high watermark may have
     *                  moved and the ISR may have fallen below min.insync.replicas: waiting requests are rechecked)
     */
    public LocalIsrChangeSender(Consumer<Partition> onApplied) {
        this.onApplied = onApplied;
    }

    @Override
    public boolean propose(Partition partition, int leaderEpoch, List<Integer> newIsr) {
        if (partition.applyIsr(leaderEpoch, newIsr)) {
            onApplied.accept(partition);
            return true;
        }
        return false;
    }
}
