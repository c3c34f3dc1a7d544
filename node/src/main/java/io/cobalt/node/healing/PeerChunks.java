package io.cobalt.node.healing;

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

  /** The chunk's bytes as {@code node} serves them; empty if the node does not hold it. */
  Optional<byte[]> get(String node, ChunkId id);

  /** Stores the chunk on {@code node} (which verifies it). */
  void put(String node, ChunkId id, byte[] data);

  @Override
  void close();

  /** A peer call that failed; the item stays queued. */
  final class PeerUnavailableException extends RuntimeException {
    public PeerUnavailableException(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }
}
