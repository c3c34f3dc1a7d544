package io.cobalt.node;

import io.cobalt.crypto.chunk.CipherWarmup;
import io.cobalt.node.consensus.GroupStatus;
import io.cobalt.node.consensus.RaftPartitionServer;
import io.cobalt.node.consensus.RaftSettings;
import io.cobalt.node.healing.HealingService;
import io.cobalt.node.membership.ClusterMember;
import io.cobalt.proto.node.v1.PlacementMap;
import java.util.stream.Collectors;
import io.cobalt.node.membership.Membership;
import io.cobalt.node.membership.MembershipConfig;
import io.cobalt.node.membership.hazelcast.HazelcastMembership;
import io.cobalt.node.partition.CommandLog;
import io.cobalt.node.partition.LocalCommandLog;
import io.cobalt.node.partition.PartitionStateMachine;
import io.cobalt.node.rpc.GrpcPeerChunks;
import io.cobalt.node.rpc.NodeRpcServer;
import io.cobalt.node.rpc.NodeStatusSource;
import io.cobalt.node.rpc.RpcServerConfig;
import io.cobalt.node.storage.InfrastructureCipher;
import io.cobalt.node.storage.VerifiedChunkStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running storage node: RocksDB under {@code dataDir}, the partition state machines behind a
 * command log — one Raft group per partition when the node has peers, a local log when it stands
 * alone — and the mTLS gRPC server; optionally, once it serves, its membership in the cluster
 * (Hazelcast: hints about who is up, never data). The whole node in one place:
 * {@code rpc → partition (→ consensus) → storage}.
 */
public final class NodeServer implements AutoCloseable {
  /** Directory of the node's RocksDB inside {@link NodeConfig#dataDir()}. */
  public static final String ROCKSDB_DIR = "rocksdb";
  /**
   * The node's infrastructure keyring inside {@link NodeConfig#dataDir()} (outside RocksDB; mode
   * 0600; created with one random key on first start). ADR 0032.
   */
  public static final String INFRASTRUCTURE_KEY_FILE = "infrastructure.key";

  private final NodeConfig config;
  private final RocksStorage storage;
  private final PartitionStateMachine stateMachine;
  private final RaftPartitionServer raft; // null on a standalone node
  private final NodeRpcServer rpc;
  private final Membership membership; // null when the node joins no membership
  private final HealingService healing; // null when healing is off
  private final AtomicBoolean closed = new AtomicBoolean();

  private NodeServer(NodeConfig config, RocksStorage storage, PartitionStateMachine stateMachine,
      RaftPartitionServer raft, NodeRpcServer rpc, Membership membership, HealingService healing) {
    this.config = config;
    this.healing = healing;
    this.storage = storage;
    this.stateMachine = stateMachine;
    this.raft = raft;
    this.rpc = rpc;
    this.membership = membership;
  }

  /** Opens the node's RocksDB under {@code dataDir}, joins its Raft groups, binds, and returns once it is serving. */
  public static NodeServer start(NodeConfig config) throws IOException {
    return start(config, RocksStorageConfig.defaults(),
        RpcServerConfig.defaults(config.nodeId(), config.bindHost(), config.port()), RaftSettings.defaults());
  }

  /** As {@link #start(NodeConfig)}, with explicit storage and RPC limits. */
  public static NodeServer start(NodeConfig config, RocksStorageConfig storageConfig, RpcServerConfig rpcConfig)
      throws IOException {
    return start(config, storageConfig, rpcConfig, RaftSettings.defaults());
  }

  /** As {@link #start(NodeConfig)}, with explicit storage, RPC and Raft settings. */
  public static NodeServer start(NodeConfig config, RocksStorageConfig storageConfig, RpcServerConfig rpcConfig,
      RaftSettings raftSettings) throws IOException {
    return start(config, storageConfig, rpcConfig, raftSettings, Clock.systemUTC());
  }

