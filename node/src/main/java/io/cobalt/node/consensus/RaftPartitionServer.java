package io.cobalt.node.consensus;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.NodeConfig;
import io.cobalt.node.partition.PartitionStateMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import io.cobalt.node.ClusterPeer;
import io.cobalt.proto.node.v1.JoinNode;
import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.PlacementUpdate;
import io.cobalt.proto.node.v1.PlacementUpdateResult;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's Raft server (Apache Ratis over gRPC with mutual TLS): one group per partition of
 * which this node is a voter ({@link PartitionGroups}), each with a {@link PartitionRaftStateMachine}
 * over the node's {@link PartitionStateMachine}, and one Raft client per group for the node's
 * {@link RaftCommandLog}. Raft logs live in {@code <dataDir>/ratis/<group-uuid>/}.
 *
 * <p>Start-up uses RECOVER: groups found on disk are loaded (their membership comes from disk),
 * groups missing on disk are added (a new directory is formatted). The Raft port must stay the
 * same across restarts: peers know it from their own configuration and from the groups' stored
 * membership.
 */
public final class RaftPartitionServer implements AutoCloseable {
  /** Raft logs and metadata of the node's groups, inside the node's data directory. */
  public static final String RATIS_DIR = "ratis";
  static final String RATIS_REMOVED_DIR = "ratis-removed";

  private static final Logger log = LoggerFactory.getLogger(RaftPartitionServer.class);
  /** Sleep, attempts pairs: 10 quick retries, then one every 500 ms (effectively for ever). */
  static final String APPENDER_RETRY_POLICY = "1ms,10, 500ms,2000000000";
  private static final AtomicBoolean FJP_WARNED = new AtomicBoolean();

