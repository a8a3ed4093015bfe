package io.sluice.broker.producer;

import io.sluice.broker.state.BrokerStore;
import io.sluice.broker.state.StoreFamily;
import io.sluice.proto.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Producer state snapshots in the {@link BrokerStore}'s {@code producer_state} family, one per partition, keyed by
 * {@code <topic>-<partition>}. Writes are not synced: a lost or damaged snapshot only costs a longer rebuild from
 * the log. Thread-safe (the store is).
 */
public final class ProducerStateStore {
    private static final Logger log = LoggerFactory.getLogger(ProducerStateStore.class);

    private final BrokerStore store;

    public ProducerStateStore(BrokerStore store) {
        this.store = store;
    }

    public void save(TopicPartition tp, ProducerStateSnapshot snapshot) {
        store.put(StoreFamily.PRODUCER_STATE, key(tp), snapshot.encode());
    }

    /** The partition's snapshot; empty when there is none or it cannot be decoded (logged: the log rebuilds it). */
    public Optional<ProducerStateSnapshot> load(TopicPartition tp) {
        byte[] bytes = store.get(StoreFamily.PRODUCER_STATE, key(tp));
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ProducerStateSnapshot.decode(bytes));
        } catch (IllegalArgumentException e) {
            log.warn("{}: discarding the producer state snapshot in {}: {}; rebuilding from the log start",
                    tp, store.path(), e.getMessage());
            return Optional.empty();
        }
    }

    public void delete(TopicPartition tp) {
        store.delete(StoreFamily.PRODUCER_STATE, key(tp));
    }

    private static byte[] key(TopicPartition tp) {
        return tp.dirName().getBytes(StandardCharsets.UTF_8);
    }
}
