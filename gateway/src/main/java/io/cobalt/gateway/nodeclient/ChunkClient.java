package io.cobalt.gateway.nodeclient;

import java.util.concurrent.CompletableFuture;

/**
 * Chunk transfer to and from one node. Futures complete on a backend thread, never on the caller's
 * event loop; failures are {@link BackendUnavailableException} when retrying elsewhere may help.
 */
public interface ChunkClient {
  /** Stores {@code data} under {@code chunkId} (= SHA-256 of data) on {@code nodeId}; idempotent. */
  CompletableFuture<Void> put(String nodeId, byte[] chunkId, byte[] data);

  /** The chunk's bytes as stored on {@code nodeId}; fails if absent or if the replica is bad. */
  CompletableFuture<byte[]> get(String nodeId, byte[] chunkId);
}
