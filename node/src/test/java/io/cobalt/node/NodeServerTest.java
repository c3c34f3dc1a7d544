package io.cobalt.node;

import static io.cobalt.node.partition.Records.blob;
import static io.cobalt.node.partition.Records.container;
import static io.cobalt.node.partition.Records.create;
import static io.cobalt.node.partition.Records.getBlob;
import static io.cobalt.node.partition.Records.getContainer;
import static io.cobalt.node.partition.Records.id;
import static io.cobalt.node.partition.Records.put;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.VerifiedChunkStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkServiceGrpc;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.GetChunkRequest;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.PutChunkRequest;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node over real gRPC with mutual TLS. */
class NodeServerTest {
  private static final int PARTITIONS = 4;
  private static TlsMaterial nodeTls;
  private static TlsMaterial clientTls;
  private static TlsMaterial rogueClientTls;

  @TempDir Path dataDir;
  private NodeServer node;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final Random random = new Random(42);

  @BeforeAll
  static void certificates() {
    SecureRandom secure = new SecureRandom();
    ClusterCa ca = ClusterCa.create("test", secure);
    nodeTls = TlsMaterial.of(ca.issue("node-1", List.of("localhost"), List.of("127.0.0.1")));
    clientTls = TlsMaterial.of(ca.issue("gateway", List.of("localhost"), List.of("127.0.0.1")));
    rogueClientTls = TlsMaterial.of(ClusterCa.create("rogue", secure).issue("gateway", List.of("localhost"), List.of("127.0.0.1")));
  }

