package io.cobalt.node.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.StateChange;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkManifestScan;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.ChunkReferences;
import io.cobalt.proto.node.v1.MessageRecord;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.StreamRef;
import io.cobalt.proto.node.v1.UncommittedBlock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunk references a partition answers for healing (ADR 0010): committed streams and staged
 * blocks count, replaced and deleted manifests stop counting, paging walks every record exactly
 * once, and the answers are the same after the partition went through a snapshot image and was
 * loaded into another store (a follower reinitialized from the leader's snapshot).
 */
class ChunkReferencesTest {
  private static final int P = 1;
  private static final ByteString CID = Records.id(1);

  @TempDir Path dir;

  private static ByteString chunk(int n) {
    return ByteString.copyFrom(ByteBuffer.allocate(32).putInt(28, n).array());
  }

  private static BlobRecord blob(String name, int... chunks) {
    StreamRef.Builder s = StreamRef.newBuilder().setStreamId(Records.id(7));
    for (int c : chunks) {
      s.addChunks(ChunkRef.newBuilder().setChunkId(chunk(c)).addReplicas("node-1"));
    }
    return Records.blob("acct", CID, name, 1).toBuilder().clearStreams().addStreams(s).build();
  }

  private static UncommittedBlock staged(String blockId, int chunk) {
    return UncommittedBlock.newBuilder().setBlockId(ByteString.copyFromUtf8(blockId))
        .setStream(StreamRef.newBuilder().setStreamId(Records.id(9))
            .addChunks(ChunkRef.newBuilder().setChunkId(chunk(chunk))))
        .build();
  }

  /** 40 blobs (chunks 0..79), then blob-5 replaced (chunks 80, 81), blob-6 deleted, staged blocks (90, 91), a queue message between. */
  private static void fill(MetadataStore store) {
    long index = 1;
    for (int b = 0; b < 40; b++) {
      store.commit(P, index++, new StateChange.PutBlob(blob("blob-" + b, 2 * b, 2 * b + 1)));
    }
    store.commit(P, index++, new StateChange.PutBlob(blob("blob-5", 80, 81)));
    store.commit(P, index++, new StateChange.RemoveBlob("acct", CID, "blob-6"));
    store.commit(P, index++, new StateChange.ChangeMessages(List.of(MessageRecord.newBuilder().setAccount("acct")
        .setQueueId(Records.id(3)).setSequence(1).setBody(ByteString.copyFromUtf8("sealed")).build()), List.of()));
    store.commit(P, index++, new StateChange.StageBlock("acct", CID, "new", staged("b1", 90)));
    store.commit(P, index++, new StateChange.StageBlock("acct", CID, "new", staged("b2", 91)));
    store.commit(P + 1, 1, new StateChange.PutBlob(blob("other-partition", 99)));
  }

  private static Set<Integer> expectedReferenced() {
    Set<Integer> s = new HashSet<>();
    for (int b = 0; b < 40; b++) {
      if (b != 5 && b != 6) {
        s.add(2 * b);
        s.add(2 * b + 1);
      }
    }
    s.addAll(List.of(80, 81, 90, 91));
    return s;
  }

  private static Set<Integer> scanAll(Function<MetadataQuery, QueryResult> query, int pageRecords) {
    Set<Integer> seen = new HashSet<>();
    List<Integer> all = new ArrayList<>();
    ByteString cursor = ByteString.EMPTY;
    int pages = 0;
    do {
      QueryResult r = query.apply(MetadataQuery.newBuilder().setPartition(P)
          .setChunkManifestScan(ChunkManifestScan.newBuilder().setCursor(cursor).setMaxRecords(pageRecords)).build());
      for (ChunkRef ref : r.getChunkRefsList()) {
        int n = ref.getChunkId().asReadOnlyByteBuffer().getInt(28);
        all.add(n);
        seen.add(n);
      }
      cursor = r.getChunkScanCursor();
      pages++;
    } while (!cursor.isEmpty());
    assertEquals(all.size(), seen.size(), "every reference once");
    assertTrue(pages >= 41 / pageRecords, "paged");
    return seen;
  }

  private static Set<Integer> referenced(PartitionStateMachine sm, int from, int to) {
    ChunkReferences.Builder ask = ChunkReferences.newBuilder();
    for (int n = from; n < to; n++) {
      ask.addChunkIds(chunk(n));
    }
    Set<Integer> out = new HashSet<>();
    for (ByteString b : sm.query(MetadataQuery.newBuilder().setPartition(P).setChunkReferences(ask).build())
        .getReferencedChunkIdsList()) {
      out.add(b.asReadOnlyByteBuffer().getInt(28));
    }
    return out;
  }

  private void checkBoth(MetadataStore store, MetadataStore fresh) throws Exception {
    fill(store);
    PartitionStateMachine sm = new PartitionStateMachine(store, 4);
    PartitionStateMachine reloaded = new PartitionStateMachine(fresh, 4);
    for (PartitionStateMachine m : List.of(sm, reloaded)) {
      if (m == reloaded) {
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        sm.writeImage(P, sm.appliedIndex(P) + 3, image);
        reloaded.loadImage(P, new ByteArrayInputStream(image.toByteArray()));
      }
      for (int page : List.of(1, 7, 1024)) {
        assertEquals(expectedReferenced(), scanAll(m::query, page), "scan with pages of " + page);
      }
      assertEquals(expectedReferenced(), referenced(m, 0, 100), "referenced among 0..99");
      assertEquals(Set.of(), referenced(m, 99, 100), "another partition's chunk is not this one's");
    }
  }

  @Test
  void rocksStoreAnswersTheSameReferencesBeforeAndAfterASnapshotImage() throws Exception {
    try (RocksStorage a = RocksStorage.open(dir.resolve("a"), RocksStorageConfig.defaults());
        RocksStorage b = RocksStorage.open(dir.resolve("b"), RocksStorageConfig.defaults())) {
      checkBoth(a.metadata(), b.metadata());
    }
  }

  @Test
  void inMemoryStoreAnswersTheSameReferencesBeforeAndAfterASnapshotImage() throws Exception {
    checkBoth(new InMemoryMetadataStore(), new InMemoryMetadataStore());
  }

  @Test
  void refusesOversizedOrMalformedHealingQueries() {
    PartitionStateMachine sm = new PartitionStateMachine(new InMemoryMetadataStore(), 4);
    ChunkReferences.Builder many = ChunkReferences.newBuilder();
    for (int n = 0; n <= 1024; n++) {
      many.addChunkIds(chunk(n));
    }
    assertThrows(InvalidRequestException.class,
        () -> sm.query(MetadataQuery.newBuilder().setPartition(P).setChunkReferences(many).build()));
    assertThrows(InvalidRequestException.class, () -> sm.query(MetadataQuery.newBuilder().setPartition(P)
        .setChunkReferences(ChunkReferences.newBuilder().addChunkIds(ByteString.copyFromUtf8("short"))).build()));
    assertThrows(InvalidRequestException.class, () -> sm.query(MetadataQuery.newBuilder().setPartition(P)
        .setChunkManifestScan(ChunkManifestScan.newBuilder().setMaxRecords(0)).build()));
  }
}
