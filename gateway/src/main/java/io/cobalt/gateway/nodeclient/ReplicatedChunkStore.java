package io.cobalt.gateway.nodeclient;

import io.cobalt.gateway.placement.RendezvousPlacement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chunks across their replicas. Writes go to all {@code replicationFactor} replicas and succeed
 * once {@code writeQuorum} acknowledged (the laggards keep going; healing covers the rest); reads
 * try the replicas in order and fail over on any error, including a chunk that fails
 * authentication when opened. When a write leaves a replica out, or a read fails over, a replica
 * that holds the chunk is asked (fire-and-forget) to queue a repair of the others (ADR 0010).
 * Placement leaves out the nodes the placement map retired (ADR 0028): writes go to the current
 * targets; reads try them (and the recorded replicas) first, then every other node.
 */
public final class ReplicatedChunkStore {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicatedChunkStore.class);

  private final RendezvousPlacement placement;
  private final Supplier<List<String>> retired;
  private final Runnable placementSuspect;
  private final ChunkClient client;
  private final int writeQuorum;
  private final Set<String> infrastructureAccounts;

  /** Static placement: no node is ever retired. */
  public ReplicatedChunkStore(RendezvousPlacement placement, ChunkClient client, int writeQuorum) {
    this(placement, List::of, () -> {}, client, writeQuorum, Set.of());
  }

  /** Static placement; the given accounts' chunks go under the nodes' infrastructure layer (ADR 0032). */
  public ReplicatedChunkStore(RendezvousPlacement placement, ChunkClient client, int writeQuorum,
      Set<String> infrastructureAccounts) {
    this(placement, List::of, () -> {}, client, writeQuorum, infrastructureAccounts);
  }

  /** Placement that follows the placement map (ADR 0028), no account under infrastructure encryption. */
  public ReplicatedChunkStore(RendezvousPlacement placement, Supplier<List<String>> retired,
      Runnable placementSuspect, ChunkClient client, int writeQuorum) {
    this(placement, retired, placementSuspect, client, writeQuorum, Set.of());
  }

  /**
   * Placement that follows the placement map (ADR 0028).
   *
   * @param retired the nodes retired from chunk placement now (from memory, never blocking)
   * @param placementSuspect called (from any thread, must not block) when a chunk call to a node
   *     failed: the node may have been retired, so the map is worth refreshing
   * @param infrastructureAccounts the accounts that require infrastructure encryption: their chunks
   *     are written with the flag that makes the nodes seal them a second time (ADR 0032)
   */
  public ReplicatedChunkStore(RendezvousPlacement placement, Supplier<List<String>> retired,
      Runnable placementSuspect, ChunkClient client, int writeQuorum, Set<String> infrastructureAccounts) {
    this.placement = placement;
    this.retired = retired;
    this.placementSuspect = placementSuspect;
    this.client = client;
    this.writeQuorum = writeQuorum;
    this.infrastructureAccounts = Set.copyOf(infrastructureAccounts);
  }

  /** Whether {@code account}'s chunks are kept under the nodes' infrastructure layer. */
  public boolean requiresInfrastructureEncryption(String account) {
    return infrastructureAccounts.contains(account);
  }

  /** Writes a chunk of {@code account}, with the account's infrastructure-encryption setting. */
  public CompletableFuture<List<String>> write(String account, byte[] chunkId, byte[] data) {
    return write(chunkId, data, requiresInfrastructureEncryption(account));
  }

  /** A chunk write without infrastructure encryption. */
  public CompletableFuture<List<String>> write(byte[] chunkId, byte[] data) {
    return write(chunkId, data, false);
  }

  /** The chunk's current placement targets (retired nodes left out), in the order readers should try them. */
  public List<String> targetsOf(byte[] chunkId) {
    return placement.replicasOf(chunkId, retired.get());
  }

  /**
   * Writes the chunk to its replicas.
   *
   * @return the node ids that had acknowledged when the quorum was reached; fails with
   *     {@link BackendUnavailableException} when too many replicas failed for a quorum
   */
  public CompletableFuture<List<String>> write(byte[] chunkId, byte[] data, boolean infrastructureEncryption) {
    List<String> replicas = targetsOf(chunkId);
    CompletableFuture<List<String>> result = new CompletableFuture<>();
    List<String> acked = new ArrayList<>(replicas.size());
    List<String> missed = new ArrayList<>();
    int[] failed = {0};
    int tolerable = replicas.size() - writeQuorum;
    for (String node : replicas) {
      CompletableFuture<Void> put;
      try {
        put = client.put(node, chunkId, data, infrastructureEncryption);
      } catch (RuntimeException e) {
        put = CompletableFuture.failedFuture(e);
      }
      put.whenComplete(
          (ok, error) -> {
            synchronized (acked) {
              if (error == null) {
                acked.add(node);
                if (acked.size() == writeQuorum) {
                  result.complete(Collections.unmodifiableList(new ArrayList<>(acked)));
                }
              } else {
                failed[0]++;
                missed.add(node);
                LOG.warn("chunk write to node {} failed: {}", node, describe(error));
                placementSuspect.run();
                if (failed[0] == tolerable + 1) {
                  result.completeExceptionally(
                      new BackendUnavailableException(
                          "chunk write reached " + acked.size() + " of " + writeQuorum + " replicas"));
                }
              }
              if (acked.size() + failed[0] == replicas.size() && !missed.isEmpty() && !acked.isEmpty()) {
                // Acknowledged (or not) with a replica missing: a replica that has it queues the repair.
                client.queueRepair(acked.get(0), chunkId, List.copyOf(missed));
              }
            }
          });
    }
    return result;
  }

  /**
   * Reads a chunk from the first replica that returns bytes which {@code open} accepts.
   *
   * @param replicas the replicas recorded in the manifest (placement's order is used if empty)
   * @param open turns the chunk's bytes into the result, failing for a chunk that does not
   *     authenticate (then the next replica is tried)
   */
  public <T> CompletableFuture<T> read(
      List<String> replicas, byte[] chunkId, Function<byte[], CompletionStage<T>> open) {
    List<String> retiredNow = retired.get();
    List<String> targets = placement.replicasOf(chunkId, retiredNow);
    CompletableFuture<T> result = new CompletableFuture<>();
    attempt(readOrder(replicas, targets, retiredNow, placement.chunkRank(chunkId)), 0, chunkId, open, targets, result,
        null, new ArrayList<>());
    return result;
  }

  /**
   * The order a read tries nodes in (ADR 0028): the recorded replicas that are not retired, the
   * chunk's other current targets, the recorded replicas that are retired (a retired node that is
   * still up holds its copies), then every other node in rendezvous order (a chunk may sit on a
   * former target after placement changed twice).
   */
  static List<String> readOrder(List<String> recorded, List<String> targets, List<String> retired,
      List<String> rank) {
    List<String> order = new ArrayList<>(rank.size());
    for (String n : recorded) {
      if (!retired.contains(n) && !order.contains(n)) {
        order.add(n);
      }
    }
    for (String n : targets) {
      if (!order.contains(n)) {
        order.add(n);
      }
    }
    for (String n : recorded) {
      if (!order.contains(n)) {
        order.add(n);
      }
    }
    for (String n : rank) {
      if (!order.contains(n)) {
        order.add(n);
      }
    }
    return order;
  }

  private <T> void attempt(
      List<String> order,
      int i,
      byte[] chunkId,
      Function<byte[], CompletionStage<T>> open,
      List<String> targets,
      CompletableFuture<T> result,
      Throwable last,
      List<String> failedOver) {
    if (i >= order.size()) {
      result.completeExceptionally(
          last instanceof ChunkIntegrityException
              ? last
              : new BackendUnavailableException("no replica could serve the chunk", last));
      return;
    }
    String node = order.get(i);
    CompletableFuture<byte[]> get;
    try {
      get = client.get(node, chunkId);
    } catch (RuntimeException e) {
      get = CompletableFuture.failedFuture(e);
    }
    get.thenCompose(open)
        .whenComplete(
            (value, error) -> {
              if (error == null) {
                result.complete(value);
                // Read failed over (bad bytes, absent, node down): the replica that served queues
                // repairs of the current targets among the nodes that failed (never of a node
                // outside the placement, which would only add a copy).
                List<String> repair = failedOver.stream().filter(targets::contains).toList();
                if (!repair.isEmpty()) {
                  client.queueRepair(node, chunkId, repair);
                }
              } else {
                Throwable c = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                // Remember an authentication failure: if no replica serves, that is what happened.
                Throwable cause = last instanceof ChunkIntegrityException && !(c instanceof ChunkIntegrityException) ? last : c;
                LOG.warn("chunk read from node {} failed, trying the next replica: {}", node, describe(cause));
                failedOver.add(node);
                if (!(cause instanceof ChunkIntegrityException)) {
                  placementSuspect.run();
                }
                attempt(order, i + 1, chunkId, open, targets, result, cause, failedOver);
              }
            });
  }

  private static String describe(Throwable t) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    return c.getClass().getSimpleName() + ": " + c.getMessage();
  }
}
