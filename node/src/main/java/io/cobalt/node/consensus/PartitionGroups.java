package io.cobalt.node.consensus;

import io.cobalt.node.ClusterPeer;
import io.cobalt.proto.node.v1.JoinNode;
import io.cobalt.proto.node.v1.PartitionVoters;
import io.cobalt.proto.node.v1.PlacementMap;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * every node) and its voters as the placement map says (ADR 0021). The initial map (version 1)
 * places each partition on the first {@code votersPerPartition} peers in rendezvous (HRW) order for
 * the key {@code "partition/" + p}. The hash is the gateway's
 * ({@code io.cobalt.gateway.placement.RendezvousPlacement}): SHA-256 of
 * {@code nodeId | 0x00 | key}, first 8 bytes as a signed long, highest first, ties by node id; so
 * the gateway tries a partition's voters in the same order. Later versions come from the meta
 * group ({@link #update}).
 *
 * <p>The meta group ({@link #META_GROUP_ID}) has the first 3 peers in rendezvous order of
 * {@code "meta"} as voters.
 */
final class PartitionGroups {
  static final RaftGroupId META_GROUP_ID =
      RaftGroupId.valueOf(UUID.nameUUIDFromBytes("cobalt/meta".getBytes(StandardCharsets.UTF_8)));
  static final int META_VOTERS = 3;

  /** Configured peers, then joined nodes (ADR 0029) as the map names them; guarded by {@code this}. */
  private final Map<String, ClusterPeer> peers = new LinkedHashMap<>();
  private final List<ClusterPeer> configured;
  private final List<RaftGroupId> ids;
  private final Map<RaftGroupId, Integer> partitionOf = new HashMap<>();
  private final PlacementMap initial;
  private final RaftGroup initialMeta;
  private volatile RaftGroup meta;
  private volatile PlacementMap map;

  PartitionGroups(List<ClusterPeer> peers, int partitions, int votersPerPartition) {
    peers.forEach(p -> this.peers.put(p.nodeId(), p));
    this.configured = List.copyOf(peers);
    List<RaftGroupId> all = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      RaftGroupId id = groupId(p);
      all.add(id);
      partitionOf.put(id, p);
    }
    this.ids = List.copyOf(all);
    this.initial = initialMap(peers, partitions, votersPerPartition);
    this.map = initial;
    List<RaftPeer> metaPeers = new ArrayList<>();
    for (ClusterPeer peer : rank(peers, "meta").subList(0, Math.min(META_VOTERS, peers.size()))) {
      metaPeers.add(raftPeer(peer));
    }
    this.initialMeta = RaftGroup.valueOf(META_GROUP_ID, metaPeers);
    this.meta = initialMeta;
  }

  /** The initial placement map (version 1): rendezvous order over {@code peers}. */
  static PlacementMap initialMap(List<ClusterPeer> peers, int partitions, int votersPerPartition) {
    PlacementMap.Builder b = PlacementMap.newBuilder().setVersion(1);
    for (int p = 0; p < partitions; p++) {
      PartitionVoters.Builder v = PartitionVoters.newBuilder();
      for (ClusterPeer peer : rank(peers, p).subList(0, Math.min(votersPerPartition, peers.size()))) {
        v.addNodeIds(peer.nodeId());
      }
      b.addPartitions(v);
    }
    return b.build();
  }

  static RaftGroupId groupId(int partition) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("cobalt/partition/" + partition).getBytes(StandardCharsets.UTF_8)));
  }

  PlacementMap initialMap() {
    return initial;
  }

  /** The placement map this node knows (at least the initial one). */
  PlacementMap map() {
    return map;
  }

  /**
   * Takes {@code newer} if its version is higher than the known one; returns the partitions whose
   * voters changed (empty if none or if the map was not newer).
   */
  synchronized List<Integer> update(PlacementMap newer) {
    PlacementMap old = map;
    if (newer.getVersion() <= old.getVersion() || newer.getPartitionsCount() != old.getPartitionsCount()) {
      return List.of();
    }
    for (JoinNode j : newer.getJoinedNodesList()) {
      addPeer(new ClusterPeer(j.getNodeId(), j.getRaftHost(), j.getRaftPort()));
    }
    map = newer;
    if (newer.getMetaVotersCount() > 0) {
      meta = RaftGroup.valueOf(META_GROUP_ID, raftPeers(newer.getMetaVotersList()));
    }
    List<Integer> changed = new ArrayList<>();
    for (int p = 0; p < old.getPartitionsCount(); p++) {
      if (!old.getPartitions(p).getNodeIdsList().equals(newer.getPartitions(p).getNodeIdsList())) {
        changed.add(p);
      }
    }
    return changed;
  }

  /** The meta group with its current voters (the map's, else the initial rendezvous choice). */
  RaftGroup meta() {
    return meta;
  }

  /** The meta group's voters at cluster start (rendezvous of {@code "meta"} over the configured peers). */
  RaftGroup initialMeta() {
    return initialMeta;
  }

  /** The meta group's current voters, node ids in order. */
  List<String> metaVoterIds() {
    return meta.getPeers().stream().map(peer -> peer.getId().toString()).toList();
  }

  /**
   * Adds a node that is not in the configuration (this node when it joins, or a joined node the
   * map names); a known id keeps its entry.
   */
  synchronized void addPeer(ClusterPeer peer) {
    peers.putIfAbsent(peer.nodeId(), peer);
  }

  /** The configured peers only (what the initial map was computed from). */
  List<ClusterPeer> configuredPeers() {
    return configured;
  }

  boolean isMetaVoter(RaftPeerId peer) {
    return meta.getPeer(peer) != null;
  }

  int partitions() {
    return ids.size();
  }

  RaftGroupId id(int partition) {
    return ids.get(partition);
  }

  /** The partition's group with its voters in the current map. */
  RaftGroup group(int partition) {
    return RaftGroup.valueOf(ids.get(partition), raftPeers(map.getPartitions(partition).getNodeIdsList()));
  }

  synchronized List<RaftPeer> raftPeers(List<String> nodeIds) {
    List<RaftPeer> voters = new ArrayList<>();
    for (String id : nodeIds) {
      ClusterPeer peer = peers.get(id);
      if (peer == null) {
        throw new IllegalStateException("the placement map names node " + id + ", which is neither a configured "
            + "peer nor a joined node");
      }
      voters.add(raftPeer(peer));
    }
    return voters;
  }

  RaftPeer raftPeer(String nodeId) {
    return raftPeers(List.of(nodeId)).get(0);
  }

  private static RaftPeer raftPeer(ClusterPeer peer) {
    return RaftPeer.newBuilder().setId(peer.nodeId()).setAddress(peer.raftAddress()).build();
  }

  /** The configured peers in configuration order, then the joined nodes in the order they joined. */
  synchronized List<ClusterPeer> peers() {
    return List.copyOf(peers.values());
  }

  OptionalInt partitionOf(RaftGroupId id) {
    Integer p = partitionOf.get(id);
    return p == null ? OptionalInt.empty() : OptionalInt.of(p);
  }

  boolean isVoter(int partition, RaftPeerId peer) {
    return map.getPartitions(partition).getNodeIdsList().contains(peer.toString());
  }

  static List<ClusterPeer> rank(List<ClusterPeer> peers, int partition) {
    return rank(peers, "partition/" + partition);
  }

  /** All peers in rendezvous order for {@code key}. */
  static List<ClusterPeer> rank(List<ClusterPeer> peers, String rendezvousKey) {
    byte[] key = rendezvousKey.getBytes(StandardCharsets.UTF_8);
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
