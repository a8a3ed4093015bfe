package io.sluice.broker.state;

import io.sluice.broker.log.LogManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The broker's one RocksDB (ARCHITECTURE.md §8), at {@code <first log dir>/meta}, with a column family per
 * {@link StoreFamily}. Keys and values are opaque bytes; scans return keys in unsigned lexicographic order, so
 * big-endian encoded numbers sort as numbers.
 *
 * <p>Thread-safety: every method may be called from any thread (RocksDB is thread-safe). {@code lifecycle} keeps
 * {@link #close()} from freeing the native handles under a running call: calls hold its read lock, close takes the
 * write lock. Calls block on the disk, so an event loop never calls them directly.
 */
public final class BrokerStore implements AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    private final Path path;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final List<ColumnFamilyHandle> handles;
    private final Map<StoreFamily, ColumnFamilyHandle> families;
    private final RocksDB db;
    private final WriteOptions syncWrites;
    private final WriteOptions plainWrites;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed; // guarded by lifecycle

    private BrokerStore(Path path, DBOptions dbOptions, ColumnFamilyOptions cfOptions, List<ColumnFamilyHandle> handles,
                        RocksDB db) {
        this.path = path;
        this.dbOptions = dbOptions;
        this.cfOptions = cfOptions;
        this.handles = handles;
        this.db = db;
        this.families = new EnumMap<>(StoreFamily.class);
        // handles.get(0) is RocksDB's mandatory default family, unused; ours follow in enum order.
        for (StoreFamily f : StoreFamily.values()) {
            families.put(f, handles.get(f.ordinal() + 1));
        }
        this.syncWrites = new WriteOptions().setSync(true);
        this.plainWrites = new WriteOptions();
    }

    /** The store's directory inside the first of the broker's {@code log.dirs}. */
    public static Path dirIn(Path firstLogDir) {
        return firstLogDir.resolve(LogManager.META_DIR);
    }

    /**
     * Opens the store in {@code dir}, creating it and its column families when missing.
     *
     * @throws BrokerStoreException naming {@code dir} when the files are corrupt, another process (or another
     *                              open store in this one) holds the lock, or the directory cannot be created
     */
    public static BrokerStore open(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BrokerStoreException(dir, "creating the store directory", e);
        }
        DBOptions dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                // The state here is small; keep RocksDB's own info logs from piling up in the log dir.
                .setKeepLogFileNum(3)
                .setMaxTotalWalSize(64L << 20);
        ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
        for (StoreFamily f : StoreFamily.values()) {
            descriptors.add(new ColumnFamilyDescriptor(f.columnFamilyName().getBytes(), cfOptions));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            return new BrokerStore(dir, dbOptions, cfOptions, handles, db);
        } catch (RocksDBException | RuntimeException e) {
            handles.forEach(ColumnFamilyHandle::close);
            cfOptions.close();
            dbOptions.close();
            throw new BrokerStoreException(dir, "opening the broker store", e);
        }
    }

    public Path path() {
        return path;
    }

    /** The value stored under {@code key}, or null. */
    public byte[] get(StoreFamily family, byte[] key) {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            return db.get(families.get(family), key);
        } catch (RocksDBException e) {
            throw new BrokerStoreException(path, "reading from " + family.columnFamilyName(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Stores {@code value} under {@code key}; synced when the family's writes are. */
    public void put(StoreFamily family, byte[] key, byte[] value) {
        write(new StoreBatch().put(family, key, value));
    }

    public void delete(StoreFamily family, byte[] key) {
        write(new StoreBatch().delete(family, key));
    }

    /** Every entry whose key starts with {@code prefix} (all of the family for an empty one), in key order. */
    public List<KeyValue> scan(StoreFamily family, byte[] prefix) {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            List<KeyValue> out = new ArrayList<>();
            try (RocksIterator it = db.newIterator(families.get(family))) {
                for (it.seek(prefix); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    if (!startsWith(key, prefix)) {
                        break;
                    }
                    out.add(new KeyValue(key, it.value()));
                }
                it.status();
            }
            return out;
        } catch (RocksDBException e) {
            throw new BrokerStoreException(path, "scanning " + family.columnFamilyName(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Applies {@code batch} atomically, synced when any family it writes to is synced. */
    public void write(StoreBatch batch) {
        if (batch.isEmpty()) {
            return;
        }
        lifecycle.readLock().lock();
        try (WriteBatch wb = new WriteBatch()) {
            ensureOpen();
            for (StoreBatch.Op op : batch.ops()) {
                ColumnFamilyHandle cf = families.get(op.family());
                switch (op.kind()) {
                    case PUT -> wb.put(cf, op.key(), op.value());
                    case DELETE -> wb.delete(cf, op.key());
                    case DELETE_PREFIX -> deletePrefix(wb, op.family(), op.key());
                    default -> throw new IllegalStateException("unknown op " + op.kind());
                }
            }
            db.write(batch.needsSync() ? syncWrites : plainWrites, wb);
        } catch (RocksDBException e) {
            throw new BrokerStoreException(path, "writing " + batch.size() + " changes", e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void deletePrefix(WriteBatch wb, StoreFamily family, byte[] prefix) throws RocksDBException {
        ColumnFamilyHandle cf = families.get(family);
        byte[] end = successor(prefix);
        if (end != null) {
            wb.deleteRange(cf, prefix, end);
            return;
        }
        // A prefix of only 0xff bytes (or none) has no upper bound to give a range delete: delete key by key.
        for (KeyValue kv : scan(family, prefix)) {
            wb.delete(cf, kv.key());
        }
    }

    /** The smallest key greater than every key starting with {@code prefix}, or null when there is none. */
    static byte[] successor(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xff) {
                byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return null;
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(path + ": broker store is closed");
        }
    }

    /** Flushes nothing extra (synced families are already on the device) and frees every native handle. Idempotent. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            // Order matters to RocksDB: column family handles before the database, options last.
            handles.forEach(ColumnFamilyHandle::close);
            try {
                db.closeE();
            } catch (RocksDBException e) {
                throw new BrokerStoreException(path, "closing the broker store", e);
            } finally {
                syncWrites.close();
                plainWrites.close();
                cfOptions.close();
                dbOptions.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "BrokerStore(" + path + ")";
    }
}
