package io.cobalt.node.membership;

import java.util.Objects;

/**
 * A node as the other members see it: what it announces about itself when it joins. Nothing in it
 * is secret; every member (and, later, every gateway) can read it.
 *
 * @param nodeId the node's id (also its Raft peer id)
 * @param grpcEndpoint {@code host:port} of the node's gRPC server (chunks, metadata)
 * @param raftEndpoint {@code host:port} of the node's Raft server; empty for a node that runs no
 *     Raft server (a standalone node)
 * @param zone the failure zone the node is in (placement keeps replicas in distinct zones)
 */
public record ClusterMember(String nodeId, String grpcEndpoint, String raftEndpoint, String zone) {
  public ClusterMember {
    if (nodeId == null || !nodeId.matches(MembershipConfig.NAME_PATTERN)) {
      throw new IllegalArgumentException("nodeId must be 1-64 characters of [A-Za-z0-9._-]: " + nodeId);
    }
    MembershipConfig.requireHostPort("grpcEndpoint", grpcEndpoint);
    Objects.requireNonNull(raftEndpoint, "raftEndpoint");
    if (!raftEndpoint.isEmpty()) {
      MembershipConfig.requireHostPort("raftEndpoint", raftEndpoint);
    }
    if (zone == null || !zone.matches(MembershipConfig.NAME_PATTERN)) {
      throw new IllegalArgumentException("zone must be 1-64 characters of [A-Za-z0-9._-]: " + zone);
    }
  }

  /** Whether the node runs a Raft server (see {@link #raftEndpoint()}). */
  public boolean hasRaft() {
    return !raftEndpoint.isEmpty();
  }
}
