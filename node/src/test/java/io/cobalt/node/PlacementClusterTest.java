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
import io.cobalt.proto.node.v1.GetNodeStatusRequest;
import io.cobalt.proto.node.v1.GetPlacementRequest;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.NodeAdminGrpc;
import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.PlacementServiceGrpc;
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
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four nodes in one JVM (Raft over mutual TLS, Hazelcast membership): the meta group's placement
 * map starts as the rendezvous choice, and a node that stays away past the grace period has its
 * voters replaced on the fourth node, which catches up and serves (ADR 0021).
 */
class PlacementClusterTest {
  private static final int NODES = 4;
  private static final int PARTITIONS = 8;
  private static final String ACCOUNT = "acct";
  // Longer than the cluster takes to start and join (the meta leader counts a node absent from its
  // first round on), short enough for a test.
  private static final long GRACE_MILLIS = 15_000;
  private static final List<TlsMaterial> NODE_TLS = new ArrayList<>();
  private static TlsMaterial clientTls;

  @TempDir Path data;
  private final List<ClusterPeer> peers = new ArrayList<>();
  private final NodeServer[] nodes = new NodeServer[NODES];
  private final int[] grpcPorts = new int[NODES];
  private final int[] hazelcastPorts = new int[NODES];
  private final Map<Integer, ManagedChannel> channels = new ConcurrentHashMap<>();

