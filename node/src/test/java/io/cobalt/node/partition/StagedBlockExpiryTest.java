package io.cobalt.node.partition;

import static io.cobalt.node.partition.Records.blob;
import static io.cobalt.node.partition.Records.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.StateChange;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.CommitBlockList;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.GetBlockList;
import io.cobalt.proto.node.v1.ListBlobs;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutBlob;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.StageBlock;
import io.cobalt.proto.node.v1.StagedBlobRecord;
import io.cobalt.proto.node.v1.StreamRef;
import io.cobalt.proto.node.v1.UncommittedBlock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Uncommitted blocks expire (ADR 0026) a configured time after a blob's last Put Block, decided at
 * the apply step by the commands' own times; the uncommitted block count is bounded; blobs with
 * only uncommitted blocks are listed when asked. On both stores.
 */
class StagedBlockExpiryTest {
  private static final String ACCOUNT = "acct";
  private static final ByteString CID = id(1);
  private static final long T0 = 1_800_000_000_000L;
  private static final long EXPIRY = 60_000;

  @TempDir Path dir;
  private final List<RocksStorage> opened = new ArrayList<>();
  private long index;
  private long submits;

  @AfterEach
  void close() {
    opened.forEach(RocksStorage::close);
  }

  private MetadataStore store(String kind) throws Exception {
    if (kind.equals("memory")) {
      return new InMemoryMetadataStore();
    }
    RocksStorage s = RocksStorage.open(dir.resolve("rocks-" + opened.size()), RocksStorageConfig.defaults());
    opened.add(s);
    return s.metadata();
  }

  /** Applies {@code c} as the gateway sends it: with a submit id and its time. */
  private CommandStatus apply(PartitionStateMachine m, MetadataCommand.Builder c, long millis) {
    return m.apply(++index, c.setPartition(0).setRequestId("r" + index).setSubmitId(id(1000 + ++submits))
        .setSubmitEpochMillis(millis).build()).getStatus();
  }

  private static UncommittedBlock block(String blockId, long stream, long stagedMillis) {
    ByteString bid = ByteString.copyFromUtf8(blockId);
    return UncommittedBlock.newBuilder()
        .setBlockId(bid)
        .setStream(StreamRef.newBuilder().setStreamId(id(stream)).setPlaintextLength(stream)
            .setObjectId(id(500 + stream)).setBlockId(bid))
        .setDek(WrappedKey.newBuilder().setKeyId("k").setCiphertext(ByteString.copyFromUtf8("dek" + stream)))
        .setStagedEpochMillis(stagedMillis)
        .build();
  }

  private static MetadataCommand.Builder stage(String name, UncommittedBlock b) {
    return MetadataCommand.newBuilder().setStageBlock(
        StageBlock.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName(name).setBlock(b)
            .setCondition(Condition.newBuilder().setNowEpochMillis(b.getStagedEpochMillis())));
  }

  private static MetadataCommand.Builder commit(String name, long version, long now, UncommittedBlock... blocks) {
    BlobRecord.Builder r = blob(ACCOUNT, CID, name, version).toBuilder().clearStreams().clearDeks();
    for (int i = 0; i < blocks.length; i++) {
      r.addDeks(blocks[i].getDek()).addStreams(blocks[i].getStream().toBuilder().setDekIndex(i));
    }
    return MetadataCommand.newBuilder().setCommitBlockList(CommitBlockList.newBuilder().setBlob(r)
        .setCondition(Condition.newBuilder().setNowEpochMillis(now)));
  }

  private static List<String> staged(PartitionStateMachine m, String name) {
    QueryResult r = m.query(MetadataQuery.newBuilder().setPartition(0).setGetBlockList(
        GetBlockList.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName(name)).build());
    return r.getUncommittedBlocksList().stream().map(u -> u.getBlockId().toStringUtf8()).toList();
  }

  private static QueryResult list(PartitionStateMachine m, boolean uncommitted, String marker, int max) {
    return m.query(MetadataQuery.newBuilder().setPartition(0).setListBlobs(ListBlobs.newBuilder()
        .setAccount(ACCOUNT).setContainerId(CID).setMarker(marker).setMaxResults(max)
        .setIncludeUncommitted(uncommitted)).build());
  }

