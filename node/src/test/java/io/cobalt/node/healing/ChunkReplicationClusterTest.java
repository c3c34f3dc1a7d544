package io.cobalt.node.healing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.ClusterPeer;
import io.cobalt.node.ListenPorts;
import io.cobalt.node.NodeConfig;
import io.cobalt.node.NodeServer;
import io.cobalt.node.consensus.PlacementConfig;
import io.cobalt.node.consensus.RaftSettings;
import io.cobalt.node.membership.MembershipConfig;
import io.cobalt.node.partition.Records;
import io.cobalt.node.rpc.RpcServerConfig;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkMoveReadmitRequest;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.ChunkServiceGrpc;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.GetChunkRequest;
import io.cobalt.proto.node.v1.GetNodeStatusRequest;
import io.cobalt.proto.node.v1.HasChunksRequest;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.NodeAdminGrpc;
import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.PlacementServiceGrpc;
import io.cobalt.proto.node.v1.PutChunkRequest;
import io.cobalt.proto.node.v1.StreamRef;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-replication of a lost node's chunks (ADR 0028), on four nodes in one JVM (RocksDB, Raft over
 * mutual TLS, Hazelcast membership, node-to-node gRPC): chunks and their manifests are written to
 * the rendezvous targets; one node goes away past the grace period; the placement map retires it,
 * and anti-entropy plus the repair queue copy every chunk it held to the node that takes its place,
 * so each such chunk is verified on three live nodes. Prints the time from the node's loss to the
 * last chunk restored to three replicas. The node then comes back and stays out of chunk placement
 * until it is re-admitted, after which anti-entropy gives it its share of the newer chunks.
 */
class ChunkReplicationClusterTest {
  private static final int NODES = 4;
  private static final int PARTITIONS = 4;
  private static final String ACCOUNT = "acct";
  private static final long GRACE_MILLIS = 15_000;
  private static final int BLOBS = 30;
  private static final int CHUNKS_PER_BLOB = 3;
  private static final List<TlsMaterial> NODE_TLS = new ArrayList<>();
  private static TlsMaterial clientTls;

  @TempDir Path data;
  private final List<ClusterPeer> peers = new ArrayList<>();
  private final NodeServer[] nodes = new NodeServer[NODES];
  private final int[] grpcPorts = new int[NODES];
  private final int[] hazelcastPorts = new int[NODES];
  private final Map<Integer, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();

