package io.cobalt.cli.role;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.ClusterPeer;
import io.cobalt.node.NodeConfig;
import io.cobalt.node.consensus.PlacementConfig;
import io.cobalt.node.healing.HealingConfig;
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
 *   <li>{@code peers} [COBALT_PEERS] — every node's Raft address, this one included: {@code id@host:raftPort,...};
 *       with {@code join=true} the cluster's configured nodes (the seeds), without this one
 *   <li>{@code join} [COBALT_JOIN] — true: this node is not in the cluster's configured {@code peers}; it
 *       registers itself in the placement map and is given partitions (ADR 0029; default false; needs membership)
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
 *   <li>{@code chunk.nodes} [COBALT_CHUNK_NODES] — every node's gRPC endpoint, this one included:
 *       {@code id@host:grpcPort,...} (the gateway's {@code nodes}); empty: chunk healing is off
 *   <li>{@code replication.factor} [COBALT_REPLICATION_FACTOR] — chunk replicas (the gateway's; default min(3, #nodes))
 *   <li>{@code heal.anti.entropy.interval.millis} — pause between anti-entropy passes (default 600000)
 *   <li>{@code heal.repairs.per.second} — repair worker rate bound (default 20)
 *   <li>{@code heal.repair.queue.max.items} — repair queue bound (default 100000)
 *   <li>{@code heal.scrub.bytes.per.second} — scrubber read rate; 0: scrubber off (default 8388608)
 *   <li>{@code heal.scrub.pause.millis} — pause between scrub passes (default 86400000)
 *   <li>{@code heal.gc.delay.millis} — an unreferenced chunk is deleted only this long after its last
 *       write; uploads must commit within it (default 21600000 = 6 h)
 *   <li>{@code heal.gc.interval.millis} — pause between chunk GC passes (default 1800000)
 *   <li>{@code placement.replace-after} [COBALT_PLACEMENT_REPLACE_AFTER] — seconds a node may be absent
 *       from the membership before its partition voters are replaced on other nodes (default 600;
 *       0: never; needs membership; ADR 0021)
 *   <li>{@code placement.rebalance-interval} [COBALT_PLACEMENT_REBALANCE_INTERVAL] — seconds between two
 *       rebalancing moves (one partition voter onto the least-loaded node, e.g. one that joined;
 *       default 30; 0: no rebalancing; ADR 0029)
 *   <li>{@code placement.admin-call-timeout} [COBALT_PLACEMENT_ADMIN_CALL_TIMEOUT] — seconds each Raft
 *       admin call of the placement controller (group add, configuration change, leadership
 *       transfer) may take before its step fails and is tried again on a later round (default 20;
 *       ADR 0037)
 * </ul>
 */
record NodeRoleConfig(String nodeId, String bindHost, int grpcPort, int raftPort, Path dataDir, int partitions,
    Path tlsDir, String tlsName, List<ClusterPeer> peers, long leaderWaitMillis, MembershipConfig membership,
    HealingConfig healing, Path file, PlacementConfig placement) {

  static final Set<String> KEYS = Set.of("node.id", "bind.host", "grpc.port", "raft.port", "data.dir", "partitions",
      "tls.dir", "tls.name", "peers", "leader.wait.millis", "membership.enabled", "membership.join",
      "membership.port", "membership.members", "membership.service.dns", "membership.public.host",
      "membership.cluster.name", "membership.zone", "chunk.nodes", "replication.factor",
      "heal.anti.entropy.interval.millis", "heal.repairs.per.second", "heal.repair.queue.max.items",
      "heal.scrub.bytes.per.second", "heal.scrub.pause.millis", "heal.gc.delay.millis", "heal.gc.interval.millis",
      "placement.replace-after", "join", "placement.rebalance-interval", "placement.admin-call-timeout");

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
    String join = s.string("join", "false");
    if (!join.equals("true") && !join.equals("false")) {
      s.problem("join must be true or false, was '" + join + "' (" + s.origin("join") + ")");
    }
    boolean joining = join.equals("true");
    if (joining && peers.isEmpty()) {
      s.problem("join=true needs peers: the Raft addresses of the cluster's configured nodes (the seeds)");
    }
    if (joining && peers.stream().anyMatch(p -> p.nodeId().equals(id))) {
      s.problem("join=true: peers must not list this node (" + id + "); it joins the nodes listed");
    }
    if (!joining && !peers.isEmpty()
        && peers.stream().noneMatch(p -> p.nodeId().equals(id) && p.raftPort() == raftPort)) {
      s.problem("peers must list this node as " + id + "@" + host + ":" + raftPort + " (raft.port " + raftPort + ")");
    }
    if (peers.stream().map(ClusterPeer::nodeId).distinct().count() != peers.size()) {
      s.problem("peers lists a node id twice");
    }
    MembershipConfig membership = membership(s, host);
    HealingConfig healing = healing(s, peers);
    long replaceAfterSeconds = s.number("placement.replace-after",
        PlacementConfig.DEFAULT_REPLACE_AFTER_MILLIS / 1000, 0, 30 * 86_400L);
    long rebalanceSeconds = s.number("placement.rebalance-interval",
        PlacementConfig.DEFAULT_REBALANCE_INTERVAL_MILLIS / 1000, 0, 86_400L);
    long adminCallSeconds = s.number("placement.admin-call-timeout",
        PlacementConfig.DEFAULT_ADMIN_CALL_TIMEOUT_MILLIS / 1000, 1, 3_600L);
    if (joining && membership == null) {
      s.problem("join=true needs membership.enabled=true (the controller moves partitions only to live members)");
    }
    if (joining && healing.enabled()) {
      s.problem("join=true: chunk.nodes is not supported on a joining node yet (chunk placement is configured, ADR 0029)");
    }
    s.validate();
    return new NodeRoleConfig(id, host, grpcPort, raftPort, dataDir, partitions, tlsDir, tlsName, peers, leaderWait,
        membership, healing, s.file(), PlacementConfig.defaults().withReplaceAfterMillis(replaceAfterSeconds * 1000)
            .withRebalanceIntervalMillis(rebalanceSeconds * 1000).withAdminCallTimeoutMillis(adminCallSeconds * 1000));
  }

  /** The chunk healing settings (ADR 0010); off when {@code chunk.nodes} is empty. */
  private static HealingConfig healing(RoleConfigSource s, List<ClusterPeer> peers) {
    Map<String, String> endpoints = new LinkedHashMap<>();
    for (String entry : s.list("chunk.nodes", "")) {
      try {
        PeerAddress a = PeerAddress.parse("chunk.nodes", entry);
        if (endpoints.put(a.id(), a.host() + ":" + a.port()) != null) {
          s.problem("chunk.nodes lists " + a.id() + " twice");
        }
      } catch (IllegalArgumentException e) {
        s.problem(e.getMessage());
      }
    }
    int nodes = Math.max(1, endpoints.size());
    int rf = (int) s.number("replication.factor", (long) Math.min(HealingConfig.DEFAULT_REPLICATION_FACTOR, nodes), 1,
        nodes);
    long aeInterval = s.number("heal.anti.entropy.interval.millis", HealingConfig.DEFAULT_ANTI_ENTROPY_INTERVAL_MILLIS,
        100, 7 * 86_400_000L);
    int repairsPerSecond = (int) s.number("heal.repairs.per.second", (long) HealingConfig.DEFAULT_REPAIRS_PER_SECOND,
        1, 10_000);
    int queueMax = (int) s.number("heal.repair.queue.max.items", (long) HealingConfig.DEFAULT_REPAIR_QUEUE_MAX_ITEMS,
        1, 10_000_000);
    long scrubRate = s.number("heal.scrub.bytes.per.second", HealingConfig.DEFAULT_SCRUB_BYTES_PER_SECOND, 0,
        10L * 1024 * 1024 * 1024);
    long scrubPause = s.number("heal.scrub.pause.millis", HealingConfig.DEFAULT_SCRUB_PAUSE_MILLIS, 100,
        30 * 86_400_000L);
    long gcDelay = s.number("heal.gc.delay.millis", HealingConfig.DEFAULT_GC_DELAY_MILLIS, 1_000, 365 * 86_400_000L);
    long gcInterval = s.number("heal.gc.interval.millis", HealingConfig.DEFAULT_GC_INTERVAL_MILLIS, 100,
        7 * 86_400_000L);
    if (!endpoints.isEmpty()) {
      java.util.Set<String> peerIds = new java.util.TreeSet<>();
      peers.forEach(p -> peerIds.add(p.nodeId()));
      if (!peerIds.equals(new java.util.TreeSet<>(endpoints.keySet()))) {
        s.problem("chunk.nodes must list the same node ids as peers " + peerIds + ", got " + endpoints.keySet());
        return HealingConfig.off();
      }
    }
    try {
      return new HealingConfig(endpoints, rf, aeInterval, HealingConfig.DEFAULT_ANTI_ENTROPY_BATCH_RECORDS, queueMax,
          repairsPerSecond, HealingConfig.DEFAULT_REPAIR_RETRY_MIN_MILLIS, HealingConfig.DEFAULT_REPAIR_RETRY_MAX_MILLIS,
          scrubRate, scrubPause, gcDelay, gcInterval, HealingConfig.DEFAULT_GC_BATCH);
    } catch (IllegalArgumentException e) {
      s.problem("chunk healing: " + e.getMessage());
      return HealingConfig.off();
    }
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
      NodeConfig c = new NodeConfig(nodeId, dataDir, bindHost, grpcPort, partitions, tls, raftPort, peers)
          .withHealing(healing).withPlacement(placement);
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
    m.put("placement.replace-after", Long.toString(placement.replaceAfterMillis() / 1000));
    m.put("placement.rebalance-interval", Long.toString(placement.rebalanceIntervalMillis() / 1000));
    m.put("placement.admin-call-timeout", Long.toString(placement.adminCallTimeoutMillis() / 1000));
    m.put("join", Boolean.toString(peers.stream().noneMatch(p -> p.nodeId().equals(nodeId)) && !peers.isEmpty()));
    if (!healing.enabled()) {
      m.put("chunk.nodes", "(none: chunk healing off)");
    } else {
      m.put("chunk.nodes", String.join(",", healing.peerGrpcEndpoints().entrySet().stream()
          .map(e -> e.getKey() + "@" + e.getValue()).toList()));
      m.put("replication.factor", Integer.toString(healing.replicationFactor()));
      m.put("heal.anti.entropy.interval.millis", Long.toString(healing.antiEntropyIntervalMillis()));
      m.put("heal.repairs.per.second", Integer.toString(healing.repairsPerSecond()));
      m.put("heal.repair.queue.max.items", Integer.toString(healing.repairQueueMaxItems()));
      m.put("heal.scrub.bytes.per.second", Long.toString(healing.scrubBytesPerSecond()));
      m.put("heal.scrub.pause.millis", Long.toString(healing.scrubPauseMillis()));
      m.put("heal.gc.delay.millis", Long.toString(healing.gcDelayMillis()));
      m.put("heal.gc.interval.millis", Long.toString(healing.gcIntervalMillis()));
    }
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
