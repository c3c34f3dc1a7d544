package io.cobalt.node;

import static io.cobalt.node.partition.Records.container;
import static io.cobalt.node.partition.Records.create;
import static io.cobalt.node.partition.Records.getContainer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.consensus.PlacementConfig;
import io.cobalt.node.consensus.RaftSettings;
import io.cobalt.node.membership.MembershipConfig;
import io.cobalt.node.rpc.RpcServerConfig;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.JoinNode;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.QueryResult;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes in one JVM (Raft over mutual TLS, Hazelcast membership), ADR 0029: a node that is not in
 * the configured peers joins, registers in the placement map and is given partition voters one
 * move at a time until the loads are even, while writes go on; a gone meta voter is replaced and
 * the meta group's new voters survive a restart.
 */
class NodeJoinClusterTest {
  private static final int MAX_NODES = 4;
  private static final int PARTITIONS = 8;
  private static final String ACCOUNT = "acct";
  private static final long GRACE_MILLIS = 15_000;
  private static final List<TlsMaterial> NODE_TLS = new ArrayList<>();
  private static TlsMaterial clientTls;
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path data;
  /** Every node's peer entry; the configured peers are the first {@code configured}. */
  private final List<ClusterPeer> peers = new ArrayList<>();
  private int configured;
  private final NodeServer[] nodes = new NodeServer[MAX_NODES];
  private final int[] grpcPorts = new int[MAX_NODES];
  private final int[] hazelcastPorts = new int[MAX_NODES];
  private final Map<Integer, ManagedChannel> channels = new ConcurrentHashMap<>();