  @BeforeEach
  void start() throws Exception {
    node = NodeServer.start(config());
  }

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    node.close();
  }

  private NodeConfig config() {
    return new NodeConfig("node-1", dataDir, "127.0.0.1", 0, PARTITIONS, nodeTls);
  }

  private void restart() throws Exception {
    node.close();
    node = NodeServer.start(config());
  }

  private ManagedChannel channel(ChannelCredentials credentials) {
    ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", node.port(), credentials)
        .maxInboundMessageSize(8 * 1024 * 1024)
        .build();
    channels.add(c);
    return c;
  }

  private ChunkServiceGrpc.ChunkServiceBlockingStub chunks() {
    return ChunkServiceGrpc.newBlockingStub(channel(TlsChannelCredentials.newBuilder()
        .keyManager(clientTls.keyManagers()).trustManager(clientTls.trustManagers()).build()))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private MetadataServiceGrpc.MetadataServiceBlockingStub metadata() {
    return MetadataServiceGrpc.newBlockingStub(channel(TlsChannelCredentials.newBuilder()
        .keyManager(clientTls.keyManagers()).trustManager(clientTls.trustManagers()).build()))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static PutChunkRequest putRequest(byte[] data) {
    return PutChunkRequest.newBuilder()
        .setChunkId(ByteString.copyFrom(ChunkId.ofContent(data).bytes()))
        .setData(ByteString.copyFrom(data))
        .build();
  }

  private static GetChunkRequest getRequest(byte[] data) {
    return GetChunkRequest.newBuilder().setChunkId(ByteString.copyFrom(ChunkId.ofContent(data).bytes())).build();
  }

  private static Status.Code codeOf(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  @Test
  void storesAndReturnsChunksUpToTheSizeLimit() {
    var stub = chunks();
    for (int size : new int[] {0, 1, 4095, 4096, 65_537, VerifiedChunkStore.MAX_CHUNK_BYTES}) {
      byte[] data = randomBytes(size);
      assertFalse(stub.putChunk(putRequest(data)).getAlreadyPresent(), "size " + size);
      assertArrayEquals(data, stub.getChunk(getRequest(data)).getData().toByteArray(), "size " + size);
    }
  }

  @Test
  void secondPutOfTheSameChunkReportsAlreadyPresent() {
    var stub = chunks();
    byte[] data = randomBytes(10_000);
    assertFalse(stub.putChunk(putRequest(data)).getAlreadyPresent());
    assertTrue(stub.putChunk(putRequest(data)).getAlreadyPresent());
    assertArrayEquals(data, stub.getChunk(getRequest(data)).getData().toByteArray());
  }

  @Test
  void rejectsChunkWhoseDataDoesNotHashToItsId() {
    var stub = chunks();
    byte[] data = randomBytes(1000);
    PutChunkRequest wrong = putRequest(data).toBuilder().setData(ByteString.copyFrom(randomBytes(1000))).build();
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(() -> stub.putChunk(wrong)));
    assertEquals(Status.Code.NOT_FOUND, codeOf(() -> stub.getChunk(getRequest(data))));
  }

  @Test
  void rejectsChunkIdsThatAreNot32Bytes() {
    var stub = chunks();
    byte[] data = randomBytes(10);
    ByteString shortId = ByteString.copyFrom(ChunkId.ofContent(data).bytes()).substring(1);
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(() -> stub.putChunk(
        PutChunkRequest.newBuilder().setChunkId(shortId).setData(ByteString.copyFrom(data)).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(() -> stub.getChunk(
        GetChunkRequest.newBuilder().setChunkId(shortId).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(() -> stub.getChunk(GetChunkRequest.getDefaultInstance())));
  }

  @Test
  void rejectsChunkLargerThanTheLimit() {
    byte[] data = randomBytes(VerifiedChunkStore.MAX_CHUNK_BYTES + 1);
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(() -> chunks().putChunk(putRequest(data))));
  }

  @Test
  void unknownChunkIsNotFound() {
    assertEquals(Status.Code.NOT_FOUND, codeOf(() -> chunks().getChunk(getRequest(randomBytes(5)))));
  }

  @Test
  void corruptStoredChunkIsReportedAsDataLossAndRepairedByPuttingItAgain() throws Exception {
    byte[] data = randomBytes(50_000);
    chunks().putChunk(putRequest(data));
    node.close();
    try (RocksStorage storage = RocksStorage.open(NodeServer.rocksDbDir(dataDir), RocksStorageConfig.defaults())) {
      byte[] garbage = data.clone();
      garbage[12_345] ^= 1;
      storage.chunks().put(ChunkId.ofContent(data), garbage, 0L);
    }
    node = NodeServer.start(config());

    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> chunks().getChunk(getRequest(data)));
    assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode());
    assertTrue(e.getTrailers() == null || e.getTrailers().keys().stream().noneMatch(k -> k.endsWith("-bin")));

    assertFalse(chunks().putChunk(putRequest(data)).getAlreadyPresent(), "a corrupt copy does not count as present");
    assertArrayEquals(data, chunks().getChunk(getRequest(data)).getData().toByteArray());
  }

  @Test
  void chunksContainersBlobsAndAppliedIndexesSurviveRestart() throws Exception {
    byte[] data = randomBytes(300_000);
    chunks().putChunk(putRequest(data));
    ContainerRecord c = container("acct", "photos", 1);
    BlobRecord b = blob("acct", id(1), "cat.jpg", 1);
    assertEquals(CommandStatus.OK, metadata().submit(create(1, c)).getStatus());
    CommandResult putResult = metadata().submit(put(2, b));
    assertEquals(1, putResult.getAppliedIndex());
    assertEquals(2, metadata().submit(put(2, blob("acct", id(1), "dog.jpg", 2))).getAppliedIndex());

    restart();

    assertArrayEquals(data, chunks().getChunk(getRequest(data)).getData().toByteArray());
    assertEquals(List.of(c), metadata().query(getContainer(1, "acct", "photos")).getContainersList());
    assertEquals(List.of(b), metadata().query(getBlob(2, "acct", id(1), "cat.jpg")).getBlobsList());
    assertEquals(1, node.appliedIndex(1));
    assertEquals(2, node.appliedIndex(2));
    assertEquals(0, node.appliedIndex(0));
    assertEquals(3, metadata().submit(put(2, blob("acct", id(1), "eel.jpg", 3))).getAppliedIndex());
  }

  @Test
  void metadataRequestsWithABadPartitionOrNoOperationAreInvalidArguments() {
    var stub = metadata();
    assertEquals(Status.Code.INVALID_ARGUMENT,
        codeOf(() -> stub.submit(create(PARTITIONS, container("acct", "c", 1)))));
    assertEquals(Status.Code.INVALID_ARGUMENT,
        codeOf(() -> stub.submit(MetadataCommand.newBuilder().setPartition(0).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT,
        codeOf(() -> stub.query(MetadataQuery.newBuilder().setPartition(0).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(() -> stub.query(getContainer(PARTITIONS, "acct", "c"))));
    assertEquals(0, node.appliedIndex(0));
  }

  @Test
  void refusesClientWithoutCertificate() {
    ChannelCredentials noCert = TlsChannelCredentials.newBuilder().trustManager(clientTls.trustManagers()).build();
    var stub = ChunkServiceGrpc.newBlockingStub(channel(noCert)).withDeadlineAfter(10, TimeUnit.SECONDS);
    byte[] data = randomBytes(10);
    assertEquals(Status.Code.UNAVAILABLE, codeOf(() -> stub.putChunk(putRequest(data))));
    assertEquals(Status.Code.NOT_FOUND, codeOf(() -> chunks().getChunk(getRequest(data))), "nothing was stored");
  }

  @Test
  void refusesClientWithCertificateFromAnotherCa() {
    ChannelCredentials rogue = TlsChannelCredentials.newBuilder()
        .keyManager(rogueClientTls.keyManagers()).trustManager(clientTls.trustManagers()).build();
    var stub = MetadataServiceGrpc.newBlockingStub(channel(rogue)).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAVAILABLE, codeOf(() -> stub.submit(create(0, container("acct", "c", 1)))));
    assertEquals(0, node.appliedIndex(0));
    assertEquals(0, metadata().query(getContainer(0, "acct", "c")).getContainersCount());
  }

  @Test
  void closeIsIdempotentAndReleasesTheDatabase() throws Exception {
    node.close();
    node.close();
    try (RocksStorage storage = RocksStorage.open(NodeServer.rocksDbDir(dataDir), RocksStorageConfig.defaults())) {
      assertEquals(0, storage.metadata().appliedIndex(0));
    }
    node = NodeServer.start(config());
  }

  @Test
  void secondNodeOnTheSameDataDirectoryFailsToStart() {
    assertThrows(java.io.IOException.class, () -> NodeServer.start(config()).close());
  }
}
