package io.cobalt.node.partition;

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
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CreateQueue;
import io.cobalt.proto.node.v1.CreateTable;
import io.cobalt.proto.node.v1.DekHolder;
import io.cobalt.proto.node.v1.DekHolderKind;
import io.cobalt.proto.node.v1.DekScan;
import io.cobalt.proto.node.v1.DekSwap;
import io.cobalt.proto.node.v1.DekSwapOutcome;
import io.cobalt.proto.node.v1.DekSwaps;
import io.cobalt.proto.node.v1.DeleteTable;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.GetBlob;
import io.cobalt.proto.node.v1.GetBlockList;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutEntity;
import io.cobalt.proto.node.v1.PutMessage;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.StageBlock;
import io.cobalt.proto.node.v1.StreamRef;
import io.cobalt.proto.node.v1.TableRecord;
import io.cobalt.proto.node.v1.UncommittedBlock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rewrap job's walk and compare-and-swap of wrapped DEKs, against both stores (one contract). */
class DekCommandsTest {
  private static final String ACCOUNT = "acct";
  private static final String KEY = "account/acct";
  private static final ByteString CONTAINER_ID = id(5);
  private static final int P = 1;

  @TempDir Path dir;

  private long index;

  private void withMachine(String store, Consumer<PartitionStateMachine> test) throws Exception {
    if (store.equals("memory")) {
      test.accept(new PartitionStateMachine(new InMemoryMetadataStore(), 2));
    } else {
      try (RocksStorage storage = RocksStorage.open(dir, RocksStorageConfig.defaults())) {
        MetadataStore s = storage.metadata();
        test.accept(new PartitionStateMachine(s, 2));
      }
    }
  }

  private CommandResult apply(PartitionStateMachine m, MetadataCommand.Builder c) {
    return m.apply(++index, c.setPartition(P).build());
  }

  private static WrappedKey wrapped(int version, int fill) {
    byte[] ct = new byte[60];
    java.util.Arrays.fill(ct, (byte) fill);
    return WrappedKey.newBuilder().setKeyId(KEY).setKeyVersion(version).setCiphertext(ByteString.copyFrom(ct)).build();
  }

  private static BlobRecord blob(String name, long version, WrappedKey... deks) {
    BlobRecord.Builder b = Records.blob(ACCOUNT, CONTAINER_ID, name, version).toBuilder().clearDeks();
    for (WrappedKey k : deks) {
      b.addDeks(k);
    }
    return b.build();
  }

  private static MetadataCommand.Builder putBlob(BlobRecord b) {
    return Records.put(P, b).toBuilder();
  }

  private static MetadataCommand.Builder stage(String blob, int blockId, WrappedKey dek) {
    return MetadataCommand.newBuilder().setStageBlock(StageBlock.newBuilder().setAccount(ACCOUNT)
        .setContainerId(CONTAINER_ID).setName(blob).setBlock(UncommittedBlock.newBuilder()
            .setBlockId(ByteString.copyFrom(new byte[] {(byte) blockId}))
            .setStream(StreamRef.newBuilder().setStreamId(id(100 + blockId)).setPlaintextLength(1))
            .setDek(dek)));
  }

  private static MetadataCommand.Builder createTable(String name, long tableId, WrappedKey dek) {
    return MetadataCommand.newBuilder().setCreateTable(CreateTable.newBuilder().setTable(TableRecord.newBuilder()
        .setAccount(ACCOUNT).setName(name).setTableId(id(tableId)).setCreatedEpochMillis(1).setDek(dek)));
  }

  private static MetadataCommand.Builder createQueue(String name, long queueId, WrappedKey dek) {
    return MetadataCommand.newBuilder().setCreateQueue(CreateQueue.newBuilder().setQueue(QueueRecord.newBuilder()
        .setAccount(ACCOUNT).setName(name).setQueueId(id(queueId)).setCreatedEpochMillis(1).setDek(dek)));
  }

  private static DekSwap swapOf(DekHolder h, int i, WrappedKey replacement) {
    return DekSwap.newBuilder().setKind(h.getKind()).setAccount(h.getAccount()).setContainerId(h.getContainerId())
        .setName(h.getName()).setBlockId(h.getBlockId()).setRecordId(h.getRecordId()).setIndex(i)
        .setExpected(h.getDeks(i)).setReplacement(replacement).build();
  }

  private static MetadataCommand.Builder swaps(DekSwap... s) {
    return MetadataCommand.newBuilder().setDekSwaps(DekSwaps.newBuilder().addAllSwaps(List.of(s)));
  }

