package io.cobalt.node.storage.rocksdb;

import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.ChunkStore;
import java.util.Optional;

/** Chunks in the {@code chunks} column family: key = the 32-byte chunk id, value = the ciphertext. */
public final class RocksChunkStore implements ChunkStore {
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
  public void put(ChunkId id, byte[] data) {
    storage.guarded("chunk write", db -> {
      db.put(storage.chunksCf(), storage.syncWrite(), id.bytes(), data);
      return null;
    });
  }
}
