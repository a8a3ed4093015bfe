package io.sluice.broker.state;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrokerStoreTest {
    @TempDir
    Path logDir;

    static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    static List<String> keys(List<KeyValue> entries) {
        return entries.stream().map(kv -> new String(kv.key(), UTF_8)).toList();
    }

    @Test
    void storeLivesInTheMetaDirOfTheFirstLogDir() {
        assertThat(BrokerStore.dirIn(logDir)).isEqualTo(logDir.resolve("meta"));
        try (BrokerStore store = BrokerStore.open(BrokerStore.dirIn(logDir))) {
            assertThat(Files.isDirectory(logDir.resolve("meta"))).isTrue();
            assertThat(store.path()).isEqualTo(logDir.resolve("meta"));
        }
    }

    @Test
    void familiesAreSeparateNamespacesAndSurviveReopen() {
        Path dir = BrokerStore.dirIn(logDir);
        try (BrokerStore store = BrokerStore.open(dir)) {
            store.put(StoreFamily.METADATA, b("k"), b("meta"));
            store.put(StoreFamily.PRODUCER_STATE, b("k"), b("producer"));
            store.put(StoreFamily.CONSUMER_OFFSETS, b("k"), b("offsets"));
            store.put(StoreFamily.CHECKPOINTS, b("gone"), b("x"));
            store.delete(StoreFamily.CHECKPOINTS, b("gone"));
        }
        try (BrokerStore store = BrokerStore.open(dir)) {
            assertThat(store.get(StoreFamily.METADATA, b("k"))).asString(UTF_8).isEqualTo("meta");
            assertThat(store.get(StoreFamily.PRODUCER_STATE, b("k"))).asString(UTF_8).isEqualTo("producer");
            assertThat(store.get(StoreFamily.CONSUMER_OFFSETS, b("k"))).asString(UTF_8).isEqualTo("offsets");
            assertThat(store.get(StoreFamily.CHECKPOINTS, b("k"))).isNull();
            assertThat(store.get(StoreFamily.CHECKPOINTS, b("gone"))).isNull();
        }
    }

    @Test
    void scanReturnsOnlyThePrefixInKeyOrder() {
        try (BrokerStore store = BrokerStore.open(BrokerStore.dirIn(logDir))) {
            for (String k : List.of("b/2", "a/1", "b/1", "b", "c/1", "b/10")) {
                store.put(StoreFamily.METADATA, b(k), b("v" + k));
            }
            assertThat(keys(store.scan(StoreFamily.METADATA, b("b/")))).containsExactly("b/1", "b/10", "b/2");
            assertThat(keys(store.scan(StoreFamily.METADATA, new byte[0])))
                    .containsExactly("a/1", "b", "b/1", "b/10", "b/2", "c/1");
            assertThat(store.scan(StoreFamily.CHECKPOINTS, new byte[0])).isEmpty();
        }
    }

    @Test
    void batchAppliesPutsDeletesAndPrefixDeletesTogether() {
        try (BrokerStore store = BrokerStore.open(BrokerStore.dirIn(logDir))) {
            for (String k : List.of("p1/a", "p1/b", "p2/a", "q")) {
                store.put(StoreFamily.CONSUMER_OFFSETS, b(k), b("old"));
            }
            store.put(StoreFamily.METADATA, b("m"), b("x"));
            store.write(new StoreBatch()
                    .deletePrefix(StoreFamily.CONSUMER_OFFSETS, b("p1/"))
                    .put(StoreFamily.CONSUMER_OFFSETS, b("p1/c"), b("new"))
                    .delete(StoreFamily.METADATA, b("m")));
            assertThat(keys(store.scan(StoreFamily.CONSUMER_OFFSETS, new byte[0]))).containsExactly("p1/c", "p2/a", "q");
            assertThat(store.get(StoreFamily.METADATA, b("m"))).isNull();
        }
    }

    @Test
    void prefixDeleteOfAllOnesPrefixHasNoRangeEndAndStillWorks() {
        try (BrokerStore store = BrokerStore.open(BrokerStore.dirIn(logDir))) {
            byte[] ff = {(byte) 0xff};
            store.put(StoreFamily.CHECKPOINTS, new byte[] {(byte) 0xff, 1}, b("x"));
            store.put(StoreFamily.CHECKPOINTS, new byte[] {(byte) 0xfe}, b("y"));
            store.write(new StoreBatch().deletePrefix(StoreFamily.CHECKPOINTS, ff));
            assertThat(store.scan(StoreFamily.CHECKPOINTS, new byte[0])).hasSize(1);
        }
        assertThat(BrokerStore.successor(new byte[] {1, (byte) 0xff})).containsExactly(2);
        assertThat(BrokerStore.successor(new byte[] {(byte) 0xff})).isNull();
    }

    @Test
    void aSecondOpenOfTheSameStoreIsRefusedNamingThePath() {
        Path dir = BrokerStore.dirIn(logDir);
        try (BrokerStore store = BrokerStore.open(dir)) {
            assertThatThrownBy(() -> BrokerStore.open(dir))
                    .isInstanceOf(BrokerStoreException.class)
                    .hasMessageContaining(dir.toString())
                    .hasMessageContaining("lock");
            store.put(StoreFamily.METADATA, b("still"), b("usable"));
        }
    }

    @Test
    void aCorruptStoreIsRefusedNamingThePath() throws Exception {
        Path dir = BrokerStore.dirIn(logDir);
        try (BrokerStore store = BrokerStore.open(dir)) {
            store.put(StoreFamily.METADATA, b("k"), b("v"));
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path manifest : files.filter(p -> p.getFileName().toString().startsWith("MANIFEST-")).toList()) {
                Files.write(manifest, b("this is not a manifest, it is garbage that fails every check"));
            }
        }
        assertThatThrownBy(() -> BrokerStore.open(dir))
                .isInstanceOf(BrokerStoreException.class)
                .hasMessageContaining(dir.toString());
        // The failed open let go of its lock and handles: once the damage is repaired (here: removed), it opens.
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        try (BrokerStore store = BrokerStore.open(dir)) {
            assertThat(store.get(StoreFamily.METADATA, b("k"))).isNull();
        }
    }

    @Test
    void closeIsIdempotentAndLaterCallsFailClearly() {
        BrokerStore store = BrokerStore.open(BrokerStore.dirIn(logDir));
        store.close();
        store.close();
        assertThatThrownBy(() -> store.get(StoreFamily.METADATA, b("k")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }
}
