package io.cobalt.node.partition;

import static io.cobalt.node.partition.Records.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.StateChange;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.AppendBlobSeal;
import io.cobalt.proto.node.v1.AppendBlock;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkManifestScan;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.ChunkReferences;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.CommitBlockList;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.DekScan;
import io.cobalt.proto.node.v1.GetBlob;
import io.cobalt.proto.node.v1.LeaseAction;
import io.cobalt.proto.node.v1.LeaseBlob;
import io.cobalt.proto.node.v1.LeaseRequest;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutBlob;
import io.cobalt.proto.node.v1.StageBlock;
import io.cobalt.proto.node.v1.StreamRef;
import io.cobalt.proto.node.v1.UncommittedBlock;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Append Block and Append Blob Seal at the apply step (ADR 0017), on both metadata stores. */
class AppendCommandsTest {
  private static final String ACCOUNT = "acct";
  private static final ByteString CID = id(1);
  private static final String NAME = "log.txt";
  private static final WrappedKey DEK = WrappedKey.newBuilder().setKeyId("account/acct").setKeyVersion(1)
      .setCiphertext(ByteString.copyFromUtf8("wrapped")).build();

  @TempDir static Path dir;
  private RocksStorage rocks;
  private MetadataStore store;
  private PartitionStateMachine machine;
  private long index;

  static Stream<String> stores() {
    return Stream.of("rocksdb", "in-memory");
  }

  private void open(String kind) throws Exception {
    if (kind.equals("rocksdb")) {
      rocks = RocksStorage.open(dir.resolve("db-" + System.nanoTime()), RocksStorageConfig.defaults());
      store = rocks.metadata();
    } else {
      store = new InMemoryMetadataStore();
    }
    machine = new PartitionStateMachine(store, 1);
  }

  @AfterEach
  void close() {
    if (rocks != null) {
      rocks.close();
    }
  }

  private CommandResult apply(MetadataCommand.Builder c) {
    return machine.apply(++index, c.setPartition(0).setRequestId("r" + index).build());
  }

  private static BlobRecord appendBlob(long version) {
    return BlobRecord.newBuilder().setAccount(ACCOUNT).setContainer("c").setContainerId(CID).setName(NAME)
        .setObjectId(id(900)).setVersionId(id(version)).setEtag("\"0x" + version + "\"")
        .setBlobType("AppendBlob").addDeks(DEK).setManifestMac(ByteString.copyFrom(new byte[32])).build();
  }

  private static ByteString chunkId(long n) {
    byte[] b = new byte[32];
    b[0] = 7;
    b[31] = (byte) n;
    return ByteString.copyFrom(b);
  }

  private static StreamRef stream(long n, int length) {
    return StreamRef.newBuilder().setStreamId(id(100 + n)).setPlaintextLength(length)
        .addChunks(ChunkRef.newBuilder().setChunkId(chunkId(n)).setPlaintextLength(length).addReplicas("n1"))
        .build();
  }

  /** Appends block {@code n} of {@code length} bytes on top of version {@code expected}, making version {@code n}. */
  private static AppendBlock.Builder append(long expected, long n, int length) {
    return AppendBlock.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName(NAME)
        .setExpectedVersionId(id(expected)).setStream(stream(n, length)).setVersionId(id(n))
        .setManifestMac(ByteString.copyFrom(new byte[32])).setEtag("\"0xA" + n + "\"")
        .setLastModifiedEpochMillis(1_700_000_000_000L + n);
  }

  private CommandResult append(AppendBlock.Builder a) {
    return apply(MetadataCommand.newBuilder().setAppendBlock(a));
  }

