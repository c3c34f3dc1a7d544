package io.cobalt.node.storage;

import java.nio.ByteBuffer;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's chunk rules on top of a {@link ChunkStore}: a chunk is stored only under the SHA-256 of
 * its bytes and only up to {@link #MAX_CHUNK_BYTES}; every read re-hashes, so a bad replica is
 * reported rather than served. Writes are idempotent; a write over a corrupt replica repairs it.
 */
public final class VerifiedChunkStore {
  /** 4 MiB of payload plus room for the chunk format's header and tags. */
  public static final int MAX_CHUNK_BYTES = 4 * 1024 * 1024 + 64 * 1024;

  private static final Logger log = LoggerFactory.getLogger(VerifiedChunkStore.class);

  private final ChunkStore store;

  public VerifiedChunkStore(ChunkStore store) {
    this.store = store;
  }

  public enum PutOutcome {
    STORED,
    ALREADY_PRESENT
  }

  /**
   * Stores {@code data} durably under {@code id}.
   *
   * @throws ChunkRejectedException if {@code data} is too large or does not hash to {@code id}
   */
  public PutOutcome put(ChunkId id, ByteBuffer data) {
    if (data.remaining() > MAX_CHUNK_BYTES) {
      throw new ChunkRejectedException(
          "chunk of " + data.remaining() + " bytes exceeds the limit of " + MAX_CHUNK_BYTES + " bytes");
    }
    if (!id.identifies(data)) {
      throw new ChunkRejectedException("chunk data does not hash to its id " + id.hex());
    }
    Optional<byte[]> existing = store.get(id);
    if (existing.isPresent()) {
      if (id.identifies(existing.get())) {
        return PutOutcome.ALREADY_PRESENT;
      }
      log.warn("replacing corrupt stored chunk {} with a verified copy", id.hex());
    }
    byte[] bytes = new byte[data.remaining()];
    data.duplicate().get(bytes);
    store.put(id, bytes);
    return PutOutcome.STORED;
  }

  /**
   * The chunk's bytes, verified against its id; empty if this node does not hold it.
   *
   * @throws CorruptChunkException if the stored bytes no longer hash to {@code id}
   */
  public Optional<byte[]> get(ChunkId id) {
    Optional<byte[]> stored = store.get(id);
    if (stored.isPresent() && !id.identifies(stored.get())) {
      throw new CorruptChunkException(id);
    }
    return stored;
  }
}