  private static List<String> names(QueryResult r) {
    return r.getBlobsList().stream().map(BlobRecord::getName).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void uncommittedBlocksExpireAfterTheLastPutBlockAtTheApplyStep(String kind) throws Exception {
    PartitionStateMachine m = new PartitionStateMachine(store(kind), 1, EXPIRY);
    assertEquals(CommandStatus.OK, apply(m, stage("old", block("aa", 1, T0)), T0));
    assertEquals(CommandStatus.OK, apply(m, stage("busy", block("aa", 2, T0)), T0));
    assertEquals(CommandStatus.OK, apply(m, stage("busy", block("bb", 3, T0 + EXPIRY / 2)), T0 + EXPIRY / 2));

    // Just before the deadline of "old": nothing goes.
    apply(m, MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(blob(ACCOUNT, CID, "other", 1))),
        T0 + EXPIRY - 1);
    assertEquals(List.of("aa"), staged(m, "old"));

    // Any later command of the partition discards them; "busy" was staged to since.
    apply(m, MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(blob(ACCOUNT, CID, "other", 2))),
        T0 + EXPIRY + 1);
    assertEquals(List.of(), staged(m, "old"));
    assertEquals(List.of("aa", "bb"), staged(m, "busy"), "measured from the last Put Block");
    assertEquals(List.of("busy", "other"), names(list(m, true, "", 10)));

