package io.cobalt.node.consensus;

import io.cobalt.node.ClusterPeer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * The Raft group of each partition: its id (a name-based UUID of the partition number, the same on
 * every node) and its voters, the first {@code votersPerPartition} peers in rendezvous (HRW) order
 * for the key {@code "partition/" + p}. The hash is the gateway's
 * ({@code io.cobalt.gateway.placement.RendezvousPlacement}): SHA-256 of
 * {@code nodeId | 0x00 | key}, first 8 bytes as a signed long, highest first, ties by node id; so
 * the gateway tries a partition's voters in the same order. With 3 nodes every node is a voter of
 * every partition. The choice is static: a versioned placement map in a meta group (DESIGN §6.2)
 * replaces it when membership changes arrive.
 */
final class PartitionGroups {
  private final List<RaftGroup> groups;
  private final Map<RaftGroupId, Integer> partitionOf = new HashMap<>();

  PartitionGroups(List<ClusterPeer> peers, int partitions, int votersPerPartition) {
    List<RaftGroup> all = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      List<RaftPeer> voters = new ArrayList<>();
      for (ClusterPeer peer : rank(peers, p).subList(0, Math.min(votersPerPartition, peers.size()))) {
        voters.add(RaftPeer.newBuilder().setId(peer.nodeId()).setAddress(peer.raftAddress()).build());
      }
      RaftGroupId id = groupId(p);
      all.add(RaftGroup.valueOf(id, voters));
      partitionOf.put(id, p);
    }
    this.groups = List.copyOf(all);
  }

  static RaftGroupId groupId(int partition) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("cobalt/partition/" + partition).getBytes(StandardCharsets.UTF_8)));
  }

  int partitions() {
    return groups.size();
  }

  RaftGroup group(int partition) {
    return groups.get(partition);
  }

  OptionalInt partitionOf(RaftGroupId id) {
    Integer p = partitionOf.get(id);
    return p == null ? OptionalInt.empty() : OptionalInt.of(p);
  }

  boolean isVoter(int partition, RaftPeerId peer) {
    return group(partition).getPeer(peer) != null;
  }

  /** All peers in rendezvous order for {@code partition}. */
  static List<ClusterPeer> rank(List<ClusterPeer> peers, int partition) {
    byte[] key = ("partition/" + partition).getBytes(StandardCharsets.UTF_8);
    record Weighted(ClusterPeer peer, long weight) {}
    List<Weighted> weighted = new ArrayList<>(peers.size());
    for (ClusterPeer peer : peers) {
      MessageDigest md = sha256();
      md.update(peer.nodeId().getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(key);
      weighted.add(new Weighted(peer, ByteBuffer.wrap(md.digest(), 0, 8).getLong()));
    }
    weighted.sort(Comparator.comparingLong(Weighted::weight).reversed()
        .thenComparing(w -> w.peer().nodeId()));
    List<ClusterPeer> out = new ArrayList<>(weighted.size());
    for (Weighted w : weighted) {
      out.add(w.peer());
    }
    return out;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
    }
  }
}
