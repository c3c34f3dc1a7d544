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
import io.cobalt.node.consensus.GroupStatus;
import io.cobalt.node.consensus.RaftSettings;
import io.cobalt.node.rpc.RpcServerConfig;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.EntityBatch;
import io.cobalt.proto.node.v1.EntityBatchOperation;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.GetEntity;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutEntity;
import io.cobalt.node.partition.PartitionStateMachine;
import com.google.protobuf.ByteString;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes in one JVM, each a voter of every partition's Raft group, over real sockets with
 * mutual TLS; clients are the nodes' gRPC MetadataService, as the gateway uses it.
 */
class RaftClusterTest {
  private static final int PARTITIONS = 8;
  private static final String ACCOUNT = "acct";
  private static final List<TlsMaterial> NODE_TLS = new ArrayList<>();
  private static TlsMaterial clientTls;

  @TempDir Path data;
  private final List<ClusterPeer> peers = new ArrayList<>();
  private final NodeServer[] nodes = new NodeServer[3];
  private final int[] grpcPorts = new int[3];
  private final Map<String, ManagedChannel> channels = new HashMap<>();
  private RaftSettings raftSettings = RaftSettings.defaults();

  @BeforeAll
  static void certificates() {
    ClusterCa ca = ClusterCa.create("raft-test", new SecureRandom());
    for (int i = 0; i < 3; i++) {
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

  private void startCluster() throws Exception {
    for (int i = 0; i < 3; i++) {
      peers.add(new ClusterPeer("node-" + i, "127.0.0.1", ListenPorts.next()));
      grpcPorts[i] = ListenPorts.next();
    }
    for (int i = 0; i < 3; i++) {
      nodes[i] = startNode(i);
    }
  }

  private NodeServer startNode(int i) throws IOException {
    ClusterPeer self = peers.get(i);
    return NodeServer.start(new NodeConfig(self.nodeId(), data.resolve(self.nodeId()), "127.0.0.1", grpcPorts[i],
        PARTITIONS, NODE_TLS.get(i), self.raftPort(), peers), RocksStorageConfig.defaults(),
        RpcServerConfig.defaults(self.nodeId(), "127.0.0.1", grpcPorts[i]), raftSettings);
  }


  private MetadataServiceGrpc.MetadataServiceBlockingStub metadata(int node) {
    ManagedChannel c = channels.computeIfAbsent("node-" + node, id -> Grpc.newChannelBuilderForAddress(
            "127.0.0.1", grpcPorts[node], TlsChannelCredentials.newBuilder()
                .keyManager(clientTls.keyManagers()).trustManager(clientTls.trustManagers()).build())
        .build());
    return MetadataServiceGrpc.newBlockingStub(c).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** Submits through {@code node}, retrying UNAVAILABLE until {@code deadline} (as the gateway would). */
  private CommandResult submit(int node, MetadataCommand command, long deadlineNanos) {
    while (true) {
      try {
        return metadata(node).submit(command);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadlineNanos) {
          throw e;
        }
      }
    }
  }

  private static ContainerRecord containerNo(int n) {
    return container(ACCOUNT, "c" + n, 1000 + n);
  }

  private static int partitionOf(int n) {
    return n % PARTITIONS;
  }

  private static long threads() {
    return Thread.getAllStackTraces().size();
  }

  @Test
  void writesAndLinearizableReadsContinueWhenAnyOneNodeIsLostAndTheNodeCatchesUpOnReturn() throws Exception {
    long t0 = System.nanoTime();
    startCluster();
    for (NodeServer n : nodes) {
      assertTrue(n.awaitMetadataLeaders(Duration.ofSeconds(30)), "every group elects a leader");
    }
    System.out.printf("3 nodes x %d groups: all leaders after %d ms; %d JVM threads; common pool parallelism %d%n",
        PARTITIONS, ms(System.nanoTime() - t0), threads(), java.util.concurrent.ForkJoinPool.getCommonPoolParallelism());

    // Acknowledged writes, through every node in turn (any voter serves any partition).
    Map<Integer, ContainerRecord> acknowledged = new LinkedHashMap<>();
    long[] latencies = new long[160];
    for (int n = 0; n < latencies.length; n++) {
      ContainerRecord c = containerNo(n);
      long s = System.nanoTime();
      CommandResult r = submit(n % 3, create(partitionOf(n), c), System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
      latencies[n] = System.nanoTime() - s;
      assertEquals(CommandStatus.OK, r.getStatus());
      acknowledged.put(n, c);
    }
    long[] warm = Arrays.copyOfRange(latencies, 32, latencies.length); // the first calls warm up JIT and channels
    Arrays.sort(warm);
    System.out.printf("metadata write through gRPC + Raft, one at a time: p50 %.2f ms, p90 %.2f ms (%d writes after 32)%n",
        warm[warm.length / 2] / 1e6, warm[warm.length * 9 / 10] / 1e6, warm.length);
    // A second create of the same name is refused by the state machine, on the leader's apply.
    assertEquals(CommandStatus.ALREADY_EXISTS,
        submit(1, create(partitionOf(0), containerNo(0)), System.nanoTime() + TimeUnit.SECONDS.toNanos(10)).getStatus());

    // Lose the node that leads the most groups (closing it, with its RocksDB).
    int victim = nodeLeadingMostGroups();
    int survivor = (victim + 1) % 3;
    int lastBeforeLoss = latencies.length;
    acknowledged.put(lastBeforeLoss, containerNo(lastBeforeLoss));
    assertEquals(CommandStatus.OK, submit(victim, create(partitionOf(lastBeforeLoss), containerNo(lastBeforeLoss)),
        System.nanoTime() + TimeUnit.SECONDS.toNanos(10)).getStatus());
    long lossStart = System.nanoTime();
    nodes[victim].close();
    nodes[victim] = null;
    long closed = System.nanoTime();
    // Every partition takes a write again (a new leader where the victim led).
    long worstPartition = 0;
    for (int p = 0; p < PARTITIONS; p++) {
      int n = 1000 + p;
      long s = System.nanoTime();
      assertEquals(CommandStatus.OK,
          submit(survivor, create(partitionOf(n), containerNo(n)), s + TimeUnit.SECONDS.toNanos(30)).getStatus());
      acknowledged.put(n, containerNo(n));
      worstPartition = Math.max(worstPartition, System.nanoTime() - closed);
    }
    System.out.printf("node %d lost: close took %d ms; every partition took a write %d ms after the close%n",
        victim, ms(closed - lossStart), ms(worstPartition));
    assertTrue(worstPartition < TimeUnit.SECONDS.toNanos(15), "writes resume within seconds");

    // Every acknowledged write reads back (linearizable) through both survivors.
    for (int node = 0; node < 3; node++) {
      if (node == victim) {
        continue;
      }
      for (Map.Entry<Integer, ContainerRecord> e : acknowledged.entrySet()) {
        QueryResult r = metadata(node).query(getContainer(partitionOf(e.getKey()), ACCOUNT, e.getValue().getName()));
        assertEquals(List.of(e.getValue()), r.getContainersList(), "container " + e.getKey() + " via node " + node);
      }
    }
    // More writes while the victim is away: it must catch up on them.
    for (int n = 2000; n < 2000 + 2 * PARTITIONS; n++) {
      assertEquals(CommandStatus.OK, submit(survivor, create(partitionOf(n), containerNo(n)),
          System.nanoTime() + TimeUnit.SECONDS.toNanos(10)).getStatus());
      acknowledged.put(n, containerNo(n));
    }

    long restart = System.nanoTime();
    nodes[victim] = startNode(victim);
    assertTrue(awaitSameAppliedIndexes(Duration.ofSeconds(30)), "the returning node catches up");
    System.out.printf("node %d back: caught up on every partition %d ms after restart%n",
        victim, ms(System.nanoTime() - restart));
    assertReplicasHold(acknowledged);

    // The whole cluster restarts: the log is replayed over a state that already has it (index-skip).
    long[] appliedBefore = appliedIndexes(0);
    for (int i = 0; i < 3; i++) {
      nodes[i].close();
    }
    for (int i = 0; i < 3; i++) {
      nodes[i] = startNode(i);
    }
    for (int i = 0; i < 3; i++) {
      long[] after = appliedIndexes(i);
      for (int p = 0; p < PARTITIONS; p++) {
        assertTrue(after[p] >= appliedBefore[p], "applied index never goes back (node " + i + ", partition " + p + ")");
      }
    }
    for (Map.Entry<Integer, ContainerRecord> e : acknowledged.entrySet()) {
      QueryResult r = metadata(e.getKey() % 3).query(getContainer(partitionOf(e.getKey()), ACCOUNT, e.getValue().getName()));
      assertEquals(List.of(e.getValue()), r.getContainersList(), "container " + e.getKey() + " after a full restart");
    }
    assertEquals(CommandStatus.OK, submit(2, create(partitionOf(3000), containerNo(3000)),
        System.nanoTime() + TimeUnit.SECONDS.toNanos(20)).getStatus());
  }

  @Test
  void aReplicaBehindThePurgedLogCatchesUpFromTheLeadersSnapshotAndRestartsKeepEverything() throws Exception {
    raftSettings = RaftSettings.defaults().withFrequentSnapshots(40);
    startCluster();
    for (NodeServer n : nodes) {
      assertTrue(n.awaitMetadataLeaders(Duration.ofSeconds(30)));
    }
    Map<Integer, ContainerRecord> acknowledged = new LinkedHashMap<>();
    writeToPartitionZero(0, 120, acknowledged);
    for (int i = 0; i < 3; i++) {
      GroupStatus g = awaitGroup(i, 0, s -> s.snapshotIndex() > 0 && s.logStartIndex() > 0, Duration.ofSeconds(20));
      System.out.printf("node-%d partition 0: snapshot at %d, log starts at %d, applied %d%n", i, g.snapshotIndex(),
          g.logStartIndex(), g.appliedIndex());
    }

    int victim = 2;
    long victimApplied = group(victim, 0).appliedIndex();
    nodes[victim].close();
    nodes[victim] = null;
    writeToPartitionZero(120, 360, acknowledged);
    // The leader's log no longer has what the victim needs next: only a snapshot can bring it back.
    GroupStatus leader = awaitGroup(0, 0, s -> s.logStartIndex() > victimApplied + 1, Duration.ofSeconds(20));
    System.out.printf("victim stopped at index %d; the survivors' log now starts at %d%n", victimApplied,
        leader.logStartIndex());

    long restart = System.nanoTime();
    nodes[victim] = startNode(victim);
    long target = group(0, 0).appliedIndex();
    GroupStatus back = awaitGroup(victim, 0, s -> s.appliedIndex() >= target, Duration.ofSeconds(30));
    System.out.printf("node-%d back: partition 0 at index %d from a snapshot at %d, %d ms after restart%n", victim,
        back.appliedIndex(), back.snapshotIndex(), ms(System.nanoTime() - restart));
    assertTrue(back.snapshotIndex() > victimApplied, "the returning node installed a newer snapshot");
    assertReplicasHold(acknowledged);

    // A full restart recovers from snapshot + log tail; nothing acknowledged is lost.
    for (int i = 0; i < 3; i++) {
      nodes[i].close();
    }
    long full = System.nanoTime();
    for (int i = 0; i < 3; i++) {
      nodes[i] = startNode(i);
    }
    for (NodeServer n : nodes) {
      assertTrue(n.awaitMetadataLeaders(Duration.ofSeconds(30)));
    }
    System.out.printf("full restart with snapshots: leaders after %d ms%n", ms(System.nanoTime() - full));
    for (Map.Entry<Integer, ContainerRecord> e : acknowledged.entrySet()) {
      QueryResult r = metadata(e.getKey() % 3).query(getContainer(0, ACCOUNT, e.getValue().getName()));
      assertEquals(List.of(e.getValue()), r.getContainersList(), "container " + e.getKey() + " after a full restart");
    }
    assertReplicasHold(acknowledged);
  }

  /** Creates containers {@code from..to-1} in partition 0 through node 0 (keys chosen so partitionOf is 0). */
  private void writeToPartitionZero(int from, int to, Map<Integer, ContainerRecord> acknowledged) {
    for (int k = from; k < to; k++) {
      int n = k * PARTITIONS;
      ContainerRecord c = containerNo(n);
      assertEquals(CommandStatus.OK,
          submit(0, create(0, c), System.nanoTime() + TimeUnit.SECONDS.toNanos(20)).getStatus());
      acknowledged.put(n, c);
    }
  }

  private GroupStatus group(int node, int partition) {
    return nodes[node].metadataGroupStatus().stream().filter(g -> g.partition() == partition).findFirst()
        .orElseThrow();
  }

  private GroupStatus awaitGroup(int node, int partition, Predicate<GroupStatus> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      GroupStatus g = group(node, partition);
      if (condition.test(g)) {
        return g;
      }
      if (System.nanoTime() > deadline) {
        fail("node-" + node + " partition " + partition + " never reached the expected state: " + g);
      }
      Thread.sleep(50);
    }
  }

  @Test
  void aMinorityCannotCommitAndAnswersUnavailableWithinTheDeadline() throws Exception {
    startCluster();
    for (NodeServer n : nodes) {
      assertTrue(n.awaitMetadataLeaders(Duration.ofSeconds(30)));
    }
    nodes[1].close();
    nodes[1] = null;
    nodes[2].close();
    nodes[2] = null;
    long s = System.nanoTime();
    try {
      metadata(0).withDeadlineAfter(30, TimeUnit.SECONDS).submit(create(0, containerNo(1)));
      fail("a lone voter must not acknowledge a write");
    } catch (StatusRuntimeException e) {
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    }
    long took = System.nanoTime() - s;
    System.out.printf("minority write refused after %d ms%n", ms(took));
    // The node's 8 s command deadline, plus channel set-up and scheduling slack on a loaded machine.
    assertTrue(took < TimeUnit.SECONDS.toNanos(12), "refused at the command deadline instead of hanging");
    assertFalse(nodes[0].queryLocalReplica(getContainer(0, ACCOUNT, "c1")).getContainersCount() > 0,
        "nothing was applied without a majority");

    // Once its groups have been leaderless for longer than an election takes, the lone voter
    // answers at once instead of waiting out the deadline: writes and reads alike.
    long worstWrite = 0;
    long worstRead = 0;
    long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (int p = 0; p < PARTITIONS; p++) {
      long w;
      long r;
      while (true) {
        long t = System.nanoTime();
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
            () -> metadata(0).submit(create(0, containerNo(2))));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
        w = System.nanoTime() - t;
        if (w < TimeUnit.SECONDS.toNanos(2) || System.nanoTime() > settle) {
          break;
        }
      }
      long t = System.nanoTime();
      StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
          () -> metadata(0).query(getContainer(0, ACCOUNT, "c1")));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      r = System.nanoTime() - t;
      worstWrite = Math.max(worstWrite, w);
      worstRead = Math.max(worstRead, r);
    }
    System.out.printf("minority, after the election window: write refused in %d ms, read in %d ms (worst of %d)%n",
        ms(worstWrite), ms(worstRead), PARTITIONS);
    assertTrue(worstWrite < TimeUnit.SECONDS.toNanos(2) && worstRead < TimeUnit.SECONDS.toNanos(2),
        "the minority fails fast once leaderless beyond an election");
  }

