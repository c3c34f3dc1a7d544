package io.cobalt.node.healing;

import io.cobalt.node.storage.ChunkId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where a chunk's replicas belong: the first {@code replicationFactor} nodes in rendezvous (HRW)
 * order for the chunk id, with the gateway's hash ({@code io.cobalt.gateway.placement.RendezvousPlacement}:
 * SHA-256 of {@code nodeId | 0x00 | chunkId}, first 8 bytes as a signed long, highest first, ties by
 * node id). The two must agree; {@code ChunkPlacementTest} pins known answers.
 */
final class ChunkPlacement {
  private final List<String> nodeIds;
  private final int replicationFactor;

  ChunkPlacement(List<String> nodeIds, int replicationFactor) {
    this.nodeIds = List.copyOf(nodeIds);
    this.replicationFactor = replicationFactor;
  }

  List<String> nodeIds() {
    return nodeIds;
  }

  List<String> replicasOf(ChunkId id) {
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
    List<String> out = new ArrayList<>(replicationFactor);
    for (int i = 0; i < Math.min(replicationFactor, weighted.size()); i++) {
      out.add(weighted.get(i).nodeId());
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