  @BeforeAll
  static void certificates() {
    ClusterCa ca = ClusterCa.create("placement-test", new SecureRandom());
    for (int i = 0; i < NODES; i++) {
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

  private NodeServer startNode(int i) throws IOException {
    ClusterPeer self = peers.get(i);
    List<String> members = new ArrayList<>();
    for (int port : hazelcastPorts) {
      members.add("127.0.0.1:" + port);
    }
    MembershipConfig membership = MembershipConfig.tcpIp("placement-test", "127.0.0.1", hazelcastPorts[i], members,
        "zone-" + i).withFailureDetection(1, 5);
    // Rebalancing off: this test is about replacement (NodeJoinClusterTest covers moves to a new node).
    PlacementConfig placement = PlacementConfig.defaults().withRefreshMillis(500).withReplaceAfterMillis(GRACE_MILLIS)
        .withRebalanceIntervalMillis(0);
    return NodeServer.start(new NodeConfig(self.nodeId(), data.resolve(self.nodeId()), "127.0.0.1", grpcPorts[i],
            PARTITIONS, NODE_TLS.get(i), self.raftPort(), peers, membership).withPlacement(placement),
        RocksStorageConfig.defaults(), RpcServerConfig.defaults(self.nodeId(), "127.0.0.1", grpcPorts[i]),
        RaftSettings.defaults().withFrequentSnapshots(20));
  }

  /**
   * Starts the nodes {@code which} in parallel: one after another, four node start-ups take most of
   * a minute on a loaded 2-CPU machine.
   */
  private void startInParallel(int... which) throws Exception {
    ExecutorService starters = Executors.newFixedThreadPool(which.length);
    try {
      List<Future<NodeServer>> started = new ArrayList<>();
      for (int i : which) {
        started.add(starters.submit(() -> startNode(i)));
      }
      Exception failed = null;
      for (int k = 0; k < which.length; k++) {
        try {
          nodes[which[k]] = started.get(k).get(120, TimeUnit.SECONDS); // kept for stop() even if another failed
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

  /** Free ports for every node, all of them started, each seeing every member and every partition led. */
  private void startCluster() throws Exception {
    for (int i = 0; i < NODES; i++) {
      peers.add(new ClusterPeer("node-" + i, "127.0.0.1", ListenPorts.next()));
      grpcPorts[i] = ListenPorts.next();
      hazelcastPorts[i] = ListenPorts.next();
    }
    startInParallel(0, 1, 2, 3);
    for (NodeServer n : nodes) {
      await(() -> n.membership().orElseThrow().members().size() == NODES, 60, n.nodeId() + " sees every member");
      assertTrue(n.awaitMetadataLeaders(Duration.ofSeconds(30)), n.nodeId() + ": every partition has a leader");
    }
  }

  @Test
  void aNodeAbsentPastTheGracePeriodHasItsVotersReplacedAndTheDataStaysReadable() throws Exception {
    startCluster();
    // The initial map is the rendezvous choice, version 1, as every node and the RPC tell.
    PlacementMap initial = nodes[0].placement();
    assertEquals(1, initial.getVersion());
    assertEquals(PARTITIONS, initial.getPartitionsCount());
    for (int i = 0; i < NODES; i++) {
      assertEquals(initial, PlacementServiceGrpc.newBlockingStub(channel(i)).withDeadlineAfter(10, TimeUnit.SECONDS)
          .getPlacement(GetPlacementRequest.getDefaultInstance()));
    }
    for (int p = 0; p < PARTITIONS; p++) {
      List<String> voters = initial.getPartitions(p).getNodeIdsList();
      assertEquals(3, voters.size());
      for (String id : voters) {
        int i = Integer.parseInt(id.substring("node-".length()));
        assertEquals(new TreeSet<>(voters), new TreeSet<>(nodes[i].raftVotersOf(p)),
            "partition " + p + ": the Raft configuration is the map's");
      }
    }

    // Acknowledged writes in every partition, through every node (a non-voter forwards too).
    // (8 at a time: enough entries for every partition to take a snapshot, so a new voter installs one)
    int written = 160;
    ExecutorService writers = Executors.newFixedThreadPool(8);
    try {
      List<Future<CommandResult>> acks = new ArrayList<>();
      for (int n = 0; n < written; n++) {
        int k = n;
        acks.add(writers.submit(() -> submit(k % NODES, create(k % PARTITIONS, containerNo(k)))));
      }
      for (Future<CommandResult> ack : acks) {
        assertEquals(CommandStatus.OK, ack.get(60, TimeUnit.SECONDS).getStatus());
      }
    } finally {
      writers.shutdownNow();
    }

    // A node goes away for longer than the grace period.
    int victim = 3;
    String victimId = "node-" + victim;
    List<Integer> victimPartitions = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      if (initial.getPartitions(p).getNodeIdsList().contains(victimId)) {
        victimPartitions.add(p);
      }
    }
    assertFalse(victimPartitions.isEmpty(), "the victim votes somewhere");
    // A meta voter's loss costs one map version more: its meta-group replacement (ADR 0029).
    boolean victimWasMetaVoter = false;
    for (NodeServer n : nodes) {
      victimWasMetaVoter |= n.raftMetaVoters().contains(victimId);
    }
    long lost = System.nanoTime();
    nodes[victim].close();
    nodes[victim] = null;

    // Writes keep working meanwhile (2 of 3 voters everywhere).
    for (int p = 0; p < PARTITIONS; p++) {
      int n = 1000 + p;
      assertEquals(CommandStatus.OK, submit(0, create(p, containerNo(n))).getStatus());
    }

    // Every survivor learns a map in which the victim votes nowhere.
    for (int i = 0; i < victim; i++) {
      NodeServer n = nodes[i];
      await(() -> n.placement().getPartitionsList().stream().noneMatch(v -> v.getNodeIdsList().contains(victimId)),
          90, n.nodeId() + " knows a map without " + victimId);
    }
    long replaced = System.nanoTime();
    PlacementMap after = nodes[0].placement();
    System.out.printf("%s's %d partitions replaced %d ms after it left (grace %d ms); map version %d%n", victimId,
        victimPartitions.size(), (replaced - lost) / 1_000_000, GRACE_MILLIS, after.getVersion());
    assertEquals(1 + victimPartitions.size() + (victimWasMetaVoter ? 1 : 0), after.getVersion(),
        "one map version per replaced partition (and one for the meta group if the victim voted there)");
    for (int p = 0; p < PARTITIONS; p++) {
      List<String> before = initial.getPartitions(p).getNodeIdsList();
      List<String> now = after.getPartitions(p).getNodeIdsList();
      if (!victimPartitions.contains(p)) {
        assertEquals(before, now, "partition " + p + " without the victim is untouched");
        continue;
      }
      // With 4 nodes and 3 voters the only live non-voter is the one that takes the victim's place.
      String spare = peers.stream().map(ClusterPeer::nodeId).filter(id -> !before.contains(id)).findFirst()
          .orElseThrow();
      List<String> expected = new ArrayList<>(before);
      expected.set(expected.indexOf(victimId), spare);
      assertEquals(expected, now, "partition " + p);
      int spareNode = Integer.parseInt(spare.substring("node-".length()));
      int part = p;
      await(() -> new TreeSet<>(expected).equals(new TreeSet<>(nodes[spareNode].raftVotersOf(part))), 30,
          "partition " + p + ": " + spare + "'s Raft configuration is the new voter set");
    }

    // Writes keep working on the new voter sets, and everything written before is there, on the
    // new voter's own replica too.
    for (int p = 0; p < PARTITIONS; p++) {
      int n = 2000 + p;
      assertEquals(CommandStatus.OK, submit(1, create(p, containerNo(n))).getStatus());
    }
    List<Integer> all = new ArrayList<>();
    for (int n = 0; n < written; n++) {
      all.add(n);
    }
    for (int p = 0; p < PARTITIONS; p++) {
      all.add(1000 + p);
      all.add(2000 + p);
    }
    for (int n : all) {
      int p = n % PARTITIONS;
      ContainerRecord c = containerNo(n);
      QueryResult r = MetadataServiceGrpc.newBlockingStub(channel(0)).withDeadlineAfter(10, TimeUnit.SECONDS)
          .query(getContainer(p, ACCOUNT, c.getName()));
      assertEquals(1, r.getContainersCount(), c.getName() + " is readable");
      for (String id : after.getPartitions(p).getNodeIdsList()) {
        NodeServer voter = nodes[Integer.parseInt(id.substring("node-".length()))];
        await(() -> voter.queryLocalReplica(getContainer(p, ACCOUNT, c.getName())).getContainersCount() == 1, 30,
            c.getName() + " on " + id + "'s own replica");
      }
    }

    // The node admin status reports the map version.
    NodeStatus status = NodeAdminGrpc.newBlockingStub(channel(1)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getNodeStatus(GetNodeStatusRequest.getDefaultInstance());
    assertEquals(after.getVersion(), status.getPlacementVersion());
    assertEquals(after, status.getPlacement());

    // A restart of the whole (remaining) cluster keeps the map (meta group log and snapshot) and
    // the new voter sets (the groups' stored configurations); the data is still all there.
    for (int i = 0; i < victim; i++) {
      nodes[i].close();
      nodes[i] = null;
    }
    startInParallel(0, 1, 2);
    for (int i = 0; i < victim; i++) {
      NodeServer n = nodes[i];
      await(() -> n.placement().equals(after), 60, n.nodeId() + " knows map version " + after.getVersion()
          + " after the restart");
    }
    for (int p = 0; p < PARTITIONS; p++) {
      assertEquals(CommandStatus.OK, submit(2, create(p, containerNo(3000 + p))).getStatus());
      all.add(3000 + p);
      for (String id : after.getPartitions(p).getNodeIdsList()) {
        int part = p;
        NodeServer voter = nodes[Integer.parseInt(id.substring("node-".length()))];
        assertEquals(new TreeSet<>(after.getPartitions(p).getNodeIdsList()), new TreeSet<>(voter.raftVotersOf(part)),
            "partition " + p + " on " + id + " after the restart");
      }
    }
    for (int n : all) {
      ContainerRecord c = containerNo(n);
      QueryResult r = MetadataServiceGrpc.newBlockingStub(channel(2)).withDeadlineAfter(10, TimeUnit.SECONDS)
          .query(getContainer(n % PARTITIONS, ACCOUNT, c.getName()));
      assertEquals(1, r.getContainersCount(), c.getName() + " is readable after the restart");
    }
  }

  /**
   * The chaos suite's finding (docs/chaos.md, ChaosOpsIT runs): a meta voter that is replaced while
   * it is down comes back with its old replica of the meta group; when another meta voter is then
   * lost and the returned node is the only candidate, the meta group must take it back and have 3
   * voters again, within a bound.
   */
  @Test
  void aReturnedNodeWithAStaleMetaReplicaCanReplaceTheNextLostMetaVoter() throws Exception {
    startCluster();
    for (int n = 0; n < 40; n++) {
      assertEquals(CommandStatus.OK, submit(n % NODES, create(n % PARTITIONS, containerNo(n))).getStatus());
    }
    List<String> meta = List.of();
    for (NodeServer n : nodes) {
      meta = n.raftMetaVoters().isEmpty() ? meta : n.raftMetaVoters(); // only a meta voter runs the group
    }
    assertEquals(3, meta.size(), "meta voters " + meta);
    int first = Integer.parseInt(meta.get(meta.size() - 1).substring("node-".length()));

    // The first meta voter goes away past the grace period: the spare takes its place.
    nodes[first].close();
    nodes[first] = null;
    String firstId = "node-" + first;
    int witness = first == 0 ? 1 : 0;
    System.out.println("meta voters at the start: " + meta + "; map's: " + nodes[witness].placement().getMetaVotersList());
    await(() -> !nodes[witness].placement().getMetaVotersList().contains(firstId)
            && nodes[witness].placement().getMetaVotersCount() == 3, 120,
        "the meta group replaces " + firstId);
    List<String> metaWithout = List.copyOf(nodes[witness].placement().getMetaVotersList());
    System.out.println("meta voters after " + firstId + " was replaced: " + metaWithout);

    // It comes back with its replica of the meta group from before the replacement.
    startInParallel(first);
    await(() -> nodes[first].placement().getVersion() == nodes[witness].placement().getVersion(), 60,
        firstId + " follows the map again");

    // Another meta voter goes away: the returned node is the only live non-voter, so it must
    // become a meta voter again.
    int second = -1;
    for (String id : metaWithout) {
      int i = Integer.parseInt(id.substring("node-".length()));
      if (i != witness) {
        second = i;
        break;
      }
    }
    int secondNode = second;
    String secondId = "node-" + second;
    long lost = System.nanoTime();
    nodes[second].close();
    nodes[second] = null;
    await(() -> {
      List<String> v = nodes[witness].placement().getMetaVotersList();
      return v.size() == 3 && v.contains(firstId) && !v.contains(secondId);
    }, 150, "the meta group takes " + firstId + " back in place of " + secondId);
    System.out.printf("meta group: %s replaced %s %d ms after it was lost (grace %d ms)%n", firstId, secondId,
        (System.nanoTime() - lost) / 1_000_000, GRACE_MILLIS);
    List<String> expected = nodes[witness].placement().getMetaVotersList();
    await(() -> new TreeSet<>(expected).equals(new TreeSet<>(nodes[first].raftMetaVoters())), 30,
        firstId + "'s Raft configuration of the meta group is the map's");
    // The map still changes through the new meta group: a partition write and a map-driven step work.
    for (int p = 0; p < PARTITIONS; p++) {
      assertEquals(CommandStatus.OK, submit(witness, create(p, containerNo(500 + p))).getStatus());
    }
    assertTrue(secondNode >= 0);
  }
}
