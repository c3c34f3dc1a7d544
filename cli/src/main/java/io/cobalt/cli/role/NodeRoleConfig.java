package io.cobalt.cli.role;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.ClusterPeer;
import io.cobalt.node.NodeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code cobalt node}'s file. Keys (environment override in brackets):
 *
 * <ul>
 *   <li>{@code node.id} [COBALT_NODE_ID] — the node's id, also its Raft peer id and certificate name
 *   <li>{@code bind.host} [COBALT_BIND_HOST] — address of the gRPC and Raft ports (default 127.0.0.1)
 *   <li>{@code grpc.port} [COBALT_GRPC_PORT] — gateway-facing gRPC port (mTLS)
 *   <li>{@code raft.port} [COBALT_RAFT_PORT] — Ratis port; fixed for the node's life (peers store it)
 *   <li>{@code data.dir} [COBALT_DATA_DIR] — RocksDB and Raft logs
 *   <li>{@code partitions} [COBALT_PARTITIONS] — metadata partitions, fixed at init (default 16)
 *   <li>{@code tls.dir} [COBALT_TLS_DIR] — cluster CA and certificates (default tls)
 *   <li>{@code tls.name} [COBALT_TLS_NAME] — this node's certificate, {@code <name>.pem/.key} (default: node.id)
 *   <li>{@code peers} [COBALT_PEERS] — every node's Raft address, this one included: {@code id@host:raftPort,...}
 *   <li>{@code leader.wait.millis} [COBALT_LEADER_WAIT_MILLIS] — how long to wait for Raft leaders before warning (default 60000)
 * </ul>
 */
record NodeRoleConfig(String nodeId, String bindHost, int grpcPort, int raftPort, Path dataDir, int partitions,
    Path tlsDir, String tlsName, List<ClusterPeer> peers, long leaderWaitMillis, Path file) {

  static final Set<String> KEYS = Set.of("node.id", "bind.host", "grpc.port", "raft.port", "data.dir", "partitions",
      "tls.dir", "tls.name", "peers", "leader.wait.millis");

  static NodeRoleConfig load(Path file, Map<String, String> env) throws RoleConfigException {
    RoleConfigSource s = RoleConfigSource.load(file, env, KEYS);
    String id = s.required("node.id");
    String host = s.string("bind.host", "127.0.0.1");
    int grpcPort = s.port("grpc.port", null);
    int raftPort = s.port("raft.port", null);
    Path dataDir = s.path("data.dir", null);
    int partitions = (int) s.number("partitions", 16L, 1, 1024);
    Path tlsDir = s.path("tls.dir", "tls");
    String tlsName = s.string("tls.name", id);
    long leaderWait = s.number("leader.wait.millis", 60_000L, 1_000, 3_600_000);
    List<ClusterPeer> peers = new ArrayList<>();
    for (String entry : s.list("peers", null)) {
      try {
        PeerAddress a = PeerAddress.parse("peers", entry);
        peers.add(new ClusterPeer(a.id(), a.host(), a.port()));
      } catch (IllegalArgumentException e) {
        s.problem(e.getMessage());
      }
    }
    if (!peers.isEmpty() && peers.stream().noneMatch(p -> p.nodeId().equals(id) && p.raftPort() == raftPort)) {
      s.problem("peers must list this node as " + id + "@" + host + ":" + raftPort + " (raft.port " + raftPort + ")");
    }
    if (peers.stream().map(ClusterPeer::nodeId).distinct().count() != peers.size()) {
      s.problem("peers lists a node id twice");
    }
    s.validate();
    return new NodeRoleConfig(id, host, grpcPort, raftPort, dataDir, partitions, tlsDir, tlsName, peers, leaderWait,
        s.file());
  }

  /** The node's runtime configuration, with its certificate loaded from {@code tls.dir}. */
  NodeConfig toNodeConfig() throws RoleConfigException {
    TlsMaterial tls = RoleTls.load(file, tlsDir, tlsName);
    try {
      return new NodeConfig(nodeId, dataDir, bindHost, grpcPort, partitions, tls, raftPort, peers);
    } catch (IllegalArgumentException e) {
      throw new RoleConfigException("invalid config " + file + ": " + e.getMessage());
    }
  }

  /** The effective settings for {@code --print-config}; holds no secrets (key files are named, never read). */
  Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("node.id", nodeId);
    m.put("bind.host", bindHost);
    m.put("grpc.port", Integer.toString(grpcPort));
    m.put("raft.port", Integer.toString(raftPort));
    m.put("data.dir", dataDir.toString());
    m.put("partitions", Integer.toString(partitions));
    m.put("tls.dir", tlsDir.toString());
    m.put("tls.name", tlsName + " (private key " + tlsDir.resolve(tlsName + ".key") + ": not shown)");
    m.put("peers", String.join(",", peers.stream().map(p -> p.nodeId() + "@" + p.raftAddress()).toList()));
    m.put("leader.wait.millis", Long.toString(leaderWaitMillis));
    return m;
  }
}