  private BlobRecord stored() {
    return machine.query(MetadataQuery.newBuilder().setPartition(0).setGetBlob(
        GetBlob.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName(NAME)).build()).getBlobs(0);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void appendsStreamsInOrderAndAnswersTheNewProperties(String kind) throws Exception {
    open(kind);
    assertEquals(CommandStatus.OK, apply(MetadataCommand.newBuilder()
        .setPutBlob(PutBlob.newBuilder().setBlob(appendBlob(1)))).getStatus());
    CommandResult first = append(append(1, 2, 10));
    assertEquals(CommandStatus.OK, first.getStatus());
    assertEquals(10, first.getBlob().getContentLength());
    assertEquals(0, first.getBlob().getStreamsCount(), "the answer leaves the manifest out");
    CommandResult second = append(append(2, 3, 5).setAppendPosition(10).setMaxSize(15));
    assertEquals(CommandStatus.OK, second.getStatus());

    BlobRecord b = stored();
    assertEquals(15, b.getContentLength());
    assertEquals(2, b.getStreamsCount());
    assertEquals(stream(2, 10), b.getStreams(0));
    assertEquals(stream(3, 5), b.getStreams(1));
    assertEquals(id(3), b.getVersionId());
    assertEquals("\"0xA3\"", b.getEtag());
    assertEquals(1_700_000_000_003L, b.getLastModifiedEpochMillis());
    assertEquals(1, b.getDeksCount(), "appended blocks are sealed under the blob's DEK");

    // Chunk GC and healing see appended chunks; the rewrap job sees the blob's DEK.
    assertEquals(2, machine.query(MetadataQuery.newBuilder().setPartition(0).setChunkReferences(
        ChunkReferences.newBuilder().addChunkIds(chunkId(2)).addChunkIds(chunkId(3)).addChunkIds(chunkId(4)))
        .build()).getReferencedChunkIdsCount());
    assertTrue(machine.query(MetadataQuery.newBuilder().setPartition(0).setChunkManifestScan(
        ChunkManifestScan.newBuilder().setMaxRecords(10)).build()).getChunkRefsList().stream()
        .anyMatch(r -> r.getChunkId().equals(chunkId(3))));
    assertEquals(DEK, machine.query(MetadataQuery.newBuilder().setPartition(0).setDekScan(DekScan.newBuilder())
        .build()).getDekHolders(0).getDeks(0));
  }

  @ParameterizedTest
  @MethodSource("stores")
  void refusesWhatAzureRefusesAndChangesNothing(String kind) throws Exception {
    open(kind);
    assertEquals(CommandStatus.NOT_FOUND, append(append(1, 2, 10)).getStatus());
    apply(MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(appendBlob(1))));
    assertEquals(CommandStatus.OK, append(append(1, 2, 10)).getStatus());
    BlobRecord before = stored();

    assertEquals(CommandStatus.APPEND_POSITION_CONDITION_NOT_MET,
        append(append(2, 3, 5).setAppendPosition(9)).getStatus());
    assertEquals(CommandStatus.MAX_BLOB_SIZE_CONDITION_NOT_MET,
        append(append(2, 3, 5).setMaxSize(14)).getStatus());
    assertEquals(CommandStatus.CONDITION_NOT_MET,
        append(append(2, 3, 5).setCondition(Condition.newBuilder().setIfMatch("\"0x1\""))).getStatus());
    assertEquals(CommandStatus.APPEND_BLOB_CHANGED, append(append(1, 3, 5)).getStatus(),
        "a MAC signed over another manifest is never stored");
    assertEquals(before, stored());

    // Block operations on an append blob, and appends on a block blob: InvalidBlobType.
    StreamRef staged = StreamRef.newBuilder().setStreamId(id(50)).setBlockId(ByteString.copyFromUtf8("b1")).build();
    assertEquals(CommandStatus.INVALID_BLOB_TYPE, apply(MetadataCommand.newBuilder().setStageBlock(
        StageBlock.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName(NAME).setBlock(
            UncommittedBlock.newBuilder().setBlockId(ByteString.copyFromUtf8("b1")).setStream(staged).setDek(DEK))))
        .getStatus());
    assertEquals(CommandStatus.INVALID_BLOB_TYPE, apply(MetadataCommand.newBuilder().setCommitBlockList(
        CommitBlockList.newBuilder().setBlob(appendBlob(9).toBuilder().setBlobType("BlockBlob")))).getStatus());
    assertEquals(before, stored());
    apply(MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder()
        .setBlob(appendBlob(20).toBuilder().setBlobType("BlockBlob"))));
    assertEquals(CommandStatus.INVALID_BLOB_TYPE, append(append(20, 21, 5)).getStatus());
  }

  /** Regression for the double apply ChaosSmokeIT found (issue 3): an append applied twice lands once. */
  @ParameterizedTest
  @MethodSource("stores")
  void anAppendAppliedTwiceLandsOnce(String kind) throws Exception {
    open(kind);
    apply(MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(appendBlob(1))));
    AppendBlock.Builder once = append(1, 2, 10).setAppendPosition(0);
    assertEquals(CommandStatus.OK, append(once).getStatus());
    BlobRecord after = stored();
    CommandResult again = append(once);
    assertEquals(CommandStatus.OK, again.getStatus(), "the block is there: the append succeeded");
    assertEquals(10, again.getBlob().getContentLength());
    assertEquals(after, stored());
  }

  @ParameterizedTest
  @MethodSource("stores")
  void refusesTheFiftyThousandAndFirstBlock(String kind) throws Exception {
    open(kind);
    BlobRecord.Builder full = appendBlob(1).toBuilder();
    for (int i = 0; i < PartitionStateMachine.MAX_COMMITTED_BLOCKS; i++) {
      full.addStreams(StreamRef.newBuilder().setStreamId(id(100_000 + i)).setPlaintextLength(0));
    }
    // 50,000 appends through the log would be slow: the full record goes into the store directly.
    store.commit(0, ++index, new StateChange.PutBlob(full.build()));
    machine = new PartitionStateMachine(store, 1);
    assertEquals(CommandStatus.BLOCK_COUNT_EXCEEDS_LIMIT, append(append(1, 2, 1)).getStatus());
  }

  @ParameterizedTest
  @MethodSource("stores")
  void leaseAndSealAreEnforced(String kind) throws Exception {
    open(kind);
    apply(MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(appendBlob(1))));
    assertEquals(CommandStatus.OK, apply(MetadataCommand.newBuilder().setLeaseBlob(LeaseBlob.newBuilder()
        .setAccount(ACCOUNT).setContainerId(CID).setName(NAME).setRequest(LeaseRequest.newBuilder()
            .setAction(LeaseAction.LEASE_ACQUIRE).setProposedLeaseId("L").setDurationSeconds(-1)
            .setNowEpochMillis(1_700_000_000_000L)))).getStatus());
    assertEquals(CommandStatus.LEASE_ID_MISSING, append(append(1, 2, 1)).getStatus());
    assertEquals(CommandStatus.OK, append(append(1, 2, 1).setCondition(Condition.newBuilder().setLeaseId("L")))
        .getStatus());

    AppendBlobSeal.Builder seal = AppendBlobSeal.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName(NAME)
        .setCondition(Condition.newBuilder().setLeaseId("L")).setEtag("\"0xS\"").setLastModifiedEpochMillis(5);
    assertEquals(CommandStatus.APPEND_POSITION_CONDITION_NOT_MET,
        apply(MetadataCommand.newBuilder().setSealAppendBlob(seal.clone().setAppendPosition(0))).getStatus());
    assertEquals(CommandStatus.OK, apply(MetadataCommand.newBuilder().setSealAppendBlob(seal)).getStatus());
    assertTrue(stored().getSealed());
    assertEquals(CommandStatus.OK, apply(MetadataCommand.newBuilder().setSealAppendBlob(seal)).getStatus(),
        "sealing is idempotent");
    assertEquals(CommandStatus.BLOB_SEALED,
        append(append(2, 3, 1).setCondition(Condition.newBuilder().setLeaseId("L"))).getStatus());
    assertEquals(1, stored().getContentLength());
  }

  @ParameterizedTest
  @MethodSource("stores")
  void malformedAppendsNeverEnterTheLog(String kind) throws Exception {
    open(kind);
    assertThrows(InvalidRequestException.class, () -> machine.validate(MetadataCommand.newBuilder()
        .setAppendBlock(append(1, 2, 10).setStream(stream(2, 10).toBuilder().setPlaintextLength(11))).build()));
    assertThrows(InvalidRequestException.class, () -> machine.validate(MetadataCommand.newBuilder()
        .setAppendBlock(append(1, 2, 10).setStream(stream(2, 10).toBuilder().setDekIndex(1))).build()));
    assertThrows(InvalidRequestException.class, () -> machine.validate(MetadataCommand.newBuilder()
        .setAppendBlock(append(1, 2, 10).setStream(stream(2, 10).toBuilder()
            .setPlaintextLength(4 * 1024 * 1024 + 1).setChunks(0, ChunkRef.newBuilder().setChunkId(chunkId(2))
                .setPlaintextLength(4 * 1024 * 1024 + 1)))).build()));
    assertThrows(InvalidRequestException.class, () -> machine.validate(MetadataCommand.newBuilder()
        .setAppendBlock(append(1, 2, 10).clearExpectedVersionId()).build()));
    assertThrows(InvalidRequestException.class, () -> machine.validate(MetadataCommand.newBuilder()
        .setPutBlob(PutBlob.newBuilder().setBlob(appendBlob(1).toBuilder().addStreams(stream(1, 1)))).build()));
  }
}
