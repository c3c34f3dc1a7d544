package io.cobalt.node.storage;

/** The bytes stored under a chunk id no longer hash to it: this replica is bad and must be repaired. */
public final class CorruptChunkException extends RuntimeException {
  private final ChunkId id;

  public CorruptChunkException(ChunkId id) {
    super("stored chunk " + id.hex() + " does not match its id", null, false, false);
    this.id = id;
  }

  public ChunkId id() {
    return id;
  }
}
