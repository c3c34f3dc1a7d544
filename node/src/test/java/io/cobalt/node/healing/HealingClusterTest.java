package io.cobalt.node.healing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.ClusterPeer;
import io.cobalt.node.ListenPorts;
import io.cobalt.node.NodeConfig;
import io.cobalt.node.NodeServer;
import io.cobalt.node.consensus.RaftSettings;
import io.cobalt.node.partition.Records;
import io.cobalt.node.rpc.RpcServerConfig;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.rocksdb.RocksChunkStore;
import io.cobalt.node.storage.InfrastructureCipher;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.ChunkServiceGrpc;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.GetChunkRequest;
import io.cobalt.proto.node.v1.GetNodeStatusRequest;
import io.cobalt.proto.node.v1.HasChunksRequest;
import io.cobalt.proto.node.v1.HealRepairItem;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.NodeAdminGrpc;
import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.GetChunkResponse;
import io.cobalt.proto.node.v1.PutChunkRequest;
import io.cobalt.proto.node.v1.QueueRepairsRequest;
import io.cobalt.proto.node.v1.StreamRef;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunk healing on three real nodes (RocksDB, Raft over mTLS, node-to-node gRPC): missed replicas
 * are filled by anti-entropy and the repair queue, which survives a restart; a corrupt replica is
 * found by the scrubber and repaired from a peer; chunk GC deletes only unreferenced chunks, only
 * after the delay. Time-dependent decisions use a clock the test moves.
 */
class HealingClusterTest {
  private static final int PARTITIONS = 2;
  private static final String ACCOUNT = "acct";
  private static final List<TlsMaterial> NODE_TLS = new ArrayList<>();
  private static TlsMaterial clientTls;
  private static final long GC_DELAY_MILLIS = 60_000;

  @TempDir Path data;
  private final List<ClusterPeer> peers = new ArrayList<>();
  private final NodeServer[] nodes = new NodeServer[3];
  private final int[] grpcPorts = new int[3];
  private final Map<Integer, ManagedChannel> channels = new HashMap<>();
  private final MovableClock clock = new MovableClock(1_800_000_000_000L);
  private long antiEntropyIntervalMillis = 300;
  private final SecureRandom random = new SecureRandom();

  /** A clock the test moves forward. */
  static final class MovableClock extends Clock {
    private final AtomicLong millis;

    MovableClock(long start) {
      millis = new AtomicLong(start);
    }

    void advance(Duration d) {
      millis.addAndGet(d.toMillis());
    }

