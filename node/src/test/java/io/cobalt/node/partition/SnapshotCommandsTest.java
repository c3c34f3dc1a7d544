package io.cobalt.node.partition;

import static io.cobalt.node.partition.Records.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.ChunkReferences;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.DeleteBlob;
import io.cobalt.proto.node.v1.DeleteSnapshots;
import io.cobalt.proto.node.v1.DekHolder;
import io.cobalt.proto.node.v1.DekHolderKind;
import io.cobalt.proto.node.v1.DekScan;
import io.cobalt.proto.node.v1.DekSwap;
import io.cobalt.proto.node.v1.DekSwapOutcome;
import io.cobalt.proto.node.v1.DekSwaps;
import io.cobalt.proto.node.v1.GetBlob;
import io.cobalt.proto.node.v1.LeaseAction;
import io.cobalt.proto.node.v1.LeaseBlob;
import io.cobalt.proto.node.v1.LeaseRequest;
import io.cobalt.proto.node.v1.ListBlobs;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.SnapshotBlob;
import io.cobalt.proto.node.v1.StreamRef;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Blob snapshots at the apply step (ADR 0022), against both stores: immutable copies sharing the
 * blob's chunks and keys, Azure's delete rules, listings, and that garbage collection and the
 * rewrap job see them.
 */
class SnapshotCommandsTest {
  private static final String ACCOUNT = "acct";
  private static final ByteString CID = id(5);
  private static final int P = 1;
  private static final String T1 = "2026-11-29T08:00:00.0000001Z";
  private static final String T2 = "2026-11-29T08:00:01.5000000Z";
  private static final String LEASE = "11111111-2222-3333-4444-555555555555";

  @TempDir Path dir;

  private long index;

  private void withMachine(String store, Consumer<PartitionStateMachine> test) throws Exception {
    if (store.equals("memory")) {
      test.accept(new PartitionStateMachine(new InMemoryMetadataStore(), 2));
    } else {
      try (RocksStorage storage = RocksStorage.open(dir.resolve("rocks"), RocksStorageConfig.defaults())) {
        test.accept(new PartitionStateMachine(storage.metadata(), 2));
      }
    }
  }

  private CommandResult apply(PartitionStateMachine m, MetadataCommand.Builder c) {
    MetadataCommand command = c.setPartition(P).build();
    m.validate(command);
    return m.apply(++index, command);
  }

  private static ByteString chunk(int n) {
    return ByteString.copyFrom(ByteBuffer.allocate(32).putInt(28, n).array());
  }

  /** A blob version whose one stream holds chunk {@code chunk} and whose DEK is filled with {@code dekFill}. */
  private static BlobRecord blob(String name, long version, int chunk, int dekFill) {
    byte[] ct = new byte[60];
    java.util.Arrays.fill(ct, (byte) dekFill);
    return Records.blob(ACCOUNT, CID, name, version).toBuilder()
        .clearStreams().addStreams(StreamRef.newBuilder().setStreamId(id(70 + version)).setPlaintextLength(5)
            .addChunks(ChunkRef.newBuilder().setChunkId(chunk(chunk)).addReplicas("n1")))
        .clearDeks().addDeks(WrappedKey.newBuilder().setKeyId("account/" + ACCOUNT).setKeyVersion(1)
            .setCiphertext(ByteString.copyFrom(ct)))
        .putMetadata("base", "yes")
        .build();
  }

  private static MetadataCommand.Builder snapshot(String name, String time) {
    return MetadataCommand.newBuilder().setSnapshotBlob(SnapshotBlob.newBuilder().setAccount(ACCOUNT)
        .setContainerId(CID).setName(name).setSnapshot(time));
  }

  private static MetadataCommand.Builder delete(String name, DeleteSnapshots option, String snapshot) {
    return MetadataCommand.newBuilder().setDeleteBlob(DeleteBlob.newBuilder().setAccount(ACCOUNT)
        .setContainerId(CID).setName(name).setDeleteSnapshots(option).setSnapshot(snapshot));
  }