  @BeforeAll
  static void certificates() {
    ClusterCa ca = ClusterCa.create("chunk-move-test", new SecureRandom());
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
    Map<String, String> endpoints = new LinkedHashMap<>();
    for (int j = 0; j < NODES; j++) {
      members.add("127.0.0.1:" + hazelcastPorts[j]);
      endpoints.put("node-" + j, "127.0.0.1:" + grpcPorts[j]);
    }
    MembershipConfig membership = MembershipConfig.tcpIp("chunk-move-test", "127.0.0.1", hazelcastPorts[i], members,
        "zone-" + i).withFailureDetection(1, 5);
    PlacementConfig placement = PlacementConfig.defaults().withRefreshMillis(500).withReplaceAfterMillis(GRACE_MILLIS);
    // Default repair rate (20 per second per node); anti-entropy every 5 s (a change of the retired
    // set starts a pass at once).
    HealingConfig healing = HealingConfig.defaults(endpoints, 3).withAntiEntropyIntervalMillis(5_000)
        .withRepairRetryMillis(200, 2_000);
    return NodeServer.start(new NodeConfig(self.nodeId(), data.resolve(self.nodeId()), "127.0.0.1", grpcPorts[i],
            PARTITIONS, NODE_TLS.get(i), self.raftPort(), peers, membership).withPlacement(placement)
            .withHealing(healing),
        RocksStorageConfig.defaults(), RpcServerConfig.defaults(self.nodeId(), "127.0.0.1", grpcPorts[i]),
        RaftSettings.defaults());
  }

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
            TlsChannelCredentials.newBuilder().keyManager(clientTls.keyManagers())
                .trustManager(clientTls.trustManagers()).build())
        .maxInboundMessageSize(8 * 1024 * 1024).build());
  }

  private ChunkServiceGrpc.ChunkServiceBlockingStub chunks(int node) {
    return ChunkServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private NodeStatus status(int node) {
    return NodeAdminGrpc.newBlockingStub(channel(node)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getNodeStatus(GetNodeStatusRequest.getDefaultInstance());
  }

  private void submitOk(int node, MetadataCommand command) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        assertEquals(CommandStatus.OK,
            MetadataServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(10, TimeUnit.SECONDS)
                .submit(command).getStatus());
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
      }
    }
  }

  private static int index(String nodeId) {
    return Integer.parseInt(nodeId.substring("node-".length()));
  }

  private static ByteString id(byte[] chunk) {
    return ByteString.copyFrom(ChunkId.ofContent(chunk).bytes());
  }

  /** Which of {@code ids} node {@code n} holds. */
  private List<Boolean> has(int n, List<ByteString> ids) {
    return chunks(n).hasChunks(HasChunksRequest.newBuilder().addAllChunkIds(ids).build()).getPresentList();
  }

  private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("not within " + timeout.toSeconds() + " s: " + what);
      }
      Thread.sleep(100);
    }
  }

  @Test
  void aNodeGonePastTheGracePeriodIsRetiredAndItsChunksAreReReplicatedToThreeLiveNodes() throws Exception {
    for (int i = 0; i < NODES; i++) {
      peers.add(new ClusterPeer("node-" + i, "127.0.0.1", ListenPorts.next()));
      grpcPorts[i] = ListenPorts.next();
      hazelcastPorts[i] = ListenPorts.next();
    }
    startInParallel(0, 1, 2, 3);
    for (NodeServer n : nodes) {
      await(n.nodeId() + " sees every member", Duration.ofSeconds(60),
          () -> n.membership().orElseThrow().members().size() == NODES);
      assertTrue(n.awaitMetadataLeaders(Duration.ofSeconds(30)), n.nodeId() + ": every partition has a leader");
    }
    assertEquals(List.of(), nodes[0].placement().getRetiredNodeIdsList());

    // Chunks on their rendezvous targets (as the gateway writes them), and committed manifests
    // naming those replicas, spread over every partition.
    List<String> nodeIds = peers.stream().map(ClusterPeer::nodeId).toList();
    ChunkPlacement placement = new ChunkPlacement(nodeIds, 3);
    Map<ByteString, byte[]> content = new LinkedHashMap<>();
    Map<ByteString, List<String>> initialTargets = new HashMap<>();
    ExecutorService writers = Executors.newFixedThreadPool(8); // sequential writes take most of a minute here
    List<Future<?>> writes = new ArrayList<>();
    for (int b = 0; b < BLOBS; b++) {
      StreamRef.Builder stream = StreamRef.newBuilder().setStreamId(Records.id(100 + b));
      for (int c = 0; c < CHUNKS_PER_BLOB; c++) {
        byte[] chunk = new byte[32 * 1024];
        random.nextBytes(chunk);
        ByteString cid = id(chunk);
        List<String> targets = placement.replicasOf(ChunkId.ofContent(chunk));
        for (String t : targets) {
          writes.add(writers.submit(() -> chunks(index(t)).putChunk(PutChunkRequest.newBuilder().setChunkId(cid)
              .setData(ByteString.copyFrom(chunk)).build())));
        }
        content.put(cid, chunk);
        initialTargets.put(cid, targets);
        stream.addChunks(ChunkRef.newBuilder().setChunkId(cid).setCiphertextLength(chunk.length)
            .addAllReplicas(targets));
      }
      BlobRecord blob = Records.blob(ACCOUNT, Records.id(1), "blob-" + b, 1).toBuilder().clearStreams()
          .addStreams(stream).build();
      int node = b % NODES;
      int partition = b % PARTITIONS;
      writes.add(writers.submit(() -> submitOk(node, Records.put(partition, blob))));
    }
    try {
      for (Future<?> w : writes) {
        w.get(60, TimeUnit.SECONDS);
      }
    } finally {
      writers.shutdownNow();
    }

    // A node goes away for longer than the grace period.
    int victim = 3;
    String victimId = "node-" + victim;
    List<ByteString> moved = new ArrayList<>();
    for (Map.Entry<ByteString, List<String>> e : initialTargets.entrySet()) {
      if (e.getValue().contains(victimId)) {
        moved.add(e.getKey());
      }
    }
    assertFalse(moved.isEmpty(), "the victim holds chunks");
    long lost = System.nanoTime();
    nodes[victim].close();
    nodes[victim] = null;

    // The chunks' new targets: the victim's place goes to the next node in rendezvous order.
    placement.followRetired(() -> List.of(victimId));
    Map<Integer, List<ByteString>> expectedOn = new HashMap<>();
    for (ByteString cid : moved) {
      List<String> now = placement.replicasOf(ChunkId.of(cid.toByteArray()));
      assertEquals(3, now.size());
      assertFalse(now.contains(victimId));
      for (String t : now) {
        expectedOn.computeIfAbsent(index(t), k -> new ArrayList<>()).add(cid);
      }
    }

    // Poll until every moved chunk is on all three of its new targets, noting when the retirement
    // showed up and whether the under-replication was visible in the status meanwhile.
    long retiredAt = -1;
    long underReplicatedSeen = 0;
    long deadline = lost + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      if (retiredAt < 0 && nodes[0].placement().getRetiredNodeIdsList().contains(victimId)) {
        retiredAt = System.nanoTime();
      }
      long under = 0;
      for (int n = 0; n < victim; n++) {
        under += status(n).getHeal().getAntiEntropyUnderReplicated();
      }
      underReplicatedSeen = Math.max(underReplicatedSeen, under);
      boolean all = true;
      for (Map.Entry<Integer, List<ByteString>> e : expectedOn.entrySet()) {
        if (has(e.getKey(), e.getValue()).contains(false)) {
          all = false;
          break;
        }
      }
      if (all) {
        break;
      }
      if (System.nanoTime() > deadline) {
        fail("the lost node's chunks were not on three live nodes within 90 s (retired: "
            + nodes[0].placement().getRetiredNodeIdsList() + ")");
      }
      Thread.sleep(200);
    }
    long restored = System.nanoTime();
    assertTrue(retiredAt > 0, "the map retired the victim before its chunks moved");
    System.out.printf("%s: %d of %d chunks re-replicated; RF=3 restored %d ms after the node left (grace %d ms,"
            + " retired at %d ms)%n", victimId, moved.size(), content.size(), (restored - lost) / 1_000_000,
        GRACE_MILLIS, (retiredAt - lost) / 1_000_000);
    assertTrue(underReplicatedSeen > 0, "the status showed the lost node's replicas as under-replicated");

    // Every survivor knows the retirement; each moved chunk is verified (bytes equal) on its three
    // new targets, all live.
    for (int n = 0; n < victim; n++) {
      NodeServer node = nodes[n];
      await(node.nodeId() + " knows " + victimId + " is retired", Duration.ofSeconds(10),
          () -> node.placement().getRetiredNodeIdsList().equals(List.of(victimId)));
    }
    for (Map.Entry<Integer, List<ByteString>> e : expectedOn.entrySet()) {
      assertTrue(e.getKey() != victim && nodes[e.getKey()] != null);
      for (ByteString cid : e.getValue()) {
        assertArrayEquals(content.get(cid), chunks(e.getKey()).getChunk(GetChunkRequest.newBuilder().setChunkId(cid)
            .build()).getData().toByteArray(), "chunk on node-" + e.getKey());
      }
    }
    // Chunks the victim did not hold stayed where they were.
    for (Map.Entry<ByteString, List<String>> e : initialTargets.entrySet()) {
      if (!moved.contains(e.getKey())) {
        assertEquals(e.getValue(), placement.replicasOf(ChunkId.of(e.getKey().toByteArray())));
      }
    }

    // The status settles: no under-replicated chunk (once each leader's next pass ran), no backlog.
    await("under-replicated chunks back to 0 and the repair queues empty", Duration.ofSeconds(30), () -> {
      long under = 0;
      long backlog = 0;
      for (int n = 0; n < victim; n++) {
        NodeStatus s = status(n);
        under += s.getHeal().getAntiEntropyUnderReplicated();
        backlog += s.getRepairBacklog();
      }
      return under == 0 && backlog == 0;
    });
    long repairs = 0;
    for (int n = 0; n < victim; n++) {
      repairs += status(n).getHeal().getRepairsDone();
    }
    assertTrue(repairs >= moved.size(), "one repair per moved chunk at least: " + repairs);

    // The node comes back: it stays retired (the map says so, on it too), so chunks written now
    // are not placed on it, and no repair targets it.
    startInParallel(victim);
    NodeServer back = nodes[victim];
    await(victimId + " learns the map that retired it", Duration.ofSeconds(60),
        () -> back.placement().getRetiredNodeIdsList().contains(victimId));
    List<ByteString> later = new ArrayList<>();
    Map<ByteString, byte[]> laterContent = new HashMap<>();
    for (int c = 0; c < 12; c++) {
      byte[] chunk = new byte[32 * 1024];
      random.nextBytes(chunk);
      ByteString cid = id(chunk);
      List<String> targets = placement.replicasOf(ChunkId.of(cid.toByteArray()));
      assertFalse(targets.contains(victimId));
      for (String t : targets) {
        chunks(index(t)).putChunk(PutChunkRequest.newBuilder().setChunkId(cid).setData(ByteString.copyFrom(chunk))
            .build());
      }
      later.add(cid);
      laterContent.put(cid, chunk);
      StreamRef stream = StreamRef.newBuilder().setStreamId(Records.id(500 + c)).addChunks(ChunkRef.newBuilder()
          .setChunkId(cid).setCiphertextLength(chunk.length).addAllReplicas(targets)).build();
      submitOk(0, Records.put(c % PARTITIONS, Records.blob(ACCOUNT, Records.id(1), "later-" + c, 1).toBuilder()
          .clearStreams().addStreams(stream).build()));
    }
    List<ByteString> laterForVictim = new ArrayList<>();
    for (ByteString cid : later) {
      if (new ChunkPlacement(nodeIds, 3).replicasOf(ChunkId.of(cid.toByteArray())).contains(victimId)) {
        laterForVictim.add(cid);
      }
    }
    assertFalse(laterForVictim.isEmpty(), "some later chunks rank the victim among their first three");
    for (int n = 0; n < victim; n++) {
      nodes[n].healing().orElseThrow().runAntiEntropyPass();
      nodes[n].healing().orElseThrow().drainRepairs(10);
    }
    assertFalse(has(victim, laterForVictim).contains(true), "nothing is written to a retired node that came back");

    // An operator re-admits it (PlacementService.ChunkMoveReadmit) once it is a member again (a
    // node still gone would be retired again by the controller's next round): anti-entropy moves
    // its share of the chunks written meanwhile back to it.
    for (int n = 0; n < victim; n++) {
      NodeServer node = nodes[n];
      await(node.nodeId() + " sees " + victimId + " as a member again", Duration.ofSeconds(90),
          () -> node.membership().orElseThrow().members().stream().anyMatch(m -> m.nodeId().equals(victimId)));
    }
    PlacementMap readmitted = PlacementServiceGrpc.newBlockingStub(channel(1)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .chunkMoveReadmit(ChunkMoveReadmitRequest.newBuilder().setNodeId(victimId).build());
    assertEquals(List.of(), readmitted.getRetiredNodeIdsList());
    StatusRuntimeException again = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> PlacementServiceGrpc.newBlockingStub(channel(1)).withDeadlineAfter(30, TimeUnit.SECONDS)
            .chunkMoveReadmit(ChunkMoveReadmitRequest.newBuilder().setNodeId(victimId).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, again.getStatus().getCode(), "not retired any more");
    await("the re-admitted node gets its share of the chunks written while it was retired", Duration.ofSeconds(60),
        () -> !has(victim, laterForVictim).contains(false));
    for (ByteString cid : laterForVictim) {
      assertArrayEquals(laterContent.get(cid), chunks(victim).getChunk(GetChunkRequest.newBuilder().setChunkId(cid)
          .build()).getData().toByteArray());
    }
  }
}
