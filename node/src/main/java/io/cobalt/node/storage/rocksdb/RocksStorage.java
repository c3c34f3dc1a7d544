package io.cobalt.node.storage.rocksdb;

import io.cobalt.node.storage.ChunkStore;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.RepairQueueStore;
import io.cobalt.node.storage.StorageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's one RocksDB, with column families {@code chunks} (integrated BlobDB) and {@code meta}
 * (partition state). Hands out the {@link ChunkStore} and {@link MetadataStore} views. Closing waits
 * for operations in progress and makes later ones fail with {@link StorageException}, never with a
 * native crash.
 */
public final class RocksStorage implements AutoCloseable {
  static final String CHUNKS_CF = "chunks";
  static final String META_CF = "meta";
  static final String HEAL_CF = "heal";

  private static final Logger log = LoggerFactory.getLogger(RocksStorage.class);

  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle chunksCf;
  private final ColumnFamilyHandle metaCf;
  private final ColumnFamilyHandle healCf;
  private final List<AutoCloseable> options;
  private final WriteOptions syncWrite;
  private final WriteOptions unsyncedWrite;
  private final ReadOptions read;
  private final ReadWriteLock gate = new ReentrantReadWriteLock();
  private boolean closed;
  private final RocksChunkStore chunkStore;
  private final RocksMetadataStore metadataStore;
  private final RocksMetadataStore metadataBehindLog;
  private final RocksRepairQueueStore repairQueue;

  private RocksStorage(Path dir, RocksDB db, List<ColumnFamilyHandle> handles, List<AutoCloseable> options) {
    this.dir = dir;
    this.db = db;
    this.handles = handles;
    this.chunksCf = handles.get(1);
    this.metaCf = handles.get(2);
    this.healCf = handles.get(3);
    this.options = options;
    this.syncWrite = new WriteOptions().setSync(true);
    this.unsyncedWrite = new WriteOptions().setSync(false);
    this.read = new ReadOptions();
    this.chunkStore = new RocksChunkStore(this);
    this.metadataStore = new RocksMetadataStore(this, syncWrite);
    this.metadataBehindLog = new RocksMetadataStore(this, unsyncedWrite);
    this.repairQueue = new RocksRepairQueueStore(this);
  }

  /** Opens (creating if missing) the database in {@code dir}. Only one process may hold it open. */
  public static RocksStorage open(Path dir, RocksStorageConfig config) throws IOException {
    Files.createDirectories(dir);
    List<AutoCloseable> options = new ArrayList<>();
    DBOptions dbOptions = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setMaxBackgroundJobs(config.maxBackgroundJobs())
        .setKeepLogFileNum(3)
        .setMaxLogFileSize(16L * 1024 * 1024);
    options.add(dbOptions);
    ColumnFamilyOptions defaultOptions = new ColumnFamilyOptions();
    options.add(defaultOptions);
    // Chunks are ciphertext: compression cannot help, and large values belong in blob files so
    // compaction does not rewrite them.
    ColumnFamilyOptions chunkOptions = new ColumnFamilyOptions()
        .setEnableBlobFiles(true)
        .setMinBlobSize(config.chunkMinBlobSizeBytes())
        .setBlobFileSize(config.chunkBlobFileSizeBytes())
        .setBlobCompressionType(CompressionType.NO_COMPRESSION)
        .setEnableBlobGarbageCollection(true)
        .setCompressionType(CompressionType.NO_COMPRESSION)
        .setWriteBufferSize(config.writeBufferSizeBytes());
    options.add(chunkOptions);
    ColumnFamilyOptions metaOptions = new ColumnFamilyOptions()
        .setCompressionType(CompressionType.LZ4_COMPRESSION)
        .setWriteBufferSize(config.writeBufferSizeBytes());
    options.add(metaOptions);
    // Healing bookkeeping (ADR 0010): chunk write times and the repair queue; small values.
    ColumnFamilyOptions healOptions = new ColumnFamilyOptions()
        .setCompressionType(CompressionType.LZ4_COMPRESSION)
        .setWriteBufferSize(config.writeBufferSizeBytes());
    options.add(healOptions);
    List<ColumnFamilyDescriptor> descriptors = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, defaultOptions),
        new ColumnFamilyDescriptor(CHUNKS_CF.getBytes(StandardCharsets.UTF_8), chunkOptions),
        new ColumnFamilyDescriptor(META_CF.getBytes(StandardCharsets.UTF_8), metaOptions),
        new ColumnFamilyDescriptor(HEAL_CF.getBytes(StandardCharsets.UTF_8), healOptions));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      log.info("opened RocksDB at {}", dir);
      return new RocksStorage(dir, db, handles, options);
    } catch (RocksDBException e) {
      closeAll(options);
      throw new IOException("cannot open RocksDB at " + dir + ": " + e.getMessage(), e);
    }
  }

  public ChunkStore chunks() {
    return chunkStore;
  }

  /** The node's durable repair queue (ADR 0010). */
  public RepairQueueStore repairQueue() {
    return repairQueue;
  }

  /** Partition state whose every commit is fsynced: for a node where the state is the only durable record. */
  public MetadataStore metadata() {
    return metadataStore;
  }

  /**
   * Partition state for a node whose commands are first made durable in a replicated log (Raft).
   * A commit goes to RocksDB's WAL without fsync, so a write costs one fsync (the log's), not two.
   * A killed process loses nothing (the WAL is in the OS page cache); a lost OS page cache can drop
   * a tail of commits, but atomically with their applied index, so the state is always a prefix of
   * the log and replaying the log from the stored applied index restores it. That requires the log
   * to keep every entry after the applied index on disk (no purge without a synced checkpoint).
   */
  public MetadataStore metadataBehindLog() {
    return metadataBehindLog;
  }

  /** Waits for operations in progress, then closes the database. Idempotent. */
  @Override
  public void close() {
    gate.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (ColumnFamilyHandle h : handles) {
        h.close();
      }
      try {
        db.closeE();
      } catch (RocksDBException e) {
        log.warn("closing RocksDB at {} reported: {}", dir, e.getMessage());
      }
      syncWrite.close();
      unsyncedWrite.close();
      read.close();
      closeAll(options);
      log.info("closed RocksDB at {}", dir);
    } finally {
      gate.writeLock().unlock();
    }
  }

  /** An operation on the open database. */
  @FunctionalInterface
  interface RocksCall<T> {
    T call(RocksDB db) throws RocksDBException;
  }

  /** Runs {@code call} while the database is guaranteed open; maps engine errors to {@link StorageException}. */
  <T> T guarded(String what, RocksCall<T> call) {
    gate.readLock().lock();
    try {
      if (closed) {
        throw new StorageException("storage at " + dir + " is closed");
      }
      return call.call(db);
    } catch (RocksDBException e) {
      throw new StorageException(what + " failed: " + e.getMessage(), e);
    } finally {
      gate.readLock().unlock();
    }
  }

  /** Flushes the memtables to SST and blob files (tests use it to see the on-disk layout). */
  void flush() {
    guarded("flush", db -> {
      try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
        db.flush(flush, List.of(chunksCf, metaCf, healCf));
      }
      return null;
    });
  }

  ColumnFamilyHandle chunksCf() {
    return chunksCf;
  }

  ColumnFamilyHandle healCf() {
    return healCf;
  }

  ColumnFamilyHandle metaCf() {
    return metaCf;
  }

  WriteOptions syncWrite() {
    return syncWrite;
  }

  ReadOptions read() {
    return read;
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        log.warn("closing a RocksDB option object failed: {}", e.toString());
      }
    }
  }
}
