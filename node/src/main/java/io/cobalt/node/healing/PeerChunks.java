package io.cobalt.node.healing;

import io.cobalt.node.storage.ChunkCopy;
import io.cobalt.node.storage.ChunkId;
import java.util.List;
import java.util.Optional;

/**
 * Chunk calls to another node, for healing. Blocking, each with a deadline; called only on heal
 * threads. Every method throws {@link PeerUnavailableException} when the call fails (node down,
 * deadline, refused), and {@link #get} also for a replica whose stored bytes are corrupt.
 */
public interface PeerChunks extends AutoCloseable {
  /** Which of {@code ids} (at most 1024) {@code node} holds, in order. */
  List<Boolean> has(String node, List<ChunkId> ids);

  /**
   * The chunk's (first-layer) bytes as {@code node} serves them and whether it keeps the chunk under
   * its infrastructure layer (ADR 0032); empty if the node does not hold it.
   */
  Optional<ChunkCopy> get(String node, ChunkId id);

  /** Stores the chunk on {@code node} (which verifies it), with the copy's infrastructure setting. */
  void put(String node, ChunkId id, ChunkCopy copy);

  @Override
  void close();

  /** A peer call that failed; the item stays queued. */
  final class PeerUnavailableException extends RuntimeException {
    public PeerUnavailableException(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }
}
