package io.cobalt.node.storage;

import java.util.Optional;

/**
 * Persistence SPI for chunk bytes, keyed by {@link ChunkId}. Implementations only store and load;
 * the content-address checks are {@link VerifiedChunkStore}'s, so a test can plant bad bytes here.
 * All methods block and must not be called on an event loop.
 *
 * @throws StorageException from any method when the underlying store fails or is closed
 */
public interface ChunkStore {
  /** The stored bytes, as they are on disk (not verified). */
  Optional<byte[]> get(ChunkId id);

  /** Stores (or overwrites) {@code data} under {@code id} and returns once it is durable (synced). */
  void put(ChunkId id, byte[] data);
}