  @BeforeAll
  static void certificates() {
    ClusterCa ca = ClusterCa.create("join-test", new SecureRandom());
    for (int i = 0; i < MAX_NODES; i++) {
      NODE_TLS.add(TlsMaterial.of(ca.issue("node-" + i, List.of("localhost"), List.of("127.0.0.1"))));
    }
    clientTls = TlsMaterial.of(ca.issue("gateway", List.of("localhost"), List.of("127.0.0.1")));
  }

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel c : channels.values()) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (NodeServer n : nodes) {
      if (n != null) {
        n.close();
      }
    }
  }

  private void ports(int total, int configuredNodes) throws IOException {
    configured = configuredNodes;
    for (int i = 0; i < total; i++) {
      peers.add(new ClusterPeer("node-" + i, "127.0.0.1", ListenPorts.next()));
      grpcPorts[i] = ListenPorts.next();
      hazelcastPorts[i] = ListenPorts.next();
    }
  }

  /** Node {@code i}: configured with the first {@code configured} peers (a node beyond them joins). */
  private NodeServer startNode(int i, PlacementConfig placement) throws IOException {
    ClusterPeer self = peers.get(i);
    List<String> members = new ArrayList<>();
    for (int k = 0; k < configured; k++) {
      members.add("127.0.0.1:" + hazelcastPorts[k]);
    }
    if (i >= configured) {
      members.add("127.0.0.1:" + hazelcastPorts[i]);
    }
    MembershipConfig membership = MembershipConfig.tcpIp("join-test", "127.0.0.1", hazelcastPorts[i], members,
        "zone-" + i).withFailureDetection(1, 5);
    return NodeServer.start(new NodeConfig(self.nodeId(), data.resolve(self.nodeId()), "127.0.0.1", grpcPorts[i],
            PARTITIONS, NODE_TLS.get(i), self.raftPort(), peers.subList(0, configured), membership)
            .withPlacement(placement),
        RocksStorageConfig.defaults(), RpcServerConfig.defaults(self.nodeId(), "127.0.0.1", grpcPorts[i]),
        RaftSettings.defaults().withFrequentSnapshots(20));
  }

  private void startInParallel(PlacementConfig placement, int... which) throws Exception {
    ExecutorService starters = Executors.newFixedThreadPool(which.length);
    try {
      List<Future<NodeServer>> started = new ArrayList<>();
      for (int i : which) {
        started.add(starters.submit(() -> startNode(i, placement)));
      }
      Exception failed = null;
      for (int k = 0; k < which.length; k++) {
        try {
          nodes[which[k]] = started.get(k).get(120, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
          failed = failed == null ? e : failed;
        }
      }
      if (failed != null) {
        throw failed;
      }
    } finally {
      starters.shutdown();
    }
  }


  private ManagedChannel channel(int node) {
    return channels.computeIfAbsent(node, n -> Grpc.newChannelBuilderForAddress("127.0.0.1", grpcPorts[n],
        TlsChannelCredentials.newBuilder().keyManager(clientTls.keyManagers()).trustManager(clientTls.trustManagers())
            .build()).build());
  }

  private CommandResult submit(int node, MetadataCommand command) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return MetadataServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(10, TimeUnit.SECONDS)
            .submit(command);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
      }
    }
  }

  private static ContainerRecord containerNo(int n) {
    return container(ACCOUNT, "c" + n, 1000 + n);
  }

  private static void await(BooleanSupplier condition, long seconds, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out after " + seconds + " s waiting for: " + what);
      }
      Thread.sleep(100);
    }
  }

  private static int index(String nodeId) {
    return Integer.parseInt(nodeId.substring("node-".length()));
  }

  private static Map<String, Integer> load(PlacementMap m) {
    Map<String, Integer> load = new TreeMap<>();
    m.getPartitionsList().forEach(v -> v.getNodeIdsList().forEach(id -> load.merge(id, 1, Integer::sum)));
    return load;
  }

  private void writeInitial(int written, int via) throws Exception {
    ExecutorService writers = Executors.newFixedThreadPool(8);
    try {
      List<Future<CommandResult>> acks = new ArrayList<>();
      for (int n = 0; n < written; n++) {
        int k = n;
        acks.add(writers.submit(() -> submit(k % via, create(k % PARTITIONS, containerNo(k)))));
      }
      for (Future<CommandResult> ack : acks) {
        assertEquals(CommandStatus.OK, ack.get(60, TimeUnit.SECONDS).getStatus());
      }
    } finally {
      writers.shutdownNow();
    }
  }

  /** Every acknowledged container is readable through {@code via} and on each voter's own replica. */
  private void assertReadable(List<Integer> acked, PlacementMap map, int via) throws InterruptedException {
    for (int n : acked) {
      int p = n % PARTITIONS;
      ContainerRecord c = containerNo(n);
      QueryResult r = MetadataServiceGrpc.newBlockingStub(channel(via)).withDeadlineAfter(10, TimeUnit.SECONDS)
          .query(getContainer(p, ACCOUNT, c.getName()));
      assertEquals(1, r.getContainersCount(), c.getName() + " is readable");
      for (String id : map.getPartitions(p).getNodeIdsList()) {
        NodeServer voter = nodes[index(id)];
        await(() -> voter.queryLocalReplica(getContainer(p, ACCOUNT, c.getName())).getContainersCount() == 1, 30,
            c.getName() + " on " + id + "'s own replica");
      }
    }
  }

  @Test
  void aJoiningNodeIsRegisteredAndGivenPartitionsUntilTheLoadsAreEvenWhileWritesGoOn() throws Exception {
    ports(4, 3);
    // Rebalancing at every round (0.5 s): the test measures how long one move takes.
    PlacementConfig placement = PlacementConfig.defaults().withRefreshMillis(500).withReplaceAfterMillis(GRACE_MILLIS)
        .withRebalanceIntervalMillis(500);
    startInParallel(placement, 0, 1, 2);
    for (int i = 0; i < 3; i++) {
      NodeServer n = nodes[i];
      await(() -> n.membership().orElseThrow().members().size() == 3, 60, n.nodeId() + " sees every member");
      assertTrue(n.awaitMetadataLeaders(Duration.ofSeconds(30)), n.nodeId() + ": every partition has a leader");
    }
    PlacementMap initial = nodes[0].placement();
    assertEquals(Map.of("node-0", 8, "node-1", 8, "node-2", 8), load(initial), "3 nodes vote everywhere");
    int written = 160;
    writeInitial(written, 3);

    // Writes go on through the configured nodes while the fourth joins and partitions move.
    List<Integer> acked = Collections.synchronizedList(new ArrayList<>());
    for (int n = 0; n < written; n++) {
      acked.add(n);
    }
    AtomicBoolean writing = new AtomicBoolean(true);
    List<String> writeFailures = Collections.synchronizedList(new ArrayList<>());
    ExecutorService writer = Executors.newSingleThreadExecutor();
    Future<?> writes = writer.submit(() -> {
      for (int n = 10_000; writing.get(); n++) {
        try {
          // With a submit id, as the gateway sends it (ADR 0024): a retry after a lost reply is
          // answered with the first attempt's result, not ALREADY_EXISTS.
          byte[] id = new byte[16];
          RANDOM.nextBytes(id);
          CommandResult r = submit(n % 3, create(n % PARTITIONS, containerNo(n)).toBuilder()
              .setSubmitId(com.google.protobuf.ByteString.copyFrom(id)).setSubmitEpochMillis(System.currentTimeMillis())
              .build());
          if (r.getStatus() == CommandStatus.OK) {
            acked.add(n);
          } else {
            writeFailures.add(n + ": " + r.getStatus());
          }
        } catch (StatusRuntimeException e) {
          writeFailures.add(n + ": " + e.getStatus());
        }
      }
    });

    long joinStart = System.nanoTime();
    startInParallel(placement, 3);
    NodeServer joined = nodes[3];
    for (int i = 0; i < 4; i++) {
      NodeServer n = nodes[i];
      await(() -> n.placement().getJoinedNodesList().stream().anyMatch(j -> j.getNodeId().equals("node-3")), 60,
          n.nodeId() + " knows node-3 joined");
    }
    JoinNode registered = nodes[0].placement().getJoinedNodes(0);
    assertEquals(peers.get(3).raftPort(), registered.getRaftPort());
    assertEquals("127.0.0.1:" + grpcPorts[3], registered.getGrpcEndpoint());
    long registeredAt = System.nanoTime();

    // The controller moves voters to node-3 until the loads differ by at most 1: 6 each.
    await(() -> load(nodes[0].placement()).equals(Map.of("node-0", 6, "node-1", 6, "node-2", 6, "node-3", 6)), 240,
        "the voters are spread evenly: " + load(nodes[0].placement()));
    long balanced = System.nanoTime();
    PlacementMap after = nodes[0].placement();
    // One version for the registration, one per move (6 moves onto the empty node).
    assertEquals(initial.getVersion() + 1 + 6, after.getVersion(), "registration and six moves");
    for (int i = 0; i < 4; i++) {
      NodeServer n = nodes[i];
      await(() -> n.placement().equals(after), 30, n.nodeId() + " knows map version " + after.getVersion());
    }
    for (int p = 0; p < PARTITIONS; p++) {
      int part = p;
      TreeSet<String> expected = new TreeSet<>(after.getPartitions(p).getNodeIdsList());
      for (String id : expected) {
        NodeServer voter = nodes[index(id)];
        await(() -> expected.equals(new TreeSet<>(voter.raftVotersOf(part))), 30,
            "partition " + p + ": " + id + "'s Raft configuration is the map's");
      }
    }
    Thread.sleep(1_000); // writes on the final voter sets
    writing.set(false);
    writes.get(60, TimeUnit.SECONDS);
    writer.shutdown();
    assertEquals(List.of(), writeFailures, "every write during the moves was acknowledged");

    List<Long> moves = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      moves.addAll(nodes[i].placementMoveMillis());
    }
    System.out.printf("join: node-3 registered %d ms after its start; voters even %d ms after registration; "
            + "%d moves, each %s ms (group add, listener catch-up, joint-consensus swap, map commit); "
            + "%d writes acknowledged meanwhile%n", (registeredAt - joinStart) / 1_000_000,
        (balanced - registeredAt) / 1_000_000, moves.size(), moves, acked.size() - written);
    assertEquals(6, moves.size(), "six moves");

    // Everything acknowledged is readable, through the joined node too, and on each voter's replica.
    List<Integer> all;
    synchronized (acked) {
      all = new ArrayList<>(acked);
    }
    assertReadable(all, after, 3);
    // The moved-away voters dropped their replicas of the moved groups (the group's directory renamed).
    for (int p = 0; p < PARTITIONS; p++) {
      for (String id : initial.getPartitions(p).getNodeIdsList()) {
        if (!after.getPartitions(p).getNodeIdsList().contains(id)) {
          int part = p;
          NodeServer old = nodes[index(id)];
          await(() -> old.raftVotersOf(part).isEmpty(), 30, id + " no longer runs partition " + p);
        }
      }
    }
  }

  @Test
  void aGoneMetaVoterIsReplacedAndTheMetaGroupsNewVotersSurviveARestart() throws Exception {
    ports(4, 4);
    PlacementConfig placement = PlacementConfig.defaults().withRefreshMillis(500).withReplaceAfterMillis(GRACE_MILLIS)
        .withRebalanceIntervalMillis(500);
    startInParallel(placement, 0, 1, 2, 3);
    for (NodeServer n : nodes) {
      await(() -> n.membership().orElseThrow().members().size() == 4, 60, n.nodeId() + " sees every member");
      assertTrue(n.awaitMetadataLeaders(Duration.ofSeconds(30)), n.nodeId() + ": every partition has a leader");
    }
    writeInitial(80, 4);
    List<String> metaVoters = new ArrayList<>();
    String spare = null;
    for (NodeServer n : nodes) {
      if (n.raftMetaVoters().isEmpty()) {
        spare = n.nodeId();
      } else {
        metaVoters = n.raftMetaVoters();
      }
    }
    assertEquals(3, metaVoters.size());
    assertTrue(spare != null, "one node is no meta voter");
    // A meta voter that does not lead the meta group goes away past the grace period.
    String victimId = null;
    for (String id : metaVoters) {
      if (!nodes[index(id)].leadsMetaGroup()) {
        victimId = id;
        break;
      }
    }
    assertTrue(victimId != null);
    int victim = index(victimId);
    long lost = System.nanoTime();
    nodes[victim].close();
    nodes[victim] = null;

    List<String> expectedMeta = new ArrayList<>(metaVoters);
    expectedMeta.set(expectedMeta.indexOf(victimId), spare);
    TreeSet<String> expectedSet = new TreeSet<>(expectedMeta);
    String gone = victimId;
    for (NodeServer n : nodes) {
      if (n != null) {
        await(() -> new TreeSet<>(n.placement().getMetaVotersList()).equals(expectedSet)
            && n.placement().getPartitionsList().stream().noneMatch(v -> v.getNodeIdsList().contains(gone)), 120,
            n.nodeId() + " knows the new meta voters " + expectedSet + " and a map without " + gone);
      }
    }
    System.out.printf("meta: %s replaced by %s; meta voters and partitions replaced %d ms after it left (grace %d ms)%n",
        victimId, spare, (System.nanoTime() - lost) / 1_000_000, GRACE_MILLIS);
    NodeServer newMeta = nodes[index(spare)];
    await(() -> expectedSet.equals(new TreeSet<>(newMeta.raftMetaVoters())), 30,
        spare + "'s meta group configuration is the new voter set");
    PlacementMap after = newMeta.placement();

    // A restart of the remaining nodes: the meta group comes back with its new voters (stored
    // configuration, and every node's copy of the map names them), the map is kept, writes work.
    List<Integer> survivors = new ArrayList<>();
    for (int i = 0; i < MAX_NODES; i++) {
      if (nodes[i] != null) {
        survivors.add(i);
        nodes[i].close();
        nodes[i] = null;
      }
    }
    startInParallel(placement, survivors.stream().mapToInt(Integer::intValue).toArray());
    for (int i : survivors) {
      NodeServer n = nodes[i];
      await(() -> n.placement().equals(after), 60, n.nodeId() + " knows map version " + after.getVersion());
      if (expectedSet.contains(n.nodeId())) {
        await(() -> expectedSet.equals(new TreeSet<>(n.raftMetaVoters())), 60,
            n.nodeId() + ": meta group configuration after the restart");
      }
    }
    await(() -> survivors.stream().anyMatch(i -> nodes[i].leadsMetaGroup()), 60, "the meta group has a leader");
    List<Integer> acked = new ArrayList<>();
    for (int n = 0; n < 80; n++) {
      acked.add(n);
    }
    for (int p = 0; p < PARTITIONS; p++) {
      assertEquals(CommandStatus.OK, submit(survivors.get(0), create(p, containerNo(5000 + p))).getStatus());
      acked.add(5000 + p);
    }
    assertReadable(acked, after, survivors.get(1));
    assertFalse(after.getMetaVotersList().contains(victimId));
  }
}