  /**
   * As above, with the clock that chunk write times and healing decisions (GC delay, repair
   * back-off) use: tests pass one they can move.
   */
  public static NodeServer start(NodeConfig config, RocksStorageConfig storageConfig, RpcServerConfig rpcConfig,
      RaftSettings raftSettings, Clock clock) throws IOException {
    Instant startedAt = Clock.systemUTC().instant();
    CipherWarmup.run(); // chunk ids are SHA-256, checked on every write and read
    RocksStorage storage = RocksStorage.open(rocksDbDir(config.dataDir()), storageConfig);
    RaftPartitionServer raft = null;
    NodeRpcServer rpc = null;
    HealingService healing = null;
    try {
      PartitionStateMachine stateMachine;
      CommandLog commandLog;
      if (config.clustered()) {
        // The Raft log is the durable record: state commits skip the second fsync (ADR 0004).
        stateMachine = new PartitionStateMachine(storage.metadataBehindLog(), config.partitions());
        raft = RaftPartitionServer.start(config, stateMachine, raftSettings);
        commandLog = raft.commandLog();
      } else {
        stateMachine = new PartitionStateMachine(storage.metadata(), config.partitions());
        commandLog = new LocalCommandLog(stateMachine);
      }
      VerifiedChunkStore chunks = new VerifiedChunkStore(storage.chunks(), clock,
          InfrastructureCipher.loadOrCreate(config.dataDir().resolve(INFRASTRUCTURE_KEY_FILE), new SecureRandom()));
      NodeStatusSource status = statusSource(raft, startedAt);
      if (config.clustered() && config.healing().enabled()) {
        RaftPartitionServer groups = raft;
        CommandLog log = commandLog;
        healing = HealingService.start(config.nodeId(), config.healing(), clock, chunks,
            storage.repairQueue(), new GrpcPeerChunks(config.healing().peerGrpcEndpoints(), config.nodeId(),
                config.tls()),
            new HealingService.NodeView(config.partitions(),
                p -> groups.leaderOf(p).map(config.nodeId()::equals).orElse(false),
                stateMachine::query, log::query));
        HealingService h = healing;
        status = status.withHealing(h::status, h::repairBacklog);
        // Chunk placement leaves out the nodes the placement map retired (ADR 0028).
        h.followRetired(() -> List.copyOf(groups.placement().getRetiredNodeIdsList()));
      }
      HealingService intake = healing;
      RaftPartitionServer placement = raft;
      rpc = NodeRpcServer.start(rpcConfig, config.tls(), chunks,
          items -> intake == null ? 0 : intake.queueRepairs(items), commandLog, status,
          placement == null ? null : placement::readmitChunkNode);
      // Announced only once the node serves, so a member that others see can be called.
      Membership membership = config.hasMembership()
          ? HazelcastMembership.start(config.membership(), announcement(config, rpc.port()))
          : null;
      if (raft != null) {
        // A joining node registers itself in the placement map with this endpoint (ADR 0029).
        raft.announce((config.hasMembership() ? config.membership().publicHost() : config.bindHost()) + ":"
            + rpc.port());
      }
      if (raft != null && membership != null) {
        // Liveness for the placement controller: the membership's current view (a hint; only the
        // meta group's commits decide placement, ADR 0021).
        Membership members = membership;
        raft.startPlacementController(() -> members.members().stream().map(ClusterMember::nodeId)
            .collect(Collectors.toSet()), clock);
      }
      return new NodeServer(config, storage, stateMachine, raft, rpc, membership, healing);
    } catch (IOException | RuntimeException e) {
      if (rpc != null) {
        rpc.close();
      }
      if (healing != null) {
        healing.close();
      }
      if (raft != null) {
        raft.close();
      }
      storage.close();
      throw e;
    }
  }

  /**
   * What the node tells the other members about itself: its id, its gRPC endpoint at the
   * membership's public host, its Raft endpoint as its peers know it, and its zone.
   */
  private static ClusterMember announcement(NodeConfig config, int grpcPort) {
    MembershipConfig m = config.membership();
    String raftEndpoint = config.clustered() ? config.self().raftAddress() : "";
    return new ClusterMember(config.nodeId(), m.publicHost() + ":" + grpcPort, raftEndpoint, m.zone());
  }

