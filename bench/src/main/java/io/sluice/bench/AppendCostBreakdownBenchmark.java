package io.sluice.bench;

import io.sluice.proto.record.RecordBatch;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Diagnostic companion of {@link LogAppendBenchmark}: the per-batch costs that {@code logAppend} pays on top
 * of {@code rawMmapCopyPrefilled}'s copy, each measured alone on the same 16 KiB batch, so that a profile's
 * shares can be turned into nanoseconds.
 * <ul>
 * <li>{@link #crc32c}: {@code RecordBatch.computeChecksum()} (the JDK's CRC32C intrinsic over 16 KiB);
 * <li>{@link #validate}: {@code RecordBatch.at(...).validate()}, the producer-batch check
 *     {@code Log.appendAsLeader} runs: CRC32C plus the framing walk over every record;
 * <li>{@link #validateSmallRecords}: the same for a batch of 100-byte records;
 * <li>{@link #indexEntryChannelWrite}: one 8-byte offset-index entry written with {@code FileChannel.write}
 *     at the next slot of a 10 MiB index file opened like {@code MappedIndex} (a {@code RandomAccessFile}
 *     grown with {@code setLength}), which is how {@code MappedIndex.writeSlot} stores every entry: a
 *     {@code pwrite} per entry, and the log makes an entry for nearly every 16 KiB batch
 *     ({@code index.interval.bytes} 4096);
 * <li>{@link #indexEntryMappedStore}: the same entry stored with two {@code putInt} into a {@code READ_WRITE}
 *     mapping of a file whose blocks were allocated beforehand by writing zeros, the alternative that is
 *     as safe against a full disk (no hole to fault on) without a system call.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class AppendCostBreakdownBenchmark {
    static final int INDEX_BYTES = 10 << 20;

    private ByteBuffer batch;
    private ByteBuffer smallRecords;
    private Path dir;
    private RandomAccessFile channelIndex;
    private FileChannel channel;
    private RandomAccessFile mappedIndexFile;
    private MappedByteBuffer mappedIndex;
    private int channelSlot;
    private int mappedSlot;
    private int entry;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        batch = BenchSupport.batch16KiB();
        smallRecords = BenchSupport.batchOfSmallRecords();
        dir = BenchSupport.newScratchDir("breakdown");
        channelIndex = new RandomAccessFile(dir.resolve("channel.index").toFile(), "rw");
        channelIndex.setLength(INDEX_BYTES);
        channel = channelIndex.getChannel();
        mappedIndexFile = new RandomAccessFile(dir.resolve("mapped.index").toFile(), "rw");
        BenchSupport.zeroFill(mappedIndexFile.getChannel(), INDEX_BYTES);
        mappedIndex = mappedIndexFile.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, INDEX_BYTES);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        BenchSupport.unmap(mappedIndex);
        mappedIndexFile.close();
        channelIndex.close();
        BenchSupport.deleteRecursively(dir);
    }

    @Benchmark
    public long crc32c() {
        return RecordBatch.at(batch, 0).computeChecksum();
    }

    @Benchmark
    public int validate() {
        RecordBatch b = RecordBatch.at(batch, 0);
        b.validate();
        return b.recordCount();
    }

    /** The same check of a 16 KiB batch of 100-byte records (148 of them), where the framing walk dominates. */
    @Benchmark
    public int validateSmallRecords() {
        RecordBatch b = RecordBatch.at(smallRecords, 0);
        b.validate();
        return b.recordCount();
    }

    @Benchmark
    public int indexEntryChannelWrite() throws IOException {
        int position = channelSlot;
        channelSlot = position + 8 >= INDEX_BYTES ? 0 : position + 8;
        ByteBuffer e = ByteBuffer.allocate(8).putInt(++entry).putInt(position).flip();
        while (e.hasRemaining()) {
            channel.write(e, position + e.position());
        }
        return position;
    }

    @Benchmark
    public int indexEntryMappedStore() {
        int position = mappedSlot;
        mappedSlot = position + 8 >= INDEX_BYTES ? 0 : position + 8;
        mappedIndex.putInt(position, ++entry);
        mappedIndex.putInt(position + 4, position);
        return position;
    }
}