    @Override
    public long millis() {
      return millis.get();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @BeforeAll
  static void certificates() {
    ClusterCa ca = ClusterCa.create("heal-test", new SecureRandom());
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
    for (NodeServer n : nodes) {
      assertTrue(n.awaitMetadataLeaders(Duration.ofSeconds(30)), "every group elects a leader");
    }
  }

  private NodeServer startNode(int i) throws IOException {
    ClusterPeer self = peers.get(i);
    Map<String, String> endpoints = new LinkedHashMap<>();
    for (int j = 0; j < 3; j++) {
      endpoints.put("node-" + j, "127.0.0.1:" + grpcPorts[j]);
    }
    HealingConfig healing = HealingConfig.defaults(endpoints, 3)
        .withAntiEntropyIntervalMillis(antiEntropyIntervalMillis)
        .withRepairRetryMillis(100, 500)
        .withScrub(64L * 1024 * 1024, 7 * 86_400_000L) // passes only when the test asks
        .withGc(GC_DELAY_MILLIS, 7 * 86_400_000L);
    return NodeServer.start(new NodeConfig(self.nodeId(), data.resolve(self.nodeId()), "127.0.0.1", grpcPorts[i],
        PARTITIONS, NODE_TLS.get(i), self.raftPort(), peers).withHealing(healing), RocksStorageConfig.defaults(),
        RpcServerConfig.defaults(self.nodeId(), "127.0.0.1", grpcPorts[i]), RaftSettings.defaults(), clock);
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

  /** Submits through {@code node}, retrying UNAVAILABLE for a while (leader elections). */
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

  private byte[] newChunk() {
    byte[] b = new byte[64 * 1024];
    random.nextBytes(b);
    return b;
  }

  private void put(int node, byte[] chunk) {
    chunks(node).putChunk(PutChunkRequest.newBuilder().setChunkId(id(chunk)).setData(ByteString.copyFrom(chunk))
        .build());
  }

  private static ByteString id(byte[] chunk) {
    return ByteString.copyFrom(ChunkId.ofContent(chunk).bytes());
  }

  private boolean has(int node, byte[] chunk) {
    return chunks(node).hasChunks(HasChunksRequest.newBuilder().addChunkIds(id(chunk)).build()).getPresent(0);
  }

  /** A committed blob in partition 0 whose one stream holds {@code chunks}, acknowledged by {@code replicas}. */
  private BlobRecord blobOf(String name, List<String> replicas, byte[]... chunks) {
    StreamRef.Builder stream = StreamRef.newBuilder().setStreamId(Records.id(7));
    for (byte[] c : chunks) {
      stream.addChunks(ChunkRef.newBuilder().setChunkId(id(c)).setCiphertextLength(c.length).addAllReplicas(replicas));
    }
    return Records.blob(ACCOUNT, Records.id(1), name, 1).toBuilder().clearStreams().addStreams(stream).build();
  }

  private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout.toSeconds() + " s: " + what);
      }
      Thread.sleep(50);
    }
  }

  @Test
  void aChunkWrittenWhileAReplicaWasDownIsOnItSoonAfterItRestarts() throws Exception {
    startCluster();
    nodes[2].close();
    nodes[2] = null;
    byte[] chunk = newChunk();
    put(0, chunk);
    put(1, chunk); // acknowledged at W=2
    submitOk(0, Records.put(0, blobOf("missed", List.of("node-0", "node-1"), chunk)));

    nodes[2] = startNode(2);
    long restarted = System.nanoTime();
    await("the chunk is on the restarted node", Duration.ofSeconds(30), () -> has(2, chunk));
    System.out.printf("missed replica filled %d ms after the node restarted%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted));
    assertArrayEquals(chunk, chunks(2).getChunk(GetChunkRequest.newBuilder().setChunkId(id(chunk)).build())
        .getData().toByteArray());
    long repairs = 0;
    for (int n = 0; n < 3; n++) {
      repairs += status(n).getHeal().getRepairsDone();
    }
    assertTrue(repairs >= 1, "a repair is counted");
  }

  @Test
  void theRepairQueueSurvivesARestartAndATargetThatIsDownStaysQueued() throws Exception {
    antiEntropyIntervalMillis = 7 * 86_400_000L; // only the gateway-style request feeds the queue here
    startCluster();
    nodes[2].close();
    nodes[2] = null;
    byte[] chunk = newChunk();
    put(0, chunk);
    put(1, chunk);
    int queued = chunks(0).queueRepairs(QueueRepairsRequest.newBuilder().addItems(HealRepairItem.newBuilder()
        .setChunkId(id(chunk)).setTargetNode("node-2").addSources("node-1")).build()).getQueued();
    assertEquals(1, queued);
    Thread.sleep(1_500); // a few worker rounds against the down target
    assertEquals(1, status(0).getRepairBacklog(), "a down target stays queued");
    assertTrue(status(0).getHeal().getRepairAttemptsFailed() >= 1, "the failed attempts are counted");

    nodes[0].close();
    nodes[0] = null;
    nodes[0] = startNode(0);
    assertEquals(1, status(0).getRepairBacklog(), "the queue is reloaded from RocksDB");

    nodes[2] = startNode(2);
    await("the queued repair reaches the restarted target", Duration.ofSeconds(30), () -> has(2, chunk));
    await("the queue drains", Duration.ofSeconds(10), () -> status(0).getRepairBacklog() == 0);
  }

  @Test
  void theScrubberFindsACorruptReplicaAndItIsRepairedFromAPeer() throws Exception {
    startCluster();
    byte[] chunk = newChunk();
    for (int n = 0; n < 3; n++) {
      put(n, chunk);
    }
    submitOk(0, Records.put(0, blobOf("scrubbed", List.of("node-0", "node-1", "node-2"), chunk)));
    nodes[1].close();
    nodes[1] = null;
    try (RocksStorage storage = RocksStorage.open(NodeServer.rocksDbDir(data.resolve("node-1")),
        RocksStorageConfig.defaults())) {
      assertTrue(RocksChunkStore.corruptStoredChunkForTest(storage, ChunkId.ofContent(chunk)));
    }
    nodes[1] = startNode(1);
    StatusRuntimeException bad = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> chunks(1).getChunk(GetChunkRequest.newBuilder().setChunkId(id(chunk)).build()));
    assertEquals(Status.Code.DATA_LOSS, bad.getStatus().getCode(), "the corrupt replica is refused, never served");

    nodes[1].healing().orElseThrow().runScrubPass();
    NodeStatus s = status(1);
    assertEquals(1, s.getHeal().getScrubCorruptFound());
    assertTrue(s.getHeal().getScrubChunksScanned() >= 1);
    await("the corrupt replica is replaced by a verified copy", Duration.ofSeconds(30), () -> {
      try {
        return java.util.Arrays.equals(chunk, chunks(1).getChunk(
            GetChunkRequest.newBuilder().setChunkId(id(chunk)).build()).getData().toByteArray());
      } catch (StatusRuntimeException e) {
        return false;
      }
    });
    long repairs = 0;
    for (int n = 0; n < 3; n++) {
      repairs += status(n).getHeal().getRepairsDone(); // node-1's own queue or the leader's anti-entropy
    }
    assertTrue(repairs >= 1, "the repair is counted");
  }

  /** ADR 0032: healing copies the first layer with its flag; the repaired replica is sealed again. */
  @Test
  void aDoubleEncryptedReplicaIsScrubbedAndRepairedWithItsInfrastructureLayer() throws Exception {
    startCluster();
    byte[] chunk = newChunk();
    ChunkId chunkId = ChunkId.ofContent(chunk);
    for (int n = 0; n < 3; n++) {
      chunks(n).putChunk(PutChunkRequest.newBuilder().setChunkId(id(chunk)).setData(ByteString.copyFrom(chunk))
          .setInfrastructureEncryption(true).build());
    }
    submitOk(0, Records.put(0, blobOf("double", List.of("node-0", "node-1", "node-2"), chunk)));
    nodes[1].close();
    nodes[1] = null;
    try (RocksStorage storage = RocksStorage.open(NodeServer.rocksDbDir(data.resolve("node-1")),
        RocksStorageConfig.defaults())) {
      assertTrue(InfrastructureCipher.isSealed(storage.chunks().get(chunkId).orElseThrow()));
      assertTrue(RocksChunkStore.corruptStoredChunkForTest(storage, chunkId));
    }
    nodes[1] = startNode(1);
    nodes[1].healing().orElseThrow().runScrubPass();
    assertEquals(1, status(1).getHeal().getScrubCorruptFound(), "the scrubber opened the layer and found it bad");
    await("the corrupt replica is replaced", Duration.ofSeconds(30), () -> {
      try {
        GetChunkResponse r = chunks(1).getChunk(GetChunkRequest.newBuilder().setChunkId(id(chunk)).build());
        return java.util.Arrays.equals(chunk, r.getData().toByteArray()) && r.getInfrastructureEncryption();
      } catch (StatusRuntimeException e) {
        return false;
      }
    });
    nodes[1].close();
    nodes[1] = null;
    try (RocksStorage storage = RocksStorage.open(NodeServer.rocksDbDir(data.resolve("node-1")),
        RocksStorageConfig.defaults())) {
      byte[] stored = storage.chunks().get(chunkId).orElseThrow();
      assertTrue(InfrastructureCipher.isSealed(stored), "the repaired replica is sealed under node-1's key");
      assertFalse(java.util.Arrays.equals(chunk, stored));
    }
  }

  @Test
  void chunkGcDeletesOnlyUnreferencedChunksAndOnlyAfterTheDelay() throws Exception {
    antiEntropyIntervalMillis = 7 * 86_400_000L; // anti-entropy would re-create nothing here, but keep it quiet
    startCluster();
    byte[] referenced = newChunk();
    byte[] orphan = newChunk();
    byte[] rewritten = newChunk();
    byte[] deletedLater = newChunk();
    for (byte[] c : List.of(referenced, orphan, rewritten, deletedLater)) {
      put(0, c);
    }
    submitOk(0, Records.put(0, blobOf("kept", List.of("node-0"), referenced)));
    submitOk(0, Records.put(1, blobOf("deleted", List.of("node-0"), deletedLater)));
    HealingService gc = nodes[0].healing().orElseThrow();

    gc.runGcPass();
    for (byte[] c : List.of(referenced, orphan, rewritten, deletedLater)) {
      assertTrue(has(0, c), "nothing is collected before the delay");
    }

    clock.advance(Duration.ofMillis(GC_DELAY_MILLIS / 2));
    put(0, rewritten); // an upload writing the same chunk again refreshes its time
    clock.advance(Duration.ofMillis(GC_DELAY_MILLIS / 2 + 1));
    gc.runGcPass();
    assertFalse(has(0, orphan), "an unreferenced chunk older than the delay is deleted");
    assertTrue(has(0, referenced), "a referenced chunk stays");
    assertTrue(has(0, deletedLater), "a chunk of a live blob stays");
    assertTrue(has(0, rewritten), "a chunk written again within the delay stays");

    submitOk(0, Records.deleteBlob(1, ACCOUNT, Records.id(1), "deleted"));
    gc.runGcPass();
    assertFalse(has(0, deletedLater), "after the blob's delete, its old chunk goes");
    assertTrue(has(0, referenced));
    assertTrue(has(0, rewritten), "still within the delay of its last write");
    clock.advance(Duration.ofMillis(GC_DELAY_MILLIS));
    gc.runGcPass();
    assertFalse(has(0, rewritten));
    assertTrue(has(0, referenced), "a referenced chunk never goes");
    NodeStatus s = status(0);
    assertEquals(3, s.getHeal().getGcChunksDeleted());
    assertEquals(4, s.getHeal().getGcPasses());
  }
}