  private int nodeLeadingMostGroups() {
    int[] led = new int[3];
    for (int p = 0; p < PARTITIONS; p++) {
      String leader = nodes[0].metadataLeaderOf(p).orElseThrow();
      led[Integer.parseInt(leader.substring("node-".length()))]++;
    }
    System.out.println("groups led per node: " + Arrays.toString(led));
    int best = 0;
    for (int i = 1; i < 3; i++) {
      if (led[i] > led[best]) {
        best = i;
      }
    }
    return best;
  }

  private long[] appliedIndexes(int node) {
    long[] a = new long[PARTITIONS];
    for (int p = 0; p < PARTITIONS; p++) {
      a[p] = nodes[node].appliedIndex(p);
    }
    return a;
  }

  private boolean awaitSameAppliedIndexes(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Arrays.equals(appliedIndexes(0), appliedIndexes(1)) && Arrays.equals(appliedIndexes(1), appliedIndexes(2))) {
        return true;
      }
      Thread.sleep(50);
    }
    for (int i = 0; i < 3; i++) {
      System.out.println("node-" + i + " applied " + Arrays.toString(appliedIndexes(i)));
    }
    return false;
  }

  /** Each replica's own RocksDB state (no read barrier) holds every acknowledged write. */

  /**
   * The largest entity the state machine accepts and an entity-group transaction as large as a log
   * entry holds commit through Raft and reach every replica (the log's write buffer and the
   * appender's byte limit must hold one such entry); a larger command is refused at once.
   */
  @Test
  void theLargestEntityAndALogEntrySizedBatchCommitOnEveryReplicaAndALargerCommandIsRefusedAtOnce() throws Exception {
    startCluster();
    SecureRandom random = new SecureRandom();
    ByteString tableId = ByteString.copyFrom(new byte[16]);
    byte[] largest = new byte[PartitionStateMachine.MAX_SEALED_PROPERTIES_BYTES];
    random.nextBytes(largest);
    EntityRecord big = EntityRecord.newBuilder().setAccount(ACCOUNT).setTableId(tableId).setPartitionKey("p")
        .setRowKey("big").setTimestampEpochNanos(1).setEtag("\"1\"").setProperties(ByteString.copyFrom(largest)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    assertEquals(CommandStatus.OK, submit(0, MetadataCommand.newBuilder().setPartition(3)
        .setPutEntity(PutEntity.newBuilder().setEntity(big)).build(), deadline).getStatus());

    int ops = 4;
    int each = (int) (RaftSettings.MAX_ENTRY_BYTES - 64 * 1024) / ops;
    EntityBatch.Builder batch = EntityBatch.newBuilder();
    for (int i = 0; i < ops; i++) {
      byte[] props = new byte[Math.min(each, PartitionStateMachine.MAX_SEALED_PROPERTIES_BYTES)];
      random.nextBytes(props);
      batch.addOperations(EntityBatchOperation.newBuilder().setPut(PutEntity.newBuilder().setEntity(
          big.toBuilder().setRowKey("b" + i).setProperties(ByteString.copyFrom(props)))));
    }
    assertEquals(CommandStatus.OK, submit(1, MetadataCommand.newBuilder().setPartition(3)
        .setEntityBatch(batch).build(), deadline).getStatus());

    EntityBatch.Builder tooLarge = batch.clone();
    tooLarge.addOperations(EntityBatchOperation.newBuilder().setPut(PutEntity.newBuilder().setEntity(
        big.toBuilder().setRowKey("b-over"))));
    long asked = System.nanoTime();
    StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> metadata(2).submit(MetadataCommand.newBuilder().setPartition(3).setEntityBatch(tooLarge).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode(), refused.toString());
    assertTrue(System.nanoTime() - asked < TimeUnit.SECONDS.toNanos(5), "refused at once, not after retries");

    for (int node = 0; node < 3; node++) {
      QueryResult got = metadata(node).withDeadlineAfter(30, TimeUnit.SECONDS).query(MetadataQuery.newBuilder()
          .setPartition(3).setGetEntity(GetEntity.newBuilder().setAccount(ACCOUNT).setTableId(tableId)
              .setPartitionKey("p").setRowKey("b3")).build());
      assertEquals(1, got.getEntitiesCount(), "node-" + node);
      assertEquals(batch.getOperations(3).getPut().getEntity().getProperties(), got.getEntities(0).getProperties());
    }
  }

  private void assertReplicasHold(Map<Integer, ContainerRecord> acknowledged) {
    for (int i = 0; i < 3; i++) {
      for (Map.Entry<Integer, ContainerRecord> e : acknowledged.entrySet()) {
        QueryResult r = nodes[i].queryLocalReplica(getContainer(partitionOf(e.getKey()), ACCOUNT, e.getValue().getName()));
        assertEquals(List.of(e.getValue()), r.getContainersList(), "container " + e.getKey() + " on node-" + i);
      }
    }
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
