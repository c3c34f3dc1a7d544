package io.cobalt.node.storage;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Persistence SPI for chunk bytes, keyed by {@link ChunkId}, with each chunk's node-local
 * last-written time (chunk GC, ADR 0010). Implementations only store and load; the content-address
 * checks are {@link VerifiedChunkStore}'s, so a test can plant bad bytes here. All methods block
 * and must not be called on an event loop.
 *
 * @throws StorageException from any method when the underlying store fails or is closed
 */
public interface ChunkStore {
  /** The stored bytes, as they are on disk (not verified). */
  Optional<byte[]> get(ChunkId id);

  /**
   * Stores (or overwrites) {@code data} under {@code id} with last-written time
   * {@code writtenMillis}, atomically, and returns once both are durable (synced).
   */
  void put(ChunkId id, byte[] data, long writtenMillis);

  /** Whether a chunk is stored under {@code id} (by key; the bytes are not read). */
  boolean contains(ChunkId id);

  /** Sets the chunk's last-written time (a repeated write of a chunk that is already here). */
  void touch(ChunkId id, long writtenMillis);

  /** The chunk's last-written time; empty if none is recorded (absent, or stored before times were). */
  OptionalLong writtenMillis(ChunkId id);

  /** Removes the chunk and its time; absent is fine. Durable (synced) on return. */
  void delete(ChunkId id);

  /** Up to {@code limit} stored chunk ids greater than {@code after} (null: from the first), in byte order. */
  List<ChunkId> idsAfter(ChunkId after, int limit);

  /** The store's estimate of how many chunks it holds (cheap; may be off). */
  long estimatedCount();
}