  private final String nodeId;
  private final RaftServer server;
  private final PartitionGroups groups;
  private final RaftCommandLog commandLog;
  private final LeaderWatch leaderWatch;
  private volatile RaftClient metaClient;
  private final java.util.function.Function<RaftGroup, RaftClient> metaClients;
  private final Path mapFile;
  private final ClusterPeer self;
  private final boolean joining;
  private volatile String grpcEndpoint;
  private List<String> metaClientVoters;
  private long persistedVersion;
  private final PlacementConfig placementConfig;
  private final ScheduledExecutorService placementThread;
  private volatile PlacementController controller;
  private final java.util.function.Function<RaftGroup, RaftClient> adminClients;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RaftPartitionServer(String nodeId, RaftServer server, PartitionGroups groups, RaftCommandLog commandLog,
      LeaderWatch leaderWatch, java.util.function.Function<RaftGroup, RaftClient> metaClients,
      PlacementConfig placementConfig, java.util.function.Function<RaftGroup, RaftClient> adminClients,
      Path mapFile, ClusterPeer self, boolean joining, long persistedVersion) {
    this.adminClients = adminClients;
    this.leaderWatch = leaderWatch;
    this.metaClients = metaClients;
    this.metaClient = metaClients.apply(groups.meta());
    this.metaClientVoters = groups.metaVoterIds();
    this.mapFile = mapFile;
    this.self = self;
    this.joining = joining;
    this.persistedVersion = persistedVersion;
    this.placementConfig = placementConfig;
    this.placementThread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "node-" + nodeId + "-placement");
      t.setDaemon(true);
      return t;
    });
    this.nodeId = nodeId;
    this.server = server;
    this.groups = groups;
    this.votedBefore = groupsVotedIn(server.getId());
    this.commandLog = commandLog;
    placementThread.scheduleWithFixedDelay(this::placementTick, placementConfig.refreshMillis(),
        placementConfig.refreshMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Starts the Raft server on {@code config.raftPort()}, loads or adds this node's partition
   * groups, and returns; leaders are elected in the background ({@link #awaitLeaders}).
   */
  public static RaftPartitionServer start(NodeConfig config, PartitionStateMachine state, RaftSettings settings)
      throws IOException {
    if (!config.clustered()) {
      throw new IllegalArgumentException("a Raft server needs the cluster's peers");
    }
    warnIfCommonPoolIsSerial();
    Path dir = config.dataDir().resolve(RATIS_DIR);
    Files.createDirectories(dir);
    RaftPeerId self = RaftPeerId.valueOf(config.nodeId());
    PartitionGroups groups = new PartitionGroups(config.peers(), config.partitions(), settings.votersPerPartition());
    // A node outside the configured peers joins (ADR 0029): it knows itself, and the rest from the map.
    ClusterPeer selfPeer = config.self();
    boolean joining = config.joining();
    groups.addPeer(selfPeer);
    // The last map this node knew (ADR 0029): so a restart knows joined nodes, the meta group's
    // current voters and its own partitions before the meta group answers.
    Path mapFile = config.dataDir().resolve(MAP_FILE);
    PlacementMap known = readMap(mapFile);
    if (known != null) {
      groups.update(known);
    }
    RaftProperties properties = properties(config, settings, dir);
    Parameters parameters = tlsParameters(config.tls());
    // A newer placement map (committed here or read from the meta group) changes the voters a
    // partition's client talks to: the client is renewed.
    AtomicReference<RaftCommandLog> logRef = new AtomicReference<>();
    Consumer<PlacementMap> onMap = map -> {
      for (int p : groups.update(map)) {
        RaftCommandLog l = logRef.get();
        if (l != null) {
          l.renew(p);
        }
      }
    };

    RaftServer server = RaftServer.newBuilder()
        .setServerId(self)
        .setProperties(properties)
        .setParameters(parameters)
        .setStateMachineRegistry(groupId -> {
          if (groupId.equals(PartitionGroups.META_GROUP_ID)) {
            return new MetaStateMachine(groups.initialMap(), onMap);
          }
          OptionalInt p = groups.partitionOf(groupId);
          if (p.isEmpty()) {
            throw new IllegalArgumentException("group " + groupId + " is not a partition of this cluster");
          }
          return new PartitionRaftStateMachine(state, p.getAsInt());
        })
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
    LeaderWatch leaderWatch = new LeaderWatch(config.nodeId(), groups.partitions(),
        p -> hasLeader(server, groups, self, p));
    try {
      server.start();
      addMissingGroups(server, self, groups);
      // One client (and gRPC transport) per group: Ratis's ordered async streams are keyed by
      // client id per server, so clients of different groups sharing one transport collide
      // (GroupMismatchException).
      RaftCommandLog commandLog = new RaftCommandLog(state, groups.partitions(), p -> {
        RaftGroup g = groups.group(p);
        return RaftClient.newBuilder()
            .setProperties(properties)
            .setParameters(parameters)
            .setRaftGroup(g)
            .setLeaderId(g.getPeer(self) != null ? self : g.getPeers().iterator().next().getId())
            .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(settings.clientMaxAttempts(),
                TimeDuration.valueOf(settings.clientRetrySleepMillis(), TimeUnit.MILLISECONDS)))
            .build();
      }, settings.commandTimeoutMillis(), settings.clientRetrySleepMillis(),
          leaderWatch::leaderlessMillis, settings.failFastAfterLeaderlessMillis());
      logRef.set(commandLog);
      java.util.function.Function<RaftGroup, RaftClient> metaClients = meta -> RaftClient.newBuilder()
          .setProperties(properties)
          .setParameters(parameters)
          .setRaftGroup(meta)
          .setLeaderId(meta.getPeer(self) != null ? self : meta.getPeers().iterator().next().getId())
          .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(settings.clientMaxAttempts(),
              TimeDuration.valueOf(settings.clientRetrySleepMillis(), TimeUnit.MILLISECONDS)))
          .build();
      log.info("node {}: Raft server on {}:{} with {} groups (meta voter: {})", config.nodeId(), config.bindHost(),
          config.raftPort(), countGroups(server), groups.isMetaVoter(self));
      // Clients for the placement controller's configuration changes. The controller bounds each
      // call (placement adminCallTimeoutMillis, ADR 0037: with the catch-up timeout per attempt and
      // the command retry policy, one setConfiguration ran 105 s in a ChaosOpsIT run); an attempt
      // gets half the bound, so a retry to another peer fits in it. The first attempt goes to this
      // node if it is a voter: the controller runs on the meta group's leader.
      RaftProperties adminProperties = properties(config, settings, dir);
      RaftClientConfigKeys.Rpc.setRequestTimeout(adminProperties,
          millis(Math.max(1_000, config.placement().adminCallTimeoutMillis() / 2)));
      java.util.function.Function<RaftGroup, RaftClient> adminClients = g -> RaftClient.newBuilder()
          .setProperties(adminProperties)
          .setParameters(parameters)
          .setRaftGroup(g)
          .setLeaderId(g.getPeer(self) != null ? self : g.getPeers().iterator().next().getId())
          .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(settings.clientMaxAttempts(),
              TimeDuration.valueOf(settings.clientRetrySleepMillis(), TimeUnit.MILLISECONDS)))
          .build();
      return new RaftPartitionServer(config.nodeId(), server, groups, commandLog, leaderWatch, metaClients,
          config.placement(), adminClients, mapFile, selfPeer, joining, known == null ? 0 : known.getVersion());
    } catch (IOException | RuntimeException e) {
      leaderWatch.close();
      try {
        server.close();
      } catch (IOException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private static void addMissingGroups(RaftServer server, RaftPeerId self, PartitionGroups groups) throws IOException {
    Set<RaftGroupId> present = new HashSet<>();
    server.getGroupIds().forEach(present::add);
    ClientId clientId = ClientId.randomId();
    AtomicLong callId = new AtomicLong();
    List<CompletableFuture<RaftClientReply>> adds = new ArrayList<>();
    for (int p = 0; p < groups.partitions(); p++) {
      RaftGroup g = groups.group(p);
      if (g.getPeer(self) != null && !present.contains(g.getGroupId())) {
        adds.add(server.groupManagementAsync(
            GroupManagementRequest.newAdd(clientId, self, callId.incrementAndGet(), g)));
      }
    }
    if (groups.isMetaVoter(self) && !present.contains(PartitionGroups.META_GROUP_ID)) {
      adds.add(server.groupManagementAsync(
          GroupManagementRequest.newAdd(clientId, self, callId.incrementAndGet(), groups.meta())));
    }
    for (CompletableFuture<RaftClientReply> add : adds) {
      RaftClientReply reply = add.join();
      if (!reply.isSuccess()) {
        throw new IOException("adding a partition group failed: " + reply.getException());
      }
    }
  }

  private static int countGroups(RaftServer server) throws IOException {
    int n = 0;
    for (RaftGroupId ignored : server.getGroupIds()) {
      n++;
    }
    return n;
  }

  static RaftProperties properties(NodeConfig config, RaftSettings s, Path dir) {
    RaftProperties p = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(p, List.of(dir.toFile()));
    RaftServerConfigKeys.setRemovedGroupsDir(p, config.dataDir().resolve(RATIS_REMOVED_DIR).toFile());
    GrpcConfigKeys.Server.setHost(p, config.bindHost());
    GrpcConfigKeys.Server.setPort(p, config.raftPort());
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, millis(s.electionTimeoutMinMillis()));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, millis(s.electionTimeoutMaxMillis()));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, millis(s.firstElectionTimeoutMinMillis()));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, millis(s.firstElectionTimeoutMaxMillis()));
    RaftServerConfigKeys.Rpc.setRequestTimeout(p, millis(s.serverRequestTimeoutMillis()));
    RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(s.logWriteBufferBytes()));
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(s.appenderBufferByteLimit()));
    RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(s.logSegmentPreallocatedBytes()));
    // Snapshots: every snapshotEveryEntries entries a group writes its partition's image (after
    // syncing RocksDB, so the single-fsync scheme holds: PartitionStateMachine.writeImage), and the
    // log is purged up to it; a replica that needs purged entries is sent the image.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, s.snapshotEveryEntries());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, s.purgeGapEntries());
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(s.logSegmentMaxBytes()));
    // A leader retries a follower it cannot reach by this policy. Ratis's default ("1ms,10, 1s,20,
    // 5s,1000") waits 5 s between attempts once a follower has been down ~20 s, so a restarted node
    // stayed behind for 5-16 s (measured), and a second failure meanwhile left groups whose only
    // majority had a member still behind: reads and writes stalled. Retrying every 500 ms costs a
    // refused connection per group and peer; catch-up starts within half a second of the return.
    RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, APPENDER_RETRY_POLICY);
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    RaftServerConfigKeys.Read.setTimeout(p, millis(s.readTimeoutMillis()));
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, millis(s.clientRequestTimeoutMillis()));
    return p;
  }

  /** Mutual TLS for server-server, client-server and admin traffic, from in-memory key material. */
  static Parameters tlsParameters(TlsMaterial tls) {
    KeyManager[] keys = tls.keyManagers();
    TrustManager[] trust = tls.trustManagers();
    Parameters parameters = new Parameters();
    GrpcConfigKeys.TLS.setConf(parameters, new GrpcTlsConfig(keys[0], trust[0], true));
    return parameters;
  }

  private static TimeDuration millis(long ms) {
    return TimeDuration.valueOf(ms, TimeUnit.MILLISECONDS);
  }

  /**
   * With a common ForkJoinPool parallelism below 2, every {@code CompletableFuture.*Async} call
   * without an executor starts a new thread, and Ratis makes such calls on the follower append
   * path (research/ratis.md §7.2). The JVM flag
   * {@code -Djava.util.concurrent.ForkJoinPool.common.parallelism=4} avoids it.
   */
  private static void warnIfCommonPoolIsSerial() {
    if (ForkJoinPool.getCommonPoolParallelism() < 2 && FJP_WARNED.compareAndSet(false, true)) {
      log.warn("common ForkJoinPool parallelism is {}: Ratis will start a thread per async task; run with "
          + "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4", ForkJoinPool.getCommonPoolParallelism());
    }
  }

  public RaftCommandLog commandLog() {
    return commandLog;
  }

  /** Waits until every local group knows a leader; false if {@code timeout} passed first. */
  public boolean awaitLeaders(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      boolean all = true;
      for (int p = 0; p < groups.partitions() && all; p++) {
        all = !groups.isVoter(p, server.getId()) || leaderOf(p).isPresent();
      }
      if (all) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
  }

  /** The leader of {@code partition}'s group as this node sees it, if this node is a voter and knows one. */
  public Optional<String> leaderOf(int partition) {
    try {
      RaftServer.Division d = server.getDivision(groups.id(partition));
      RaftPeerId leader = d.getInfo().getLeaderId();
      return Optional.ofNullable(leader).map(RaftPeerId::toString);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Whether this node's replica of {@code partition} knows a leader (true if it is no voter). */
  static boolean hasLeader(RaftServer server, PartitionGroups groups, RaftPeerId self, int partition) {
    if (!groups.isVoter(partition, self)) {
      return true;
    }
    try {
      return server.getDivision(groups.id(partition)).getInfo().getLeaderId() != null;
    } catch (IOException e) {
      return true; // not running (yet): the call itself will tell
    }
  }

  /**
   * The voters of {@code partition}'s group in its current Raft configuration as this node knows
   * it (node ids, sorted); empty if this node does not run the group.
   */
  public List<String> votersOf(int partition) {
    try {
      RaftServer.Division d = server.getDivision(groups.id(partition));
      return d.getRaftConf().getCurrentPeers().stream().map(peer -> peer.getId().toString()).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** The state of each partition group this node is a voter of, in partition order. */
  public List<GroupStatus> groupStatus() {
    List<GroupStatus> out = new ArrayList<>();
    for (int p = 0; p < groups.partitions(); p++) {
      if (!groups.isVoter(p, server.getId())) {
        continue;
      }
      RaftServer.Division d;
      try {
        d = server.getDivision(groups.id(p));
      } catch (IOException e) {
        out.add(new GroupStatus(p, "UNKNOWN", "", 0, -1, -1, Map.of(), -1, -1));
        continue;
      }
      DivisionInfo info = d.getInfo();
      Map<String, Long> peers = new TreeMap<>();
      if (info.isLeader()) {
        for (CommitInfoProto c : d.getCommitInfos()) {
          peers.put(RaftPeerId.valueOf(c.getServer().getId()).toString(), c.getCommitIndex());
        }
      }
      RaftPeerId leader = info.getLeaderId();
      TermIndex snapshot = d.getStateMachine().getLatestSnapshot() == null ? null
          : d.getStateMachine().getLatestSnapshot().getTermIndex();
      out.add(new GroupStatus(p, String.valueOf(info.getCurrentRole()), leader == null ? "" : leader.toString(),
          info.getCurrentTerm(), d.getRaftLog().getLastCommittedIndex(), info.getLastAppliedIndex(), peers,
          snapshot == null ? -1 : snapshot.getIndex(), d.getRaftLog().getStartIndex()));
    }
    return out;
  }

  /** Whether this node currently leads {@code partition}'s group. */
  public boolean isLeader(int partition) {
    try {
      return server.getDivision(groups.id(partition)).getInfo().isLeaderReady();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The placement map this node knows: the meta group's, as last applied here (a meta voter) or
   * read from the meta group (every {@code placement.refreshMillis}); at least the initial one.
   * From memory, never blocks.
   */
  public PlacementMap placement() {
    return groups.map();
  }

  /**
   * Starts replacing the voters of nodes that have been absent from {@code liveNodes} for longer
   * than the grace period (ADR 0021); the controller acts only while this node leads the meta
   * group. {@code liveNodes} must answer from memory (the membership's current view).
   */
  public void startPlacementController(Supplier<Set<String>> liveNodes, Clock clock) {
    if (!placementConfig.replaces() && !placementConfig.rebalances()) {
      return;
    }
    controller = new PlacementController(nodeId, server, groups, adminClients, liveNodes, clock, placementConfig,
        this::proposePlacement);
  }

  /** Whether this node leads the meta group. */
  public boolean leadsMetaGroup() {
    try {
      return server.getDivision(PartitionGroups.META_GROUP_ID).getInfo().isLeaderReady();
    } catch (IOException e) {
      return false;
    }
  }

  /** One round on the placement thread: follow the meta group's map, then let the controller act. */
  private void placementTick() {
    if (closed.get()) {
      return;
    }
    try {
      RaftClientReply reply = metaClient.io().sendReadOnly(Message.EMPTY);
      if (reply.isSuccess()) {
        byte[] r = reply.getMessage().getContent().toByteArray();
        if (Reply.tag(r) == Reply.OK) {
          followMap(PlacementMap.parseFrom(Reply.payload(r)));
        }
      }
    } catch (IOException | RuntimeException e) {
      log.debug("node {}: reading the placement map failed: {}", nodeId, e.toString());
    }
    joinTick();
    PlacementController c = controller;
    if (c != null && !closed.get() && leadsMetaGroup()) {
      try {
        c.runOnce();
      } catch (RuntimeException e) {
        log.warn("node {}: placement controller round failed: {}", nodeId, e.toString());
      }
    }
  }

  private void followMap(PlacementMap map) {
    for (int p : groups.update(map)) {
      commandLog.renew(p);
    }
  }

  // ---- node join, meta voters, the map kept on disk (ADR 0029) ----

  /** Where a node keeps the last placement map it knew, in its data directory. */
  static final String MAP_FILE = "placement-map.pb";

  /**
   * The node's gRPC endpoint as gateways and peers reach it ({@code host:port}); a joining node
   * registers itself in the map only once it is known (the RPC server runs).
   */
  public void announce(String endpoint) {
    this.grpcEndpoint = endpoint;
  }

  /** Whether this node is in the map's members: configured, or joined and registered. */
  public boolean isMember() {
    return !joining || groups.map().getJoinedNodesList().stream().anyMatch(j -> j.getNodeId().equals(nodeId));
  }

  /**
   * On the placement thread: keep the known map on disk; a joining node not yet in the map
   * registers itself (compare-and-set on the version; repeated each round until it is in).
   */
  private void joinTick() {
    persistMap();
    if (isMember()) {
      removeStrayGroups();
    }
    if (!metaClientVoters.equals(groups.metaVoterIds())) {
      renewMetaClient();
    }
    if (isMember() || grpcEndpoint == null || closed.get()) {
      return;
    }
    PlacementMap current = groups.map();
    PlacementMap next = current.toBuilder().setVersion(current.getVersion() + 1)
        .addJoinedNodes(JoinNode.newBuilder().setNodeId(nodeId).setRaftHost(self.host())
            .setRaftPort(self.raftPort()).setGrpcEndpoint(grpcEndpoint))
        .build();
    try {
      PlacementUpdateResult r = proposePlacement(PlacementUpdate.newBuilder()
          .setExpectedVersion(current.getVersion()).setMap(next).build());
      log.info("node {}: join: registering in the placement map {} (map version {})", nodeId,
          r.getApplied() ? "done" : "raced with another change; tried again next round", r.getCurrent().getVersion());
    } catch (IOException | RuntimeException e) {
      log.info("node {}: join: registering in the placement map failed (tried again next round): {}", nodeId,
          e.toString());
    }
    persistMap();
  }

  /**
   * A replica of a partition group, or of the meta group, that this node keeps although the map no
   * longer names it a voter is a stray (ADR 0029, ADR 0042); it is removed (Ratis group remove,
   * directory renamed into {@code ratis-removed/}):
   *
   * <ul>
   *   <li>at once when this node saw the map change from naming it a voter of the group to not
   *       (it was moved away or replaced; the configuration change was committed before the map);
   *   <li>at once when its replica was shut down: a candidate that asks voters which no longer
   *       count it in their configuration is told to shut down, and Ratis closes the division but
   *       keeps it registered, so the group cannot be added to this node again until it is removed
   *       (a node replaced while it was down, back with its old replica: ADR 0042);
   *   <li>otherwise (a replica from before a restart that missed the change, or one left over)
   *       once the map has not named this node for {@link #strayAfterMillis} in a row: longer than
   *       a move's catch-up may take, because a new voter being caught up runs the group before the
   *       map names it (and a snapshot it installs may carry the configuration from before it was
   *       added as a listener, so its own configuration cannot tell).
   * </ul>
   */
  private void removeStrayGroups() {
    long now = System.nanoTime();
    Set<RaftGroupId> present = new HashSet<>();
    try {
      server.getGroupIds().forEach(present::add);
    } catch (RuntimeException e) {
      return;
    }
    RaftPeerId me = server.getId();
    Set<Integer> votingNow = groupsVotedIn(me);
    for (int p = META; p < groups.partitions(); p++) {
      RaftGroupId gid = p == META ? PartitionGroups.META_GROUP_ID : groups.id(p);
      if (!present.contains(gid) || votingNow.contains(p)) {
        strayFirstSeen.remove(gid);
        continue;
      }
      boolean left = votedBefore.contains(p);
      boolean shutDown = !divisionAlive(gid);
      long first = strayFirstSeen.computeIfAbsent(gid, k -> now);
      if (!left && !shutDown && now - first < TimeUnit.MILLISECONDS.toNanos(strayAfterMillis())) {
        continue;
      }
      if (!removing.add(gid)) {
        continue; // a removal of this group is under way
      }
      String why = left ? "the map moved its voter away"
          : shutDown ? "its replica was shut down by the group's voters"
          : "the map has not named this node for " + strayAfterMillis() / 1000 + " s";
      String group = p == META ? "meta group" : "partition " + p;
      // Ratis's group remove waits for the division to close before it returns its future: a slow
      // close delays this node's next placement round (ADR 0029, not done).
      server.groupManagementAsync(GroupManagementRequest.newRemove(ClientId.randomId(), me,
          strayCallId.incrementAndGet(), gid, false, true)).whenComplete((reply, e) -> {
            removing.remove(gid);
            log.info("node {}: {}: removed this node's stray replica ({}): {}", nodeId, group, why,
                e != null ? e.toString() : reply.isSuccess() ? "done" : String.valueOf(reply.getException()));
          });
      strayFirstSeen.remove(gid);
    }
    votedBefore = votingNow;
  }

  /** Stands for the meta group among the partition numbers of {@link #removeStrayGroups}. */
  private static final int META = -1;

  /** The partitions the map names {@code me} a voter of, and {@link #META} if it is a meta voter. */
  private Set<Integer> groupsVotedIn(RaftPeerId me) {
    Set<Integer> voting = new HashSet<>();
    for (int p = 0; p < groups.partitions(); p++) {
      if (groups.isVoter(p, me)) {
        voting.add(p);
      }
    }
    if (groups.metaVoterIds().contains(me.toString())) {
      voting.add(META);
    }
    return voting;
  }

  /** False once Ratis has closed this node's division of the group (or it is gone). */
  private boolean divisionAlive(RaftGroupId gid) {
    try {
      return server.getDivision(gid).getInfo().isAlive();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Longer than a move's catch-up may take (the controller gives up after {@code catchUpTimeoutMillis}). */
  private long strayAfterMillis() {
    return Math.max(STRAY_AFTER_MIN_MILLIS, 2 * placementConfig.catchUpTimeoutMillis());
  }

  static final long STRAY_AFTER_MIN_MILLIS = 60_000;
  private final Map<RaftGroupId, Long> strayFirstSeen = new java.util.HashMap<>();
  private final AtomicLong strayCallId = new AtomicLong();
  private final Set<RaftGroupId> removing = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The partitions (and {@link #META}) the map named this node a voter of at the previous round. */
  private Set<Integer> votedBefore;

  private void renewMetaClient() {
    RaftClient old = metaClient;
    RaftGroup meta = groups.meta();
    metaClient = metaClients.apply(meta);
    metaClientVoters = groups.metaVoterIds();
    log.info("node {}: meta group voters are now {}", nodeId, groups.metaVoterIds());
    try {
      old.close();
    } catch (IOException | RuntimeException e) {
      log.debug("closing the old meta client: {}", e.toString());
    }
  }

  private void persistMap() {
    PlacementMap map = groups.map();
    if (map.getVersion() <= persistedVersion) {
      return;
    }
    try {
      Path tmp = mapFile.resolveSibling(MAP_FILE + ".tmp");
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
          java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(map.toByteArray()));
        ch.force(true);
      }
      Files.move(tmp, mapFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      persistedVersion = map.getVersion();
    } catch (IOException e) {
      log.warn("node {}: keeping the placement map version {} on disk failed: {}", nodeId, map.getVersion(),
          e.toString());
    }
  }

  /** The map kept on disk, or null if there is none (or it is unreadable: the meta group has the truth). */
  private static PlacementMap readMap(Path file) {
    if (!Files.exists(file)) {
      return null;
    }
    try {
      return PlacementMap.parseFrom(Files.readAllBytes(file));
    } catch (IOException e) {
      log.warn("the placement map kept in {} is unreadable; starting from the initial map: {}", file, e.toString());
      return null;
    }
  }

  /** How long each rebalancing move of this node's controller took, ms (the latest 1000). */
  public List<Long> moveDurationsMillis() {
    PlacementController c = controller;
    return c == null ? List.of() : c.moveDurationsMillis();
  }

  /** The meta group's voters in its Raft configuration on this node (sorted); empty if it runs no replica. */
  public List<String> metaVoters() {
    try {
      RaftServer.Division d = server.getDivision(PartitionGroups.META_GROUP_ID);
      return d.getRaftConf().getCurrentPeers().stream().map(peer -> peer.getId().toString()).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /**
   * Commits {@code update} to the meta group (compare-and-set on the version); blocking, on the
   * placement thread. Returns the result, the map standing afterwards.
   */
  PlacementUpdateResult proposePlacement(PlacementUpdate update) throws IOException {
    RaftClientReply reply = metaClient.io().send(Message.valueOf(ByteString.copyFrom(update.toByteArray())));
    if (!reply.isSuccess()) {
      throw new IOException("meta group refused the update: " + reply.getException());
    }
    byte[] r = reply.getMessage().getContent().toByteArray();
    if (Reply.tag(r) != Reply.OK) {
      throw new IOException("meta group: invalid update: " + new String(Reply.payload(r), StandardCharsets.UTF_8));
    }
    PlacementUpdateResult result = PlacementUpdateResult.parseFrom(Reply.payload(r));
    followMap(result.getCurrent());
    return result;
  }

  /**
   * Re-admits a retired node to chunk placement (ADR 0028): commits the next map version without it
   * in the retired list. Blocking (a meta-group write); call off event loops and Raft threads.
   *
   * @return the map standing afterwards
   * @throws IllegalArgumentException if the node is not retired in the map this node knows
   * @throws IOException if the meta group did not commit it (no majority, or the map changed
   *     meanwhile: try again)
   */
  public PlacementMap readmitChunkNode(String retiredNodeId) throws IOException {
    PlacementMap current = groups.map();
    PlacementMap next = ChunkRetirement.readmitted(current, retiredNodeId);
    if (next == null) {
      throw new IllegalArgumentException("node " + retiredNodeId + " is not retired in placement map version "
          + current.getVersion());
    }
    PlacementUpdateResult result = proposePlacement(PlacementUpdate.newBuilder()
        .setExpectedVersion(current.getVersion()).setMap(next).build());
    if (!result.getApplied()) {
      throw new IOException("the placement map changed meanwhile (now version " + result.getCurrent().getVersion()
          + "); try again");
    }
    log.info("node {}: placement: {} re-admitted to chunk placement; map version {}", nodeId, retiredNodeId,
        next.getVersion());
    return result.getCurrent();
  }

  /** Closes the clients, then the server (every division). Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    placementThread.shutdownNow();
    try {
      placementThread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      metaClient.close();
    } catch (IOException | RuntimeException e) {
      log.debug("closing the meta client: {}", e.toString());
    }
    commandLog.close();
    leaderWatch.close();
    try {
      server.close();
    } catch (IOException e) {
      log.warn("node {}: closing the Raft server reported: {}", nodeId, e.toString());
    }
    log.info("node {}: Raft server stopped", nodeId);
  }
}