    apply(m, MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(blob(ACCOUNT, CID, "other", 3))),
        T0 + EXPIRY / 2 + EXPIRY + 1);
    assertEquals(List.of(), staged(m, "busy"));
    assertEquals(List.of("other"), names(list(m, true, "", 10)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void expiredBlocksCannotBeCommittedAndANewPutBlockStartsAfresh(String kind) throws Exception {
    PartitionStateMachine m = new PartitionStateMachine(store(kind), 1, EXPIRY);
    UncommittedBlock a = block("aa", 1, T0);
    assertEquals(CommandStatus.OK, apply(m, stage("x", a), T0));
    // The commit is the first command after the deadline: the blocks are gone for it, swept or not.
    assertEquals(CommandStatus.INVALID_BLOCK_LIST, apply(m, commit("x", 1, T0 + EXPIRY + 1, a), T0 + EXPIRY + 1));

    UncommittedBlock b = block("bb", 2, T0 + 3 * EXPIRY);
    UncommittedBlock c = block("cc", 3, T0 + 4 * EXPIRY + 1);
    assertEquals(CommandStatus.OK, apply(m, stage("y", b), T0 + 3 * EXPIRY));
    // Put Block on a blob whose blocks expired: they go first (no other command swept them).
    assertEquals(CommandStatus.OK, apply(m, stage("y", c), T0 + 4 * EXPIRY + 1));
    assertEquals(List.of("cc"), staged(m, "y"));
    assertEquals(CommandStatus.OK, apply(m, commit("y", 1, T0 + 4 * EXPIRY + 1, c), T0 + 4 * EXPIRY + 1));
    assertEquals(List.of(), staged(m, "y"));
    assertEquals(List.of("y"), names(list(m, true, "", 10)), "committed: listed as the committed blob");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void theUncommittedBlockCountIsBounded(String kind) throws Exception {
    MetadataStore store = store(kind);
    PartitionStateMachine m = new PartitionStateMachine(store, 1, EXPIRY);
    assertEquals(CommandStatus.OK, apply(m, stage("many", block("aa", 1, T0)), T0));
    // Stand in for 99,998 more staged blocks: the count lives in the staged-blob record.
    StagedBlobRecord r = store.stagedBlob(0, ACCOUNT, CID, "many").orElseThrow();
    assertEquals(1, r.getBlockCount());
    store.commit(0, ++index, new StateChange.PutStagedBlob(
        r.toBuilder().setBlockCount(PartitionStateMachine.MAX_UNCOMMITTED_BLOCKS - 1).build()));
    assertEquals(CommandStatus.OK, apply(m, stage("many", block("bb", 2, T0)), T0));
    assertEquals(CommandStatus.BLOCK_COUNT_EXCEEDS_LIMIT, apply(m, stage("many", block("cc", 3, T0)), T0));
    assertEquals(CommandStatus.OK, apply(m, stage("many", block("aa", 4, T0)), T0), "replacing a block adds none");
    assertEquals(PartitionStateMachine.MAX_UNCOMMITTED_BLOCKS,
        store.stagedBlob(0, ACCOUNT, CID, "many").orElseThrow().getBlockCount());
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void blobsWithOnlyUncommittedBlocksAreListedWhenAsked(String kind) throws Exception {
    PartitionStateMachine m = new PartitionStateMachine(store(kind), 1, EXPIRY);
    apply(m, MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(blob(ACCOUNT, CID, "b", 1))), T0);
    apply(m, MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(blob(ACCOUNT, CID, "d", 1))), T0);
    apply(m, stage("a", block("aa", 1, T0 + 5)), T0 + 5);
    apply(m, stage("a", block("bb", 2, T0 + 9)), T0 + 9);
    apply(m, stage("c", block("aa", 3, T0)), T0);
    apply(m, stage("d", block("aa", 4, T0)), T0); // has a committed version too

    assertEquals(List.of("b", "d"), names(list(m, false, "", 10)));
    QueryResult all = list(m, true, "", 10);
    assertEquals(List.of("a", "b", "c", "d"), names(all));
    assertFalse(all.getTruncated());
    BlobRecord a = all.getBlobs(0);
    assertEquals(0, a.getContentLength());
    assertEquals("", a.getEtag(), "no version, no ETag");
    assertEquals(T0 + 5, a.getCreatedEpochMillis());
    assertEquals(T0 + 9, a.getLastModifiedEpochMillis());
    assertEquals(blob(ACCOUNT, CID, "d", 1).getEtag(), all.getBlobs(3).getEtag(), "d is listed as committed");

    // Pages of 1 and 3, resumed by name.
    List<String> paged = new ArrayList<>();
    String marker = "";
    for (int pages = 0; pages < 10; pages++) {
      QueryResult page = list(m, true, marker, 1);
      assertTrue(page.getBlobsCount() <= 1);
      paged.addAll(names(page));
      if (!page.getTruncated()) {
        break;
      }
      marker = page.getBlobs(page.getBlobsCount() - 1).getName();
    }
    assertEquals(List.of("a", "b", "c", "d"), paged);
    QueryResult three = list(m, true, "", 3);
    assertEquals(List.of("a", "b", "c"), names(three));
    assertTrue(three.getTruncated());

    // With snapshots too: uncommitted blobs (which have none) among the committed ones.
    QueryResult withSnapshots = m.query(MetadataQuery.newBuilder().setPartition(0).setListBlobs(ListBlobs.newBuilder()
        .setAccount(ACCOUNT).setContainerId(CID).setMaxResults(2).setIncludeUncommitted(true)
        .setIncludeSnapshots(true)).build());
    assertEquals(List.of("a", "b"), names(withSnapshots));
    assertTrue(withSnapshots.getTruncated());
    QueryResult rest = m.query(MetadataQuery.newBuilder().setPartition(0).setListBlobs(ListBlobs.newBuilder()
        .setAccount(ACCOUNT).setContainerId(CID).setMarker("b").setMaxResults(5).setIncludeUncommitted(true)
        .setIncludeSnapshots(true)).build());
    assertEquals(List.of("c", "d"), names(rest));
    assertFalse(rest.getTruncated());
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void stagedBlobRecordsTravelInPartitionImages(String kind) throws Exception {
    PartitionStateMachine m = new PartitionStateMachine(store(kind), 1, EXPIRY);
    apply(m, stage("x", block("aa", 1, T0)), T0);
    ByteArrayOutputStream image = new ByteArrayOutputStream();
    m.writeImage(0, index, image);
    MetadataStore other = store(kind.equals("memory") ? "rocksdb" : "memory");
    PartitionStateMachine copy = new PartitionStateMachine(other, 1, EXPIRY);
    copy.loadImage(0, new ByteArrayInputStream(image.toByteArray()));
    assertEquals(List.of("x"), names(list(copy, true, "", 10)));
    assertEquals(1, other.stagedBlob(0, ACCOUNT, CID, "x").orElseThrow().getBlockCount());
    index = copy.appliedIndex(0);
    apply(copy, MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(blob(ACCOUNT, CID, "y", 1))),
        T0 + EXPIRY + 1);
    assertEquals(List.of(), staged(copy, "x"), "the copy expires them too");
  }
}
