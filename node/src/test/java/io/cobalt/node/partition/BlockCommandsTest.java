package io.cobalt.node.partition;

import static io.cobalt.node.partition.Records.blob;
import static io.cobalt.node.partition.Records.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.CommitBlockList;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.DeleteBlob;
import io.cobalt.proto.node.v1.GetBlockList;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutBlob;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.SetBlobProperties;
import io.cobalt.proto.node.v1.StageBlock;
import io.cobalt.proto.node.v1.StreamRef;
import io.cobalt.proto.node.v1.UncommittedBlock;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** StageBlock, CommitBlockList, SetBlobProperties and write conditions, on both metadata stores. */
class BlockCommandsTest {
  private static final String ACCOUNT = "acct";
  private static final ByteString CID = id(1);

  @TempDir static Path dir;
  private RocksStorage rocks;
  private PartitionStateMachine machine;
  private long index;

  static Stream<String> stores() {
    return Stream.of("rocksdb", "in-memory");
  }

  private void open(String kind) throws Exception {
    MetadataStore store;
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

  private CommandStatus apply(MetadataCommand.Builder c) {
    return machine.apply(++index, c.setPartition(0).setRequestId("r" + index).build()).getStatus();
  }

  private static UncommittedBlock block(String blockId, long stream) {
    ByteString bid = ByteString.copyFromUtf8(blockId);
    return UncommittedBlock.newBuilder()
        .setBlockId(bid)
        .setStream(StreamRef.newBuilder().setStreamId(id(stream)).setPlaintextLength(stream)
            .setObjectId(id(500 + stream)).setBlockId(bid))
        .setDek(WrappedKey.newBuilder().setKeyId("k").setCiphertext(ByteString.copyFromUtf8("dek" + stream)))
        .build();
  }

  private static MetadataCommand.Builder stage(String name, UncommittedBlock b) {
    return MetadataCommand.newBuilder().setStageBlock(
        StageBlock.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName(name).setBlock(b));
  }

  private static MetadataCommand.Builder commit(String name, long version, Condition c, UncommittedBlock... blocks) {
    BlobRecord.Builder r = blob(ACCOUNT, CID, name, version).toBuilder().clearStreams().clearDeks();
    for (int i = 0; i < blocks.length; i++) {
      r.addDeks(blocks[i].getDek()).addStreams(blocks[i].getStream().toBuilder().setDekIndex(i));
    }
    return MetadataCommand.newBuilder().setCommitBlockList(CommitBlockList.newBuilder().setBlob(r).setCondition(c));
  }

  private QueryResult blockList(String name) {
    return machine.query(MetadataQuery.newBuilder().setPartition(0).setGetBlockList(
        GetBlockList.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName(name)).build());
  }

  @ParameterizedTest
  @MethodSource("stores")
  void commitsStagedBlocksInOrderAndDropsTheRest(String kind) throws Exception {
    open(kind);
    UncommittedBlock a = block("aa", 1);
    UncommittedBlock b = block("bb", 2);
    UncommittedBlock c = block("cc", 3);
    assertEquals(CommandStatus.OK, apply(stage("x", a)));
    assertEquals(CommandStatus.OK, apply(stage("x", b)));
    assertEquals(CommandStatus.OK, apply(stage("x", c)));
    assertEquals(3, blockList("x").getUncommittedBlocksCount());

    assertEquals(CommandStatus.OK, apply(commit("x", 1, Condition.getDefaultInstance(), b, a)));
    QueryResult after = blockList("x");
    assertEquals(0, after.getUncommittedBlocksCount(), "commit drops every uncommitted block");
    assertEquals(List.of(id(2), id(1)),
        after.getBlobs(0).getStreamsList().stream().map(StreamRef::getStreamId).toList());

    // The committed block "aa" can be reused; "cc" was dropped and cannot.
    assertEquals(CommandStatus.OK, apply(commit("x", 2, Condition.getDefaultInstance(), a)));
    assertEquals(CommandStatus.INVALID_BLOCK_LIST, apply(commit("x", 3, Condition.getDefaultInstance(), c)));
    assertEquals(List.of(id(1)),
        blockList("x").getBlobs(0).getStreamsList().stream().map(StreamRef::getStreamId).toList());
  }

  @ParameterizedTest
  @MethodSource("stores")
  void refusesABlockRestagedWithOtherDataSinceTheListWasResolved(String kind) throws Exception {
    open(kind);
    UncommittedBlock first = block("aa", 1);
    apply(stage("x", first));
    apply(stage("x", block("aa", 9))); // same id, new stream
    assertEquals(CommandStatus.INVALID_BLOCK_LIST, apply(commit("x", 1, Condition.getDefaultInstance(), first)));
    assertTrue(blockList("x").getBlobsList().isEmpty());
  }

  @ParameterizedTest
  @MethodSource("stores")
  void refusesBlockIdsOfAnotherLengthAndKeepsStateUnchanged(String kind) throws Exception {
    open(kind);
    apply(stage("x", block("aa", 1)));
    assertEquals(CommandStatus.INVALID_BLOCK_ID, apply(stage("x", block("abc", 2))));
    assertEquals(1, blockList("x").getUncommittedBlocksCount());
    assertThrows(InvalidRequestException.class, () -> apply(stage("x", block("a".repeat(65), 3))));
  }

  @ParameterizedTest
  @MethodSource("stores")
  void evaluatesWriteConditionsAtApply(String kind) throws Exception {
    open(kind);
    Condition createOnly = Condition.newBuilder().setIfNoneMatch("*").build();
    BlobRecord v1 = blob(ACCOUNT, CID, "c", 1);
    assertEquals(CommandStatus.OK, apply(MetadataCommand.newBuilder().setPutBlob(
        PutBlob.newBuilder().setBlob(v1).setCondition(createOnly))));
    assertEquals(CommandStatus.ALREADY_EXISTS, apply(MetadataCommand.newBuilder().setPutBlob(
        PutBlob.newBuilder().setBlob(blob(ACCOUNT, CID, "c", 2)).setCondition(createOnly))));
    assertEquals(CommandStatus.CONDITION_NOT_MET, apply(MetadataCommand.newBuilder().setPutBlob(
        PutBlob.newBuilder().setBlob(blob(ACCOUNT, CID, "c", 3))
            .setCondition(Condition.newBuilder().setIfMatch("\"0xstale\"")))));
    assertEquals(CommandStatus.CONDITION_NOT_MET, apply(MetadataCommand.newBuilder().setPutBlob(
        PutBlob.newBuilder().setBlob(blob(ACCOUNT, CID, "new", 3))
            .setCondition(Condition.newBuilder().setIfMatch("*")))), "If-Match needs an existing blob");
    long lm = v1.getLastModifiedEpochMillis();
    assertEquals(CommandStatus.CONDITION_NOT_MET, apply(MetadataCommand.newBuilder().setDeleteBlob(
        DeleteBlob.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName("c")
            .setCondition(Condition.newBuilder().setIfUnmodifiedSinceMillis(lm - 1000)))));
    assertEquals(CommandStatus.CONDITION_NOT_MET, apply(MetadataCommand.newBuilder().setDeleteBlob(
        DeleteBlob.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName("c")
            .setCondition(Condition.newBuilder().setIfModifiedSinceMillis(lm + 999)))), "same second: not modified");

    SetBlobProperties.Builder set = SetBlobProperties.newBuilder().setAccount(ACCOUNT).setContainerId(CID)
        .setName("c").setSetMetadata(true).putMetadata("k", "v").setEtag("\"0xnew\"")
        .setLastModifiedEpochMillis(lm + 5000).setCondition(Condition.newBuilder().setIfMatch(v1.getEtag()));
    assertEquals(CommandStatus.OK, apply(MetadataCommand.newBuilder().setSetBlobProperties(set)));
    BlobRecord now = blockList("c").getBlobs(0);
    assertEquals("\"0xnew\"", now.getEtag());
    assertEquals("v", now.getMetadataOrThrow("k"));
    assertEquals(v1.getStreamsList(), now.getStreamsList(), "properties never touch the manifest");
    assertEquals(CommandStatus.CONDITION_NOT_MET,
        apply(MetadataCommand.newBuilder().setSetBlobProperties(set.setEtag("\"0xother\""))), "ETag moved on");
    assertEquals(CommandStatus.OK, apply(MetadataCommand.newBuilder().setDeleteBlob(
        DeleteBlob.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName("c"))));
  }

  @ParameterizedTest
  @MethodSource("stores")
  void deleteAndPutBlobDropUncommittedBlocksOfThatBlobOnly(String kind) throws Exception {
    open(kind);
    apply(stage("x", block("aa", 1)));
    apply(stage("x2", block("aa", 2)));
    apply(MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(blob(ACCOUNT, CID, "x", 1))));
    assertEquals(0, blockList("x").getUncommittedBlocksCount());
    assertEquals(1, blockList("x2").getUncommittedBlocksCount(), "a blob whose name extends another's keeps its blocks");
    apply(MetadataCommand.newBuilder().setDeleteBlob(
        DeleteBlob.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName("x2")));
    assertEquals(1, blockList("x2").getUncommittedBlocksCount(), "deleting a missing blob takes no effect");
    assertFalse(blockList("x2").getUncommittedBlocksList().isEmpty());
  }