  private static BlobRecord get(PartitionStateMachine m, String name, String snapshot) {
    QueryResult r = m.query(MetadataQuery.newBuilder().setPartition(P).setGetBlob(GetBlob.newBuilder()
        .setAccount(ACCOUNT).setContainerId(CID).setName(name).setSnapshot(snapshot)).build());
    return r.getBlobsCount() == 0 ? null : r.getBlobs(0);
  }

  private static QueryResult list(PartitionStateMachine m, boolean snapshots, String marker, int max) {
    return m.query(MetadataQuery.newBuilder().setPartition(P).setListBlobs(ListBlobs.newBuilder()
        .setAccount(ACCOUNT).setContainerId(CID).setMarker(marker).setMaxResults(max)
        .setIncludeSnapshots(snapshots)).build());
  }

  private static List<String> names(QueryResult r) {
    List<String> out = new ArrayList<>();
    for (BlobRecord b : r.getBlobsList()) {
      out.add(b.getSnapshot().isEmpty() ? b.getName() : b.getName() + "@" + b.getSnapshot());
    }
    return out;
  }

  private static boolean referenced(PartitionStateMachine m, int chunk) {
    return m.query(MetadataQuery.newBuilder().setPartition(P)
        .setChunkReferences(ChunkReferences.newBuilder().addChunkIds(chunk(chunk))).build())
        .getReferencedChunkIdsCount() == 1;
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void snapshotIsAnImmutableCopySharingChunksAndKeys(String store) throws Exception {
    withMachine(store, m -> {
      BlobRecord base = blob("doc", 1, 10, 1);
      apply(m, Records.put(P, base).toBuilder());
      CommandResult r = apply(m, snapshot("doc", T1));
      assertEquals(CommandStatus.OK, r.getStatus());
      BlobRecord snap = get(m, "doc", T1);
      assertEquals(T1, snap.getSnapshot());
      assertEquals(r.getBlob(), snap, "the answer carries the stored snapshot");
      assertEquals(base.getObjectId(), snap.getObjectId(), "same object id: no data copy");
      assertEquals(base.getStreamsList(), snap.getStreamsList());
      assertEquals(base.getDeksList(), snap.getDeksList());
      assertEquals(base.getEtag(), snap.getEtag());
      assertEquals("yes", snap.getMetadataOrThrow("base"), "metadata is copied when none is given");

      // Overwriting and changing the blob leaves the snapshot as it was.
      apply(m, Records.put(P, blob("doc", 2, 11, 2)).toBuilder());
      assertEquals(snap, get(m, "doc", T1));
      assertEquals(Records.id(2), get(m, "doc", "").getVersionId());
      assertEquals("", get(m, "doc", "").getSnapshot());

      // x-ms-meta-* replace the metadata on the snapshot only.
      apply(m, snapshot("doc", T2).setSnapshotBlob(snapshot("doc", T2).getSnapshotBlob().toBuilder()
          .setSetMetadata(true).putMetadata("tag", "v2")));
      BlobRecord withMeta = get(m, "doc", T2);
      assertEquals(java.util.Map.of("tag", "v2"), withMeta.getMetadataMap());
      assertEquals("yes", get(m, "doc", "").getMetadataOrThrow("base"));
      assertEquals(null, get(m, "doc", "2026-11-29T08:00:09.0000000Z"), "an unknown snapshot is not found");
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void aTakenSnapshotTimeMovesToTheNextFreeTick(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, Records.put(P, blob("doc", 1, 10, 1)).toBuilder());
      assertEquals(T1, apply(m, snapshot("doc", T1)).getBlob().getSnapshot());
      assertEquals("2026-11-29T08:00:00.0000002Z", apply(m, snapshot("doc", T1)).getBlob().getSnapshot());
      assertEquals("2026-11-29T08:00:00.0000003Z", apply(m, snapshot("doc", T1)).getBlob().getSnapshot());
      apply(m, Records.put(P, blob("other", 1, 12, 1)).toBuilder());
      assertEquals(T1, apply(m, snapshot("other", T1)).getBlob().getSnapshot(), "times are per blob");
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void snapshotHonoursConditionsAndTheLeaseOnlyWhenOneIsGiven(String store) throws Exception {
    withMachine(store, m -> {
      assertEquals(CommandStatus.NOT_FOUND, apply(m, snapshot("doc", T1)).getStatus());
      BlobRecord base = blob("doc", 1, 10, 1);
      apply(m, Records.put(P, base).toBuilder());
      MetadataCommand.Builder wrongEtag = snapshot("doc", T1);
      wrongEtag.getSnapshotBlobBuilder().setCondition(Condition.newBuilder().setIfMatch("\"0xdead\""));
      assertEquals(CommandStatus.CONDITION_NOT_MET, apply(m, wrongEtag).getStatus());
      apply(m, MetadataCommand.newBuilder().setLeaseBlob(LeaseBlob.newBuilder().setAccount(ACCOUNT)
          .setContainerId(CID).setName("doc").setRequest(LeaseRequest.newBuilder()
              .setAction(LeaseAction.LEASE_ACQUIRE).setProposedLeaseId(LEASE).setDurationSeconds(-1)
              .setNowEpochMillis(1000))));
      assertEquals(CommandStatus.OK, apply(m, snapshot("doc", T1)).getStatus(), "no lease id needed");
      assertFalse(get(m, "doc", T1).hasLease(), "a snapshot is never leased");
      MetadataCommand.Builder otherLease = snapshot("doc", T2);
      otherLease.getSnapshotBlobBuilder().setCondition(Condition.newBuilder()
          .setLeaseId("99999999-2222-3333-4444-555555555555").setNowEpochMillis(2000));
      assertEquals(CommandStatus.LEASE_ID_MISMATCH, apply(m, otherLease).getStatus());
      MetadataCommand.Builder rightLease = snapshot("doc", T2);
      rightLease.getSnapshotBlobBuilder().setCondition(Condition.newBuilder().setLeaseId(LEASE).setNowEpochMillis(2000));
      assertEquals(CommandStatus.OK, apply(m, rightLease).getStatus());
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void deleteFollowsAzureSnapshotRules(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, Records.put(P, blob("doc", 1, 10, 1)).toBuilder());
      apply(m, snapshot("doc", T1));
      apply(m, snapshot("doc", T2));
      assertEquals(CommandStatus.SNAPSHOTS_PRESENT,
          apply(m, delete("doc", DeleteSnapshots.DELETE_SNAPSHOTS_UNSPECIFIED, "")).getStatus());
      assertTrue(get(m, "doc", "") != null);

      assertEquals(CommandStatus.OK, apply(m, delete("doc", DeleteSnapshots.DELETE_SNAPSHOTS_UNSPECIFIED, T1))
          .getStatus(), "one snapshot alone");
      assertEquals(null, get(m, "doc", T1));
      assertTrue(get(m, "doc", T2) != null);
      assertEquals(CommandStatus.NOT_FOUND,
          apply(m, delete("doc", DeleteSnapshots.DELETE_SNAPSHOTS_UNSPECIFIED, T1)).getStatus());

      assertEquals(CommandStatus.OK, apply(m, delete("doc", DeleteSnapshots.DELETE_SNAPSHOTS_ONLY, "")).getStatus());
      assertEquals(null, get(m, "doc", T2));
      assertTrue(get(m, "doc", "") != null, "only: the blob stays");
      assertEquals(CommandStatus.OK,
          apply(m, delete("doc", DeleteSnapshots.DELETE_SNAPSHOTS_UNSPECIFIED, "")).getStatus(),
          "without snapshots the blob deletes without the header");

      apply(m, Records.put(P, blob("doc", 3, 10, 1)).toBuilder());
      apply(m, snapshot("doc", T1));
      assertEquals(CommandStatus.OK, apply(m, delete("doc", DeleteSnapshots.DELETE_SNAPSHOTS_INCLUDE, "")).getStatus());
      assertEquals(null, get(m, "doc", ""));
      assertEquals(null, get(m, "doc", T1), "include: the snapshots go with the blob");
      assertEquals(0, list(m, true, "", 10).getBlobsCount());
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void listingPutsSnapshotsOldestFirstBeforeTheirBlobAndCountsEachAsARecord(String store) throws Exception {
    withMachine(store, m -> {
      for (String name : List.of("a", "b", "c")) {
        apply(m, Records.put(P, blob(name, 1, 10, 1)).toBuilder());
      }
      apply(m, snapshot("b", T2));
      apply(m, snapshot("b", T1));
      assertEquals(List.of("a", "b", "c"), names(list(m, false, "", 10)), "snapshots only when asked");
      QueryResult all = list(m, true, "", 10);
      assertEquals(List.of("a", "b@" + T1, "b@" + T2, "b", "c"), names(all));
      assertFalse(all.getTruncated());
      assertTrue(all.getBlobsList().stream().allMatch(b -> b.getStreamsCount() == 0 && b.getDeksCount() == 0),
          "listings carry no manifests or keys");
      QueryResult first = list(m, true, "", 2);
      assertEquals(List.of("a", "b@" + T1), names(first), "each snapshot counts toward max_results");
      assertTrue(first.getTruncated());
      QueryResult second = list(m, true, "b", T1, 2);
      assertEquals(List.of("b@" + T2, "b"), names(second), "resumes after b's first snapshot");
      assertTrue(second.getTruncated());
      QueryResult third = list(m, true, "b", "", 2);
      assertEquals(List.of("c"), names(third));
      assertFalse(third.getTruncated());
      assertEquals(List.of("b", "c"), names(list(m, true, "b", T2, 5)), "after b's last snapshot: b itself");
    });
  }

  private static QueryResult list(PartitionStateMachine m, boolean snapshots, String marker, String markerSnapshot,
      int max) {
    return m.query(MetadataQuery.newBuilder().setPartition(P).setListBlobs(ListBlobs.newBuilder()
        .setAccount(ACCOUNT).setContainerId(CID).setMarker(marker).setMarkerSnapshot(markerSnapshot)
        .setMaxResults(max).setIncludeSnapshots(snapshots)).build());
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void aChunkReferencedOnlyBySnapshotsIsNeverCollected(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, Records.put(P, blob("doc", 1, 10, 1)).toBuilder());
      apply(m, snapshot("doc", T1));
      apply(m, Records.put(P, blob("doc", 2, 11, 1)).toBuilder());
      assertTrue(referenced(m, 10), "chunk 10 is now only in the snapshot: GC must keep it");
      assertTrue(referenced(m, 11));

      // The same after the partition went through a Raft snapshot image into another store.
      PartitionStateMachine copy = new PartitionStateMachine(new InMemoryMetadataStore(), 2);
      try {
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        m.writeImage(P, m.appliedIndex(P), image);
        copy.loadImage(P, new ByteArrayInputStream(image.toByteArray()));
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      assertTrue(referenced(copy, 10), "the image carries the snapshot");
      assertEquals(get(m, "doc", T1), get(copy, "doc", T1));

      apply(m, delete("doc", DeleteSnapshots.DELETE_SNAPSHOTS_INCLUDE, ""));
      assertFalse(referenced(m, 10), "deleted with its blob: no longer referenced");
      assertFalse(referenced(m, 11));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocksdb"})
  void theRewrapWalkSeesSnapshotDeksAndSwapsThem(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, Records.put(P, blob("doc", 1, 10, 1)).toBuilder());
      apply(m, snapshot("doc", T1));
      apply(m, Records.put(P, blob("doc", 2, 11, 2)).toBuilder());
      List<DekHolder> holders = m.query(MetadataQuery.newBuilder().setPartition(P)
          .setDekScan(DekScan.newBuilder().setMaxResults(100)).build()).getDekHoldersList();
      List<DekHolder> snaps = holders.stream().filter(h -> h.getKind() == DekHolderKind.DEK_HOLDER_SNAPSHOT).toList();
      assertEquals(1, snaps.size(), "the snapshot holds a wrapped DEK of its own");
      assertEquals(2, holders.size(), "blob and snapshot");
      DekHolder h = snaps.get(0);
      assertEquals(ByteString.copyFromUtf8(T1), h.getRecordId());
      assertEquals("doc", h.getName());

      // One page at a time: positions resume after the snapshot.
      QueryResult page1 = m.query(MetadataQuery.newBuilder().setPartition(P)
          .setDekScan(DekScan.newBuilder().setMaxResults(1)).build());
      QueryResult page2 = m.query(MetadataQuery.newBuilder().setPartition(P).setDekScan(DekScan.newBuilder()
          .setAfter(page1.getDekHolders(0).getPosition()).setMaxResults(1)).build());
      assertEquals(holders, List.of(page1.getDekHolders(0), page2.getDekHolders(0)));

      WrappedKey replacement = h.getDeks(0).toBuilder().setKeyVersion(2)
          .setCiphertext(ByteString.copyFrom(new byte[60])).build();
      DekSwap swap = DekSwap.newBuilder().setKind(h.getKind()).setAccount(h.getAccount())
          .setContainerId(h.getContainerId()).setName(h.getName()).setRecordId(h.getRecordId()).setIndex(0)
          .setExpected(h.getDeks(0)).setReplacement(replacement).build();
      CommandResult r = apply(m, MetadataCommand.newBuilder().setDekSwaps(DekSwaps.newBuilder().addSwaps(swap)));
      assertEquals(List.of(DekSwapOutcome.DEK_SWAPPED), r.getDekSwapOutcomesList());
      BlobRecord swapped = get(m, "doc", T1);
      assertEquals(replacement, swapped.getDeks(0));
      assertEquals(T1, swapped.getSnapshot());
      assertEquals(1, get(m, "doc", "").getDeks(0).getKeyVersion(), "the blob's own DEK is its own record");
      assertEquals(List.of(DekSwapOutcome.DEK_SWAP_CHANGED), apply(m, MetadataCommand.newBuilder()
          .setDekSwaps(DekSwaps.newBuilder().addSwaps(swap))).getDekSwapOutcomesList(), "swapped once only");
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory"})
  void aBlobHasAtMostTheSnapshotLimit(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, Records.put(P, blob("doc", 1, 10, 1)).toBuilder());
      for (int i = 0; i < SnapshotCommands.MAX_SNAPSHOTS_PER_BLOB; i++) {
        assertEquals(CommandStatus.OK, apply(m, snapshot("doc", T1)).getStatus());
      }
      assertEquals(CommandStatus.SNAPSHOT_COUNT_EXCEEDED, apply(m, snapshot("doc", T1)).getStatus());
      assertEquals(CommandStatus.OK, apply(m, delete("doc", DeleteSnapshots.DELETE_SNAPSHOTS_UNSPECIFIED,
          "2026-11-29T08:00:00.0000005Z")).getStatus());
      assertEquals(CommandStatus.OK, apply(m, snapshot("doc", T2)).getStatus(), "room again after a delete");
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory"})
  void malformedSnapshotCommandsAreRefusedBeforeTheLog(String store) throws Exception {
    withMachine(store, m -> {
      for (String bad : List.of("", "2026-11-29T08:00:00Z", "2026-11-29T08:00:00.000000Z",
          "2026-13-29T08:00:00.0000000Z", "2026-11-29 08:00:00.0000000Z", "x".repeat(28))) {
        assertThrows(InvalidRequestException.class,
            () -> m.validate(snapshot("doc", bad).setPartition(P).build()), bad);
      }
      assertThrows(InvalidRequestException.class, () -> m.validate(
          delete("doc", DeleteSnapshots.DELETE_SNAPSHOTS_INCLUDE, T1).setPartition(P).build()));
      assertThrows(InvalidRequestException.class, () -> m.validate(
          delete("doc", DeleteSnapshots.DELETE_SNAPSHOTS_UNSPECIFIED, "yesterday").setPartition(P).build()));
      assertThrows(InvalidRequestException.class, () -> m.query(MetadataQuery.newBuilder().setPartition(P)
          .setGetBlob(GetBlob.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName("doc")
              .setSnapshot("bad")).build()));
    });
  }
}
