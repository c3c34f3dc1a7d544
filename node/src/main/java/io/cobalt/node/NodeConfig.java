package io.cobalt.node;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.consensus.PlacementConfig;
import io.cobalt.node.healing.HealingConfig;
import io.cobalt.node.membership.MembershipConfig;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One storage node.
 *
 * @param nodeId the node's name in the cluster (thread names, logs, replica lists, Raft peer id)
 * @param dataDir where the node keeps its RocksDB ({@code <dataDir>/rocksdb}) and Raft logs
 *     ({@code <dataDir>/ratis})
 * @param bindHost address the gRPC server (and the Raft server) listen on
 * @param port gRPC port; 0 picks any free port (see {@link NodeServer#port()})
 * @param partitions number of metadata partitions (fixed for the life of the cluster)
 * @param tls this node's certificate and the cluster CA; clients and Raft peers must present a
 *     certificate from it
 * @param raftPort the node's Raft port: must be fixed (not 0), because peers know it in advance;
 *     0 only without peers
 * @param peers every node of the cluster as configured, this one included. Empty: a standalone node
 *     whose partitions are ordered by a local log without replication (single-node tests and tools).
 *     A node missing from the list (with a Raft port) joins the cluster whose configured nodes are
 *     {@code peers} (ADR 0029): it registers itself in the placement map and is given partitions
 * @param membership how the node joins the cluster's membership (Hazelcast); null, or not
 *     {@link MembershipConfig#enabled() enabled}: the node joins none
 * @param healing chunk healing (repair queue, anti-entropy, scrubber, GC; ADR 0010); off unless
 *     it knows the nodes' gRPC endpoints, and always off on a standalone node
 * @param placement upkeep of the placement map (ADR 0021): refresh interval, and the grace period
 *     after which an absent node's voters are replaced (needs membership)
 */
public record NodeConfig(String nodeId, Path dataDir, String bindHost, int port, int partitions, TlsMaterial tls,
    int raftPort, List<ClusterPeer> peers, MembershipConfig membership, HealingConfig healing,
    PlacementConfig placement) {
  public NodeConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    placement = placement == null ? PlacementConfig.defaults() : placement;
    healing = healing == null ? HealingConfig.off() : healing;
    Objects.requireNonNull(tls, "tls");
    if (nodeId == null || !nodeId.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("nodeId must be 1-64 characters of [A-Za-z0-9._-]: " + nodeId);
    }
    if (bindHost == null || bindHost.isBlank()) {
      throw new IllegalArgumentException("bindHost is required");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (partitions <= 0 || partitions > 65536) {
      throw new IllegalArgumentException("partitions must be in [1, 65536]: " + partitions);
    }
    peers = List.copyOf(peers);
    if (!peers.isEmpty()) {
      Set<String> ids = new HashSet<>();
      ClusterPeer self = null;
      for (ClusterPeer p : peers) {
        if (!ids.add(p.nodeId())) {
          throw new IllegalArgumentException("peer " + p.nodeId() + " is listed twice");
        }
        if (p.nodeId().equals(nodeId)) {
          self = p;
        }
      }
      if (self == null && raftPort == 0) {
        throw new IllegalArgumentException("a node joining the cluster (not among the peers) needs a fixed raftPort");
      }
      if (self != null && self.raftPort() != raftPort) {
        throw new IllegalArgumentException(
            "raftPort " + raftPort + " differs from this node's peer entry " + self.raftAddress());
      }
    } else if (raftPort != 0) {
      throw new IllegalArgumentException("raftPort without peers: a standalone node runs no Raft server");
    }
    if (healing.enabled()) {
      Set<String> peerIds = new HashSet<>();
      peers.forEach(p -> peerIds.add(p.nodeId()));
      if (!healing.peerGrpcEndpoints().keySet().equals(peerIds)) {
        throw new IllegalArgumentException("healing needs the gRPC endpoint of exactly the peers " + peerIds
            + ", got " + healing.peerGrpcEndpoints().keySet());
      }
    }
  }

  /** A node with the default placement upkeep. */
  public NodeConfig(String nodeId, Path dataDir, String bindHost, int port, int partitions, TlsMaterial tls,
      int raftPort, List<ClusterPeer> peers, MembershipConfig membership, HealingConfig healing) {
    this(nodeId, dataDir, bindHost, port, partitions, tls, raftPort, peers, membership, healing, null);
  }

  /** A node without chunk healing. */
  public NodeConfig(String nodeId, Path dataDir, String bindHost, int port, int partitions, TlsMaterial tls,
      int raftPort, List<ClusterPeer> peers, MembershipConfig membership) {
    this(nodeId, dataDir, bindHost, port, partitions, tls, raftPort, peers, membership, null);
  }

  /** A node without membership. */
  public NodeConfig(String nodeId, Path dataDir, String bindHost, int port, int partitions, TlsMaterial tls,
      int raftPort, List<ClusterPeer> peers) {
    this(nodeId, dataDir, bindHost, port, partitions, tls, raftPort, peers, null);
  }

  /** A standalone node: no Raft, its partitions are ordered by a local log (tests, tools). */
  public NodeConfig(String nodeId, Path dataDir, String bindHost, int port, int partitions, TlsMaterial tls) {
    this(nodeId, dataDir, bindHost, port, partitions, tls, 0, List.of());
  }

  /**
   * Whether this node is not among the configured {@link #peers()}: it joins the cluster and
   * registers itself in the placement map (ADR 0029).
   */
  public boolean joining() {
    return clustered() && peers.stream().noneMatch(p -> p.nodeId().equals(nodeId));
  }

  /**
   * This node as its Raft peers reach it: its peer entry, or for a joining node its Raft port at
   * the membership's public host (else the bind host).
   */
  public ClusterPeer self() {
    return peers.stream().filter(p -> p.nodeId().equals(nodeId)).findFirst()
        .orElseGet(() -> new ClusterPeer(nodeId, membership != null && membership.enabled()
            ? membership.publicHost() : bindHost, raftPort));
  }

  /** Whether this node replicates its partitions through Raft groups with {@link #peers()}. */
  public boolean clustered() {
    return !peers.isEmpty();
  }

  /** Whether this node joins the cluster's membership. */
  public boolean hasMembership() {
    return membership != null && membership.enabled();
  }

  /** The same node, joining the membership {@code newMembership} (null: none). */
  public NodeConfig withMembership(MembershipConfig newMembership) {
    return new NodeConfig(nodeId, dataDir, bindHost, port, partitions, tls, raftPort, peers, newMembership, healing, placement);
  }

  /** The same node on another client port (a restarted node keeps its address). */
  public NodeConfig withPort(int newPort) {
    return new NodeConfig(nodeId, dataDir, bindHost, newPort, partitions, tls, raftPort, peers, membership, healing, placement);
  }

  /** The same node with chunk healing {@code newHealing}. */
  public NodeConfig withHealing(HealingConfig newHealing) {
    return new NodeConfig(nodeId, dataDir, bindHost, port, partitions, tls, raftPort, peers, membership, newHealing, placement);
  }

  /** The same node with placement upkeep {@code newPlacement}. */
  public NodeConfig withPlacement(PlacementConfig newPlacement) {
    return new NodeConfig(nodeId, dataDir, bindHost, port, partitions, tls, raftPort, peers, membership, healing,
        newPlacement);
  }
}