  @ParameterizedTest
  @MethodSource("stores")
  void stagingABlockChecksTheLeaseAtTheApplyStep(String kind) throws Exception {
    open(kind);
    String lease = "11111111-2222-3333-4444-555555555555";
    apply(MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(blob(ACCOUNT, CID, "leased", 1))));
    // The gateway saw no lease and sent no lease id; a lease was acquired before the apply: it wins.
    assertEquals(CommandStatus.OK, apply(MetadataCommand.newBuilder().setLeaseBlob(
        io.cobalt.proto.node.v1.LeaseBlob.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName("leased")
            .setRequest(io.cobalt.proto.node.v1.LeaseRequest.newBuilder()
                .setAction(io.cobalt.proto.node.v1.LeaseAction.LEASE_ACQUIRE).setProposedLeaseId(lease)
                .setDurationSeconds(-1).setNowEpochMillis(1000)))));
    MetadataCommand.Builder noLease = stage("leased", block("aa", 1));
    noLease.getStageBlockBuilder().setCondition(Condition.newBuilder().setNowEpochMillis(2000));
    assertEquals(CommandStatus.LEASE_ID_MISSING, apply(noLease));
    MetadataCommand.Builder otherLease = stage("leased", block("aa", 1));
    otherLease.getStageBlockBuilder().setCondition(Condition.newBuilder()
        .setLeaseId("99999999-2222-3333-4444-555555555555").setNowEpochMillis(2000));
    assertEquals(CommandStatus.LEASE_ID_MISMATCH, apply(otherLease));
    assertEquals(0, blockList("leased").getUncommittedBlocksCount(), "refused blocks are not staged");
    MetadataCommand.Builder holder = stage("leased", block("aa", 1));
    holder.getStageBlockBuilder().setCondition(Condition.newBuilder().setLeaseId(lease).setNowEpochMillis(2000));
    assertEquals(CommandStatus.OK, apply(holder));
    assertEquals(1, blockList("leased").getUncommittedBlocksCount());

    // A lease id on a blob that does not exist (yet): no lease is present.
    MetadataCommand.Builder onNothing = stage("fresh", block("aa", 2));
    onNothing.getStageBlockBuilder().setCondition(Condition.newBuilder().setLeaseId(lease).setNowEpochMillis(2000));
    assertEquals(CommandStatus.LEASE_NOT_PRESENT, apply(onNothing));
  }
}
