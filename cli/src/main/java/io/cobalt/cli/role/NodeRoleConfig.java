package io.cobalt.cli.role;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.ClusterPeer;
import io.cobalt.node.NodeConfig;
import io.cobalt.node.membership.MembershipConfig;
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
 *   <li>{@code membership.enabled} [COBALT_MEMBERSHIP_ENABLED] — join the Hazelcast membership (true/false, default false)
 *   <li>{@code membership.join} [COBALT_MEMBERSHIP_JOIN] — {@code tcp-ip} (default) or {@code kubernetes-dns}
 *   <li>{@code membership.port} [COBALT_MEMBERSHIP_PORT] — the membership port (default 5701)
 *   <li>{@code membership.members} [COBALT_MEMBERSHIP_MEMBERS] — tcp-ip: every member's {@code host:port}
 *   <li>{@code membership.service.dns} [COBALT_MEMBERSHIP_SERVICE_DNS] — kubernetes-dns: the headless service name
 *   <li>{@code membership.public.host} [COBALT_MEMBERSHIP_PUBLIC_HOST] — the address others reach this node at
 *       (default bind.host; on Kubernetes the pod IP)
 *   <li>{@code membership.cluster.name} [COBALT_MEMBERSHIP_CLUSTER_NAME] — keeps unrelated clusters apart (default cobalt)
 *   <li>{@code membership.zone} [COBALT_MEMBERSHIP_ZONE] — the node's failure zone (default "default")
 * </ul>
 */
record NodeRoleConfig(String nodeId, String bindHost, int grpcPort, int raftPort, Path dataDir, int partitions,
    Path tlsDir, String tlsName, List<ClusterPeer> peers, long leaderWaitMillis, MembershipConfig membership,
    Path file) {

  static final Set<String> KEYS = Set.of("node.id", "bind.host", "grpc.port", "raft.port", "data.dir", "partitions",
      "tls.dir", "tls.name", "peers", "leader.wait.millis", "membership.enabled", "membership.join",
      "membership.port", "membership.members", "membership.service.dns", "membership.public.host",
      "membership.cluster.name", "membership.zone");

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
    MembershipConfig membership = membership(s, host);
    s.validate();
    return new NodeRoleConfig(id, host, grpcPort, raftPort, dataDir, partitions, tlsDir, tlsName, peers, leaderWait,
        membership, s.file());
  }

  /** The membership settings, or null when membership is off. */
  private static MembershipConfig membership(RoleConfigSource s, String bindHost) {
    String enabled = s.string("membership.enabled", "false");
    if (!enabled.equals("true") && !enabled.equals("false")) {
      s.problem("membership.enabled must be true or false, was '" + enabled + "' (" + s.origin("membership.enabled") + ")");
      return null;
    }
    String join = s.string("membership.join", "tcp-ip");
    int port = s.port("membership.port", MembershipConfig.DEFAULT_PORT);
    List<String> members = s.list("membership.members", "");
    String serviceDns = s.string("membership.service.dns", "");
    String publicHost = s.string("membership.public.host", bindHost);
    String clusterName = s.string("membership.cluster.name", "cobalt");
    String zone = s.string("membership.zone", MembershipConfig.DEFAULT_ZONE);
    if (enabled.equals("false")) {
      return null;
    }
    try {
      return switch (join) {
        case "tcp-ip" -> {
          if (members.isEmpty()) {
            s.problem("membership.members must list the members' host:port for membership.join=tcp-ip");
            yield null;
          }
          yield MembershipConfig.tcpIp(clusterName, bindHost, port, members, zone)
              .withPublicAddress(publicHost, port);
        }
        case "kubernetes-dns" -> {
          if (serviceDns.isEmpty()) {
            s.problem("membership.service.dns is required for membership.join=kubernetes-dns");
            yield null;
          }
          yield MembershipConfig.kubernetesDns(clusterName, publicHost, port, serviceDns, zone);
        }
        default -> {
          s.problem("membership.join must be tcp-ip or kubernetes-dns, was '" + join + "'");
          yield null;
        }
      };
    } catch (IllegalArgumentException e) {
      s.problem("membership: " + e.getMessage());
      return null;
    }
  }

  /** The node's runtime configuration, with its certificate loaded from {@code tls.dir}. */
  NodeConfig toNodeConfig() throws RoleConfigException {
    TlsMaterial tls = RoleTls.load(file, tlsDir, tlsName);
    try {
      NodeConfig c = new NodeConfig(nodeId, dataDir, bindHost, grpcPort, partitions, tls, raftPort, peers);
      return membership == null ? c : c.withMembership(membership);
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
    if (membership == null) {
      m.put("membership.enabled", "false");
    } else {
      m.put("membership.enabled", "true");
      m.put("membership.join", membership.join().toString());
      m.put("membership.address", membership.bindHost() + ":" + membership.port() + " (reached at "
          + membership.publicAddress() + ")");
      m.put("membership.cluster.name", membership.clusterName());
      m.put("membership.zone", membership.zone());
    }
    return m;
  }
}
