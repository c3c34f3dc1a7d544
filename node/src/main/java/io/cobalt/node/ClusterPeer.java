package io.cobalt.node;

import java.util.Objects;

/**
 * A storage node as its Raft peers see it.
 *
 * @param nodeId the node's id (also its Raft peer id)
 * @param host address its Raft (Ratis gRPC) port listens on; must be a name or IP in the node's
 *     certificate, since Ratis checks the peer's hostname during the TLS handshake
 * @param raftPort the node's Raft port (fixed for the life of the node: peers persist it)
 */
public record ClusterPeer(String nodeId, String host, int raftPort) {
  public ClusterPeer {
    Objects.requireNonNull(nodeId, "nodeId");
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host is required for peer " + nodeId);
    }
    if (raftPort <= 0 || raftPort > 65535) {
      throw new IllegalArgumentException("raftPort must be 1..65535 for peer " + nodeId + ": " + raftPort);
    }
  }

  /** {@code host:raftPort}. */
  public String raftAddress() {
    return host + ":" + raftPort;
  }
}