  /** Every holder of the partition, walking pages of {@code pageSize}. */
  private static List<DekHolder> walk(PartitionStateMachine m, int pageSize) {
    List<DekHolder> all = new ArrayList<>();
    ByteString after = ByteString.EMPTY;
    while (true) {
      QueryResult r = m.query(MetadataQuery.newBuilder().setPartition(P)
          .setDekScan(DekScan.newBuilder().setAfter(after).setMaxResults(pageSize)).build());
      assertTrue(r.getDekHoldersCount() <= pageSize);
      all.addAll(r.getDekHoldersList());
      if (!r.getTruncated()) {
        return all;
      }
      after = r.getDekHolders(r.getDekHoldersCount() - 1).getPosition();
    }
  }

  private void populate(PartitionStateMachine m) {
    apply(m, putBlob(blob("b1", 1, wrapped(1, 1))));
    apply(m, putBlob(blob("b2", 2, wrapped(1, 2), wrapped(1, 3))));
    apply(m, stage("b2", 1, wrapped(1, 4)));
    apply(m, stage("b3", 2, wrapped(1, 5)));
    apply(m, createTable("Orders", 10, wrapped(1, 6)));
    apply(m, createQueue("jobs", 20, wrapped(1, 7)));
    // Records without DEKs that the walk must step over.
    apply(m, MetadataCommand.newBuilder().setPutEntity(PutEntity.newBuilder().setEntity(EntityRecord.newBuilder()
        .setAccount(ACCOUNT).setTableId(id(10)).setPartitionKey("pk").setRowKey("rk").setEtag("\"e\""))));
    apply(m, MetadataCommand.newBuilder().setPutMessage(PutMessage.newBuilder().setAccount(ACCOUNT)
        .setQueueName("jobs").setQueueId(id(20)).setMessageId(id(1)).setBody(ByteString.copyFromUtf8("x"))
        .setNowEpochMillis(1000).setTtlSeconds(60).setPopReceipt(id(2))));
    apply(m, MetadataCommand.newBuilder().setCreateContainer(
        io.cobalt.proto.node.v1.CreateContainer.newBuilder().setContainer(Records.container(ACCOUNT, "c", 5))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void walkVisitsEveryDekHolderOnceInBoundedPages(String store) throws Exception {
    withMachine(store, m -> {
      populate(m);
      for (int pageSize : new int[] {1, 2, 1000}) {
        List<DekHolder> all = walk(m, pageSize);
        assertEquals(6, all.size(), "pages of " + pageSize + ": " + all);
        Set<ByteString> positions = new HashSet<>();
        Set<ByteString> wrapped = new HashSet<>();
        for (DekHolder h : all) {
          assertTrue(positions.add(h.getPosition()));
          h.getDeksList().forEach(k -> wrapped.add(k.getCiphertext()));
        }
        assertEquals(7, wrapped.size(), "every stored wrapped DEK is seen");
        assertEquals(2, all.stream().filter(h -> h.getKind() == DekHolderKind.DEK_HOLDER_BLOB).count());
        assertEquals(2, all.stream().filter(h -> h.getKind() == DekHolderKind.DEK_HOLDER_UNCOMMITTED_BLOCK).count());
        assertEquals(1, all.stream().filter(h -> h.getKind() == DekHolderKind.DEK_HOLDER_TABLE).count());
        assertEquals(1, all.stream().filter(h -> h.getKind() == DekHolderKind.DEK_HOLDER_QUEUE).count());
      }
      assertEquals(0, walk(new PartitionStateMachine(new InMemoryMetadataStore(), 2), 10).size());
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void swapReplacesOnlyTheWrappingAndOnlyOnce(String store) throws Exception {
    withMachine(store, m -> {
      populate(m);
      List<DekHolder> before = walk(m, 1000);
      List<DekSwap> all = new ArrayList<>();
      for (DekHolder h : before) {
        for (int i = 0; i < h.getDeksCount(); i++) {
          all.add(swapOf(h, i, h.getDeks(i).toBuilder().setKeyVersion(2)
              .setCiphertext(ByteString.copyFrom(new byte[60])).build()));
        }
      }
      BlobRecord b2Before = getBlob(m, "b2");
      CommandResult r = apply(m, swaps(all.toArray(DekSwap[]::new)));
      assertEquals(7, r.getDekSwapOutcomesCount());
      assertTrue(r.getDekSwapOutcomesList().stream().allMatch(o -> o == DekSwapOutcome.DEK_SWAPPED), r.toString());
      for (DekHolder h : walk(m, 1000)) {
        h.getDeksList().forEach(k -> assertEquals(2, k.getKeyVersion(), h.toString()));
      }
      // Nothing but the wrapping changed: ETag, last-modified, manifest, MAC; uncommitted blocks stay.
      BlobRecord b2After = getBlob(m, "b2");
      assertEquals(b2Before.toBuilder().clearDeks().build(), b2After.toBuilder().clearDeks().build());
      assertEquals(1, m.query(MetadataQuery.newBuilder().setPartition(P).setGetBlockList(GetBlockList.newBuilder()
          .setAccount(ACCOUNT).setContainerId(CONTAINER_ID).setName("b2")).build()).getUncommittedBlocksCount());
      // The same swaps again: the records no longer hold the expected bytes.
      CommandResult again = apply(m, swaps(all.toArray(DekSwap[]::new)));
      assertTrue(again.getDekSwapOutcomesList().stream().allMatch(o -> o == DekSwapOutcome.DEK_SWAP_CHANGED));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void recordsOverwrittenOrDeletedSinceTheScanAreSkipped(String store) throws Exception {
    withMachine(store, m -> {
      populate(m);
      List<DekHolder> scanned = walk(m, 1000);
      DekHolder b1 = find(scanned, DekHolderKind.DEK_HOLDER_BLOB, "b1");
      DekHolder table = find(scanned, DekHolderKind.DEK_HOLDER_TABLE, "Orders");
      DekHolder queue = find(scanned, DekHolderKind.DEK_HOLDER_QUEUE, "jobs");
      DekHolder block = find(scanned, DekHolderKind.DEK_HOLDER_UNCOMMITTED_BLOCK, "b3");
      // Meanwhile: b1 overwritten (same wrapped bytes even, but a new version), the table dropped
      // and created again, the block staged again with a new stream.
      apply(m, putBlob(blob("b1", 99, wrapped(1, 1))));
      apply(m, MetadataCommand.newBuilder().setDeleteTable(DeleteTable.newBuilder().setAccount(ACCOUNT).setName("Orders")));
      apply(m, createTable("orders", 11, wrapped(1, 6)));
      apply(m, stage("b3", 2, wrapped(1, 5)).setStageBlock(stage("b3", 2, wrapped(1, 5)).getStageBlock().toBuilder()
          .setBlock(stage("b3", 2, wrapped(1, 5)).getStageBlock().getBlock().toBuilder()
              .setStream(StreamRef.newBuilder().setStreamId(id(555))))));
      WrappedKey v2 = wrapped(2, 9);
      CommandResult r = apply(m, swaps(swapOf(b1, 0, v2), swapOf(table, 0, v2), swapOf(block, 0, v2),
          swapOf(queue, 0, v2)));
      assertEquals(List.of(DekSwapOutcome.DEK_SWAP_CHANGED, DekSwapOutcome.DEK_SWAP_CHANGED,
          DekSwapOutcome.DEK_SWAP_CHANGED, DekSwapOutcome.DEK_SWAPPED), r.getDekSwapOutcomesList());
      assertEquals(1, getBlob(m, "b1").getDeks(0).getKeyVersion());
      assertFalse(walk(m, 1000).stream().filter(h -> h.getKind() != DekHolderKind.DEK_HOLDER_QUEUE)
          .anyMatch(h -> h.getDeksList().contains(v2)));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void swapsSurviveAPartitionImage(String store) throws Exception {
    withMachine(store, m -> {
      populate(m);
      DekHolder b2 = find(walk(m, 1000), DekHolderKind.DEK_HOLDER_BLOB, "b2");
      apply(m, swaps(swapOf(b2, 1, wrapped(2, 8))));
      try {
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        m.writeImage(P, index, image);
        PartitionStateMachine copy = new PartitionStateMachine(new InMemoryMetadataStore(), 2);
        copy.loadImage(P, new ByteArrayInputStream(image.toByteArray()));
        assertEquals(List.of(wrapped(1, 2), wrapped(2, 8)), getBlob(copy, "b2").getDeksList());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void malformedSwapsAreRefusedBeforeTheLog(String store) throws Exception {
    withMachine(store, m -> {
      populate(m);
      DekHolder b1 = find(walk(m, 1000), DekHolderKind.DEK_HOLDER_BLOB, "b1");
      // ADR 0031: a rewrap may move a DEK to another key (its owner's new key source) ...
      WrappedKey otherKey = wrapped(2, 1).toBuilder().setKeyId("cmk/other").build();
      m.validate(swaps(swapOf(b1, 0, otherKey)).setPartition(P).build());
      // ... but never into a customer-provided key, which only the client holds.
      WrappedKey cpk = wrapped(2, 1).toBuilder().setKeyId("cpk").build();
      assertThrows(InvalidRequestException.class, () -> m.validate(swaps(swapOf(b1, 0, cpk)).setPartition(P).build()));
      WrappedKey withDigest = otherKey.toBuilder().setCpkKeySha256(ByteString.copyFrom(new byte[32])).build();
      assertThrows(InvalidRequestException.class,
          () -> m.validate(swaps(swapOf(b1, 0, withDigest)).setPartition(P).build()));
      assertThrows(InvalidRequestException.class, () -> m.validate(swaps().setPartition(P).build()));
      assertThrows(InvalidRequestException.class, () -> m.validate(swaps(swapOf(b1, 0,
          wrapped(2, 1).toBuilder().setCiphertext(ByteString.EMPTY).build())).setPartition(P).build()));
      assertEquals(1, getBlob(m, "b1").getDeks(0).getKeyVersion());
    });
  }

  /** A customer-key blob's tags DEK (ADR 0018 §6): listed last by the scan, swapped at index deks_count. */
  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void tagsDekIsScannedLastAndSwappedAtIndexDeksCount(String store) throws Exception {
    withMachine(store, m -> {
      WrappedKey cpkDek = wrapped(1, 8).toBuilder().setKeyId("cpk").build();
      BlobRecord tagged = blob("t1", 3, cpkDek).toBuilder().setEncryptionKeySha256(id(9))
          .setSealedTags(ByteString.copyFrom(new byte[40])).setTagsId(id(11)).setTagCount(1)
          .setTagsDek(wrapped(1, 9)).build();
      apply(m, putBlob(tagged));
      DekHolder h = find(walk(m, 1000), DekHolderKind.DEK_HOLDER_BLOB, "t1");
      assertEquals(List.of(cpkDek, wrapped(1, 9)), h.getDeksList(), "blob DEKs, then the tags DEK");

      WrappedKey rewrapped = wrapped(2, 10);
      CommandResult r = apply(m, swaps(swapOf(h, 1, rewrapped)));
      assertEquals(List.of(DekSwapOutcome.DEK_SWAPPED), r.getDekSwapOutcomesList());
      BlobRecord after = getBlob(m, "t1");
      assertEquals(rewrapped, after.getTagsDek());
      assertEquals(cpkDek, after.getDeks(0), "the customer-wrapped DEK is untouched");
      assertEquals(tagged.getEtag(), after.getEtag());
      assertEquals(tagged.getSealedTags(), after.getSealedTags());
      // The same swap again, and a swap past the tags DEK, find nothing to swap.
      r = apply(m, swaps(swapOf(h, 1, wrapped(2, 11)),
          swapOf(h, 1, wrapped(2, 11)).toBuilder().setIndex(2).build()));
      assertEquals(List.of(DekSwapOutcome.DEK_SWAP_CHANGED, DekSwapOutcome.DEK_SWAP_CHANGED),
          r.getDekSwapOutcomesList());
      assertEquals(rewrapped, getBlob(m, "t1").getTagsDek());

      // Set Blob Tags replaces the tags DEK; without one (no tags) it is cleared, and the scan drops it.
      WrappedKey fresh = wrapped(2, 12);
      r = apply(m, MetadataCommand.newBuilder().setSetBlobTags(io.cobalt.proto.node.v1.SetBlobTags.newBuilder()
          .setAccount(ACCOUNT).setContainerId(CONTAINER_ID).setName("t1").setVersionId(tagged.getVersionId())
          .setSealedTags(ByteString.copyFrom(new byte[41])).setTagsId(id(12)).setTagCount(1).setTagsDek(fresh)));
      assertEquals(io.cobalt.proto.node.v1.CommandStatus.OK, r.getStatus(), r.toString());
      assertEquals(List.of(cpkDek, fresh), find(walk(m, 1000), DekHolderKind.DEK_HOLDER_BLOB, "t1").getDeksList());
      r = apply(m, MetadataCommand.newBuilder().setSetBlobTags(io.cobalt.proto.node.v1.SetBlobTags.newBuilder()
          .setAccount(ACCOUNT).setContainerId(CONTAINER_ID).setName("t1").setVersionId(tagged.getVersionId())));
      assertEquals(io.cobalt.proto.node.v1.CommandStatus.OK, r.getStatus(), r.toString());
      assertFalse(getBlob(m, "t1").hasTagsDek());
      assertEquals(List.of(cpkDek), find(walk(m, 1000), DekHolderKind.DEK_HOLDER_BLOB, "t1").getDeksList());
    });
  }

  private static DekHolder find(List<DekHolder> all, DekHolderKind kind, String name) {
    return all.stream().filter(h -> h.getKind() == kind && h.getName().equals(name)).findFirst().orElseThrow();
  }

  private static BlobRecord getBlob(PartitionStateMachine m, String name) {
    return m.query(MetadataQuery.newBuilder().setPartition(P).setGetBlob(GetBlob.newBuilder().setAccount(ACCOUNT)
        .setContainerId(CONTAINER_ID).setName(name)).build()).getBlobs(0);
  }
}
