package io.cobalt.gateway;

import io.cobalt.gateway.nodeclient.BackendUnavailableException;
import io.cobalt.gateway.nodeclient.ChunkClient;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Chunk stores of several nodes in memory, as strict as a node: a chunk whose bytes do not hash to
 * its id is refused; a stored replica that no longer hashes to its id is a DATA_LOSS answer. Nodes
 * can be taken down, and replicas corrupted.
 */
final class FakeChunkClient implements ChunkClient {
  private final Executor executor;
  final Map<String, Map<String, byte[]>> stores = new ConcurrentHashMap<>();
  /** Nodes that skip the content-address check on read and serve whatever they hold (compromised nodes). */
  final java.util.Set<String> lying = ConcurrentHashMap.newKeySet();
  final Set<String> down = ConcurrentHashMap.newKeySet();
  /** Repair requests received: "askedNode -> target1,target2" (ADR 0010). */
  final java.util.List<String> repairRequests = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** While set, puts wait (without holding a thread) until it completes: writes held in flight. */
  volatile CompletableFuture<Void> putGate;
  /** Reads asked for so far. */
  final java.util.concurrent.atomic.AtomicInteger gets = new java.util.concurrent.atomic.AtomicInteger();

  FakeChunkClient(Executor executor) {
    this.executor = executor;
  }

  @Override
  public CompletableFuture<Void> put(String nodeId, byte[] chunkId, byte[] data) {
    byte[] copy = data.clone();
    CompletableFuture<Void> gate = putGate;
    return (gate == null ? CompletableFuture.<Void>completedFuture(null) : gate).thenApplyAsync(
        v -> {
          if (down.contains(nodeId)) {
            throw new BackendUnavailableException(nodeId + " is down");
          }
          if (!MessageDigest.isEqual(sha256(copy), chunkId)) {
            throw new IllegalArgumentException("INVALID_ARGUMENT: sha256(data) != chunk_id");
          }
          stores.computeIfAbsent(nodeId, n -> new ConcurrentHashMap<>()).putIfAbsent(hex(chunkId), copy);
          return null;
        },
        executor);
  }

  @Override
  public CompletableFuture<byte[]> get(String nodeId, byte[] chunkId) {
    gets.incrementAndGet();
    return CompletableFuture.supplyAsync(
        () -> {
          if (down.contains(nodeId)) {
            throw new BackendUnavailableException(nodeId + " is down");
          }
          byte[] data = stores.getOrDefault(nodeId, Map.of()).get(hex(chunkId));
          if (data == null) {
            throw new IllegalStateException("NOT_FOUND");
          }
          if (!lying.contains(nodeId) && !MessageDigest.isEqual(sha256(data), chunkId)) {
            throw new IllegalStateException("DATA_LOSS");
          }
          return data.clone();
        },
        executor);
  }

  @Override
  public CompletableFuture<Void> queueRepair(String nodeId, byte[] chunkId, java.util.List<String> targets) {
    repairRequests.add(nodeId + " -> " + String.join(",", targets));
    return CompletableFuture.completedFuture(null);
  }

  /** Replaces a stored replica by other bytes stored under the same id (a lying node). */
  void replace(String nodeId, byte[] chunkId, byte[] bytes) {
    stores.get(nodeId).put(hex(chunkId), bytes);
  }

  int chunkCount(String nodeId) {
    return stores.getOrDefault(nodeId, Map.of()).size();
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
