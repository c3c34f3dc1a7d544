package io.cobalt.node.storage.rocksdb;

import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.ChunkStore;
import io.cobalt.node.storage.StorageException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * Chunks in the {@code chunks} column family (key = the 32-byte chunk id, value = the ciphertext);
 * each chunk's last-written time in the {@code heal} column family under {@code 'W' | chunk id}
 * (uint64 big-endian epoch millis), written in the same batch.
 */
public final class RocksChunkStore implements ChunkStore {
  static final byte WRITTEN = 'W';

  private final RocksStorage storage;

  RocksChunkStore(RocksStorage storage) {
    this.storage = storage;
  }

  @Override
  public Optional<byte[]> get(ChunkId id) {
    return Optional.ofNullable(
        storage.guarded("chunk read", db -> db.get(storage.chunksCf(), storage.read(), id.bytes())));
  }

  @Override
  public void put(ChunkId id, byte[] data, long writtenMillis) {
    storage.guarded("chunk write", db -> {
      try (WriteBatch batch = new WriteBatch()) {
        batch.put(storage.chunksCf(), id.bytes(), data);
        batch.put(storage.healCf(), writtenKey(id), millis(writtenMillis));
        db.write(storage.syncWrite(), batch);
      }
      return null;
    });
  }

  @Override
  public boolean contains(ChunkId id) {
    return storage.guarded("chunk lookup", db -> db.keyExists(storage.chunksCf(), storage.read(), id.bytes()));
  }

  @Override
  public void touch(ChunkId id, long writtenMillis) {
    storage.guarded("chunk time write", db -> {
      db.put(storage.healCf(), storage.syncWrite(), writtenKey(id), millis(writtenMillis));
      return null;
    });
  }

  @Override
  public OptionalLong writtenMillis(ChunkId id) {
    byte[] v = storage.guarded("chunk time read", db -> db.get(storage.healCf(), storage.read(), writtenKey(id)));
    if (v == null) {
      return OptionalLong.empty();
    }
    if (v.length != Long.BYTES) {
      throw new StorageException("corrupt chunk time of " + id.hex());
    }
    return OptionalLong.of(ByteBuffer.wrap(v).getLong());
  }

  @Override
  public void delete(ChunkId id) {
    storage.guarded("chunk delete", db -> {
      try (WriteBatch batch = new WriteBatch()) {
        batch.delete(storage.chunksCf(), id.bytes());
        batch.delete(storage.healCf(), writtenKey(id));
        db.write(storage.syncWrite(), batch);
      }
      return null;
    });
  }

  @Override
  public List<ChunkId> idsAfter(ChunkId after, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive");
    }
    return storage.guarded("chunk id scan", db -> {
      List<ChunkId> out = new ArrayList<>();
      try (RocksIterator it = db.newIterator(storage.chunksCf(), storage.read())) {
        if (after == null) {
          it.seekToFirst();
        } else {
          it.seek(after.bytes());
          if (it.isValid() && java.util.Arrays.equals(it.key(), after.bytes())) {
            it.next();
          }
        }
        for (; it.isValid() && out.size() < limit; it.next()) {
          byte[] key = it.key();
          if (key.length == ChunkId.LENGTH) {
            out.add(ChunkId.of(key));
          }
        }
        it.status();
      }
      return out;
    });
  }

  @Override
  public long estimatedCount() {
    return storage.guarded("chunk count estimate",
        db -> db.getLongProperty(storage.chunksCf(), "rocksdb.estimate-num-keys"));
  }

  /**
   * Test fault injection: flips one bit of the stored bytes of {@code id} in place (the chunk's
   * name stays, so it no longer hashes to it), as a bad disk sector would. Returns false if the
   * chunk is absent. Never called by production code.
   */
  public static boolean corruptStoredChunkForTest(RocksStorage storage, ChunkId id) {
    return storage.guarded("chunk corruption (test)", db -> {
      byte[] v = db.get(storage.chunksCf(), storage.read(), id.bytes());
      if (v == null || v.length == 0) {
        return false;
      }
      v[v.length / 2] ^= 0x01;
      db.put(storage.chunksCf(), storage.syncWrite(), id.bytes(), v);
      return true;
    });
  }

  private static byte[] writtenKey(ChunkId id) {
    return MetaKeys.concat(new byte[] {WRITTEN}, id.bytes());
  }

  private static byte[] millis(long m) {
    return ByteBuffer.allocate(Long.BYTES).putLong(m).array();
  }
}
