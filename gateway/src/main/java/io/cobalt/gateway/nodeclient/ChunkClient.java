package io.cobalt.gateway.nodeclient;

import java.util.concurrent.CompletableFuture;

/**
 * Chunk transfer to and from one node. Futures complete on a backend thread, never on the caller's
 * event loop; failures are {@link BackendUnavailableException} when retrying elsewhere may help.
 */
public interface ChunkClient {
  /** Stores {@code data} under {@code chunkId} (= SHA-256 of data) on {@code nodeId}; idempotent. */
  CompletableFuture<Void> put(String nodeId, byte[] chunkId, byte[] data);

  /**
   * As {@link #put(String, byte[], byte[])}; with {@code infrastructureEncryption} the node keeps the
   * chunk sealed a second time under its infrastructure key (ADR 0032). Clients that cannot ask for
   * it (test fakes) ignore the flag.
   */
  default CompletableFuture<Void> put(String nodeId, byte[] chunkId, byte[] data, boolean infrastructureEncryption) {
    return put(nodeId, chunkId, data);
  }

  /** The chunk's bytes as stored on {@code nodeId}; fails if absent or if the replica is bad. */
  CompletableFuture<byte[]> get(String nodeId, byte[] chunkId);

  /**
   * Asks {@code nodeId} (a replica that holds a good copy) to queue a repair: the chunk should also
   * be on {@code targets}. Fire-and-forget: the future completes either way and carries no
   * outcome (anti-entropy finds what a lost request missed). ADR 0010.
   */
  default CompletableFuture<Void> queueRepair(String nodeId, byte[] chunkId, java.util.List<String> targets) {
    return CompletableFuture.completedFuture(null);
  }
}
