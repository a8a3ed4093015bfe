package io.sluice.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offset index held against a {@link TreeMap} with the same entries. */
class OffsetIndexTest {
    static final long BASE = 1_000;

    @TempDir
    Path tmp;

    @Test
    void lookupsMatchATreeMapModelIncludingTheWarmSection() {
        Random random = new Random(7);
        TreeMap<Long, Integer> model = new TreeMap<>();
        try (OffsetIndex index = new OffsetIndex(tmp.resolve("a.index"), BASE, 80_000, true)) {
            long offset = BASE;
            int position = 0;
            for (int i = 0; i < 10_000; i++) {
                offset += 1 + random.nextInt(50);
                position += 1 + random.nextInt(5000);
                index.append(offset, position);
                model.put(offset, position);
            }
            for (int i = 0; i < 20_000; i++) {
                long target = BASE + random.nextInt((int) (offset - BASE + 100));
                Map.Entry<Long, Integer> expected = model.floorEntry(target);
                OffsetPosition actual = index.lookup(target);
                if (expected == null) {
                    assertThat(actual).isEqualTo(new OffsetPosition(BASE, 0));
                } else {
                    assertThat(actual).isEqualTo(new OffsetPosition(expected.getKey(), expected.getValue()));
                }
                long positionTarget = random.nextInt(position + 100);
                Map.Entry<Long, Integer> byPosition = model.entrySet().stream()
                        .filter(e -> e.getValue() <= positionTarget).reduce((a, b) -> b).orElse(null);
                OffsetPosition actualByPosition = index.lookupByPosition(positionTarget);
                assertThat(actualByPosition.position()).isEqualTo(byPosition == null ? 0 : byPosition.getValue());
            }
        }
    }

    @Test
    void truncateRemovesEntriesAtAndAboveTheOffsetAndZeroesThem() throws IOException {
        Path file = tmp.resolve("b.index");
        try (OffsetIndex index = new OffsetIndex(file, BASE, 800, true)) {
            for (int i = 1; i <= 10; i++) {
                index.append(BASE + 10L * i, 100 * i);
            }
            index.truncateTo(BASE + 50);
            assertThat(index.entries()).isEqualTo(4);
            assertThat(index.lastEntry()).isEqualTo(new OffsetPosition(BASE + 40, 400));
            index.truncateTo(BASE + 41);
            assertThat(index.entries()).isEqualTo(4);
            index.append(BASE + 45, 450);
            index.flush();
        }
        // Reopened as after a crash (untrimmed): the valid entries are exactly the increasing prefix.
        try (OffsetIndex reopened = new OffsetIndex(file, BASE, 800, true)) {
            assertThat(reopened.entries()).isEqualTo(5);
            assertThat(reopened.lastEntry()).isEqualTo(new OffsetPosition(BASE + 45, 450));
        }
    }

    @Test
    void whatFollowsTheValidEntriesAfterACrashIsCutOffSoThatItCannotComeBack() throws IOException {
        Path file = tmp.resolve("d.index");
        try (OffsetIndex index = new OffsetIndex(file, BASE, 1 << 20, true)) {
            for (int i = 1; i <= 3; i++) {
                index.append(BASE + 10L * i, 100 * i);
            }
        }
        // As a crash may leave it: a fourth entry that does not increase (torn), then increasing ones again.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(entry(5, 999), 24);
            ch.write(entry(40, 400), 32);
            ch.write(entry(50_000, 500_000), 512 << 10);
        }
        try (OffsetIndex reopened = new OffsetIndex(file, BASE, 1 << 20, true)) {
            assertThat(reopened.entries()).isEqualTo(3);
            reopened.append(BASE + 35, 350);
        }
        assertThat(Files.size(file)).isEqualTo(1 << 20);
        byte[] bytes = Files.readAllBytes(file);
        for (int i = 32; i < bytes.length; i++) {
            if (bytes[i] != 0) {
                throw new AssertionError("byte " + i + " after the entries is " + bytes[i]);
            }
        }
        // Had the old entries stayed, the one after the new fourth entry would be taken as a fifth.
        try (OffsetIndex again = new OffsetIndex(file, BASE, 1 << 20, true)) {
            assertThat(again.entries()).isEqualTo(4);
            assertThat(again.lastEntry()).isEqualTo(new OffsetPosition(BASE + 35, 350));
        }
    }

    private static ByteBuffer entry(int relativeOffset, int position) {
        return ByteBuffer.allocate(8).putInt(relativeOffset).putInt(position).flip();
    }

    @Test
    void trimmedIndexReopensReadOnlyWithItsEntries() throws IOException {
        Path file = tmp.resolve("c.index");
        try (OffsetIndex index = new OffsetIndex(file, BASE, 1 << 20, true)) {
            index.append(BASE, 0);
            index.append(BASE + 7, 4096);
            index.trimToValidSize();
        }
        assertThat(Files.size(file)).isEqualTo(16);
        try (OffsetIndex readOnly = new OffsetIndex(file, BASE, 1 << 20, false)) {
            assertThat(readOnly.entries()).isEqualTo(2);
            assertThat(readOnly.lookup(BASE + 100)).isEqualTo(new OffsetPosition(BASE + 7, 4096));
        }
    }

    @Test
    void refusesEntriesThatDoNotIncreaseAndKnowsWhenFull() {
        try (OffsetIndex index = new OffsetIndex(tmp.resolve("d.index"), BASE, 2 * OffsetIndex.ENTRY_SIZE, true)) {
            index.append(BASE + 5, 10);
            assertThatThrownBy(() -> index.append(BASE + 5, 20)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> index.append(BASE + 6, 10)).isInstanceOf(IllegalStateException.class);
            index.append(BASE + 6, 20);
            assertThat(index.isFull()).isTrue();
            assertThatThrownBy(() -> index.append(BASE + 7, 30)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("full");
        }
    }
}