  /** What {@code NodeAdmin.GetNodeStatus} reports: the Raft groups' in-memory state. */
  private static NodeStatusSource statusSource(RaftPartitionServer raft, Instant startedAt) {
    return raft == null ? NodeStatusSource.standalone(Clock.systemUTC(), startedAt)
        : new NodeStatusSource(Clock.systemUTC(), startedAt, raft::groupStatus, raft::votersOf)
            .withPlacement(raft::placement);
  }

  /** Where a node with this data directory keeps its RocksDB. */
  public static Path rocksDbDir(Path dataDir) {
    return dataDir.resolve(ROCKSDB_DIR);
  }

  public int port() {
    return rpc.port();
  }

  public String nodeId() {
    return config.nodeId();
  }

  public NodeConfig config() {
    return config;
  }

  /** The index of the last metadata command applied to {@code partition} on this node. */
  public long appliedIndex(int partition) {
    return stateMachine.appliedIndex(partition);
  }

  /**
   * This replica's own state of a partition, without the linearizable read barrier: may be stale.
   * For diagnostics and tests that compare replicas; clients read through the gRPC service.
   */
  public QueryResult queryLocalReplica(MetadataQuery query) {
    return stateMachine.query(query);
  }

  /**
   * Waits until each of this node's partition groups knows a leader (a standalone node: at once).
   *
   * @return false if {@code timeout} passed first
   */
  public boolean awaitMetadataLeaders(Duration timeout) throws InterruptedException {
    return raft == null || raft.awaitLeaders(timeout);
  }

  /** The leader of {@code partition}'s group as this node sees it (a standalone node: itself). */
  public Optional<String> metadataLeaderOf(int partition) {
    return raft == null ? Optional.of(config.nodeId()) : raft.leaderOf(partition);
  }

  /**
   * Re-admits a node retired from chunk placement (ADR 0028) through the meta group; blocking.
   * Returns the map standing afterwards.
   */
  public PlacementMap readmitChunkNode(String retiredNodeId) throws IOException {
    if (raft == null) {
      throw new IllegalStateException("a standalone node has no placement map");
    }
    return raft.readmitChunkNode(retiredNodeId);
  }

  /** The placement map this node knows (ADR 0021); the empty map (version 0) on a standalone node. */
  public PlacementMap placement() {
    return raft == null ? PlacementMap.getDefaultInstance() : raft.placement();
  }

  /** The voters of {@code partition}'s Raft group in its configuration as this node's replica knows it. */
  public List<String> raftVotersOf(int partition) {
    return raft == null ? List.of() : raft.votersOf(partition);
  }

  /** The meta group's voters in its Raft configuration on this node (sorted; empty if it runs no replica). */
  public List<String> raftMetaVoters() {
    return raft == null ? List.of() : raft.metaVoters();
  }

  /** Whether this node leads the meta group (whose leader runs the placement controller). */
  public boolean leadsMetaGroup() {
    return raft != null && raft.leadsMetaGroup();
  }

  /** How long each rebalancing move this node's placement controller made took, ms (ADR 0029). */
  public List<Long> placementMoveMillis() {
    return raft == null ? List.of() : raft.moveDurationsMillis();
  }

  /** The Raft state of each partition group on this node (a standalone node has none). */
  public List<GroupStatus> metadataGroupStatus() {
    return raft == null ? List.of() : raft.groupStatus();
  }

  /** The node's chunk healing; empty when it is off (standalone node, or no peer gRPC endpoints). */
  public Optional<HealingService> healing() {
    return Optional.ofNullable(healing);
  }

  /** The node's membership in the cluster; empty when its config enables none. */
  public Optional<Membership> membership() {
    return Optional.ofNullable(membership);
  }

  /**
   * Leaves the membership, stops accepting calls, lets those in progress finish briefly, leaves
   * the Raft groups, then closes RocksDB. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      if (membership != null) {
        membership.close();
      }
    } finally {
      closeServing();
    }
  }

  private void closeServing() {
    try {
      if (healing != null) {
        healing.close(); // before RocksDB closes under it
      }
      rpc.close();
    } finally {
      try {
        if (raft != null) {
          raft.close();
        }
      } finally {
        storage.close();
      }
    }
  }
}
