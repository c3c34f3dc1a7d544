package io.cobalt.node.healing;

import io.cobalt.node.storage.ChunkId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * Where a chunk's replicas belong: the first {@code replicationFactor} nodes in rendezvous (HRW)
 * order for the chunk id, with the gateway's hash ({@code io.cobalt.gateway.placement.RendezvousPlacement}:
 * SHA-256 of {@code nodeId | 0x00 | chunkId}, first 8 bytes as a signed long, highest first, ties by
 * node id), over the configured nodes minus those the placement map retired (ADR 0028). The two
 * must agree; {@code ChunkPlacementTest} pins known answers.
 */
final class ChunkPlacement {
  private final List<String> nodeIds;
  private final int replicationFactor;
  private volatile Supplier<List<String>> retired = List::of;

  ChunkPlacement(List<String> nodeIds, int replicationFactor) {
    this.nodeIds = List.copyOf(nodeIds);
    this.replicationFactor = replicationFactor;
  }

  List<String> nodeIds() {
    return nodeIds;
  }

  /**
   * Where the retired nodes come from (ADR 0028: the placement map's {@code retired_node_ids});
   * must answer from memory.
   */
  void followRetired(Supplier<List<String>> source) {
    this.retired = source;
  }

  /** The nodes retired from chunk placement now. */
  List<String> retired() {
    return retired.get();
  }

  boolean isRetired(String nodeId) {
    return retired.get().contains(nodeId);
  }

  /**
   * The chunk's placement targets: the first {@code replicationFactor} configured, unretired nodes
   * in rendezvous order of its id. A retired node's place goes to the next node in that order, so
   * only the chunks it held move.
   */
  List<String> replicasOf(ChunkId id) {
    List<String> out = new ArrayList<>(replicationFactor);
    List<String> excluded = retired.get();
    for (String node : rank(id)) {
      if (out.size() == replicationFactor) {
        break;
      }
      if (!excluded.contains(node)) {
        out.add(node);
      }
    }
    return out;
  }

  /** Every configured node (retired ones too) in rendezvous order of the chunk id. */
  List<String> rank(ChunkId id) {
    byte[] key = id.bytes();
    record Weighted(String nodeId, long weight) {}
    List<Weighted> weighted = new ArrayList<>(nodeIds.size());
    for (String node : nodeIds) {
      MessageDigest md = sha256();
      md.update(node.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(key);
      weighted.add(new Weighted(node, ByteBuffer.wrap(md.digest(), 0, 8).getLong()));
    }
    weighted.sort(Comparator.comparingLong(Weighted::weight).reversed().thenComparing(Weighted::nodeId));
    List<String> out = new ArrayList<>(weighted.size());
    for (Weighted w : weighted) {
      out.add(w.nodeId());
    }
    return out;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
