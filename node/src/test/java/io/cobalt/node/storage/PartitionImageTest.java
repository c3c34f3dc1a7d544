package io.cobalt.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.partition.Records;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.MessageRecord;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.TableRecord;
import io.cobalt.proto.node.v1.UncommittedBlock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partition images (Raft snapshots): the records of one partition leave and return exactly, through
 * either store and across stores; other partitions are untouched; a damaged image is refused whole.
 */
class PartitionImageTest {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  @TempDir Path dir;

  /** Containers, blobs (with emoji names), uncommitted blocks, a table and its entities, a queue and its messages in partition 3; one container in partition 4. */
  private static void fill(MetadataStore store) {
    long index = 1;
    ContainerRecord c = Records.container("acct", "c", 7);
    store.commit(3, index++, new StateChange.PutContainer(c));
    store.commit(3, index++, new StateChange.PutContainer(Records.container("acct", "d", 8)));
    for (String name : List.of("a", "b/c", "\uD83D\uDE00", "z")) {
      store.commit(3, index++, new StateChange.PutBlob(Records.blob("acct", c.getContainerId(), name, index)));
    }
    // Blob snapshots (ADR 0022): image record kind 'N'.
    for (String time : List.of("2026-01-02T03:04:05.0000001Z", "2026-01-02T03:04:05.1234567Z")) {
      store.commit(3, index++, new StateChange.PutSnapshot(
          Records.blob("acct", c.getContainerId(), "b/c", 3).toBuilder().setSnapshot(time).build()));
    }
    store.commit(3, index++, new StateChange.PutSnapshot(Records.blob("acct", c.getContainerId(), "\uD83D\uDE00", 4)
        .toBuilder().setSnapshot("2026-01-02T03:04:06.0000000Z").putMetadata("snap", "yes").build()));
    for (String blockId : List.of("b1", "b2")) {
      store.commit(3, index++, new StateChange.StageBlock("acct", c.getContainerId(), "b/c", block(blockId)));
    }
    store.commit(3, index++, new StateChange.StageBlock("acct", c.getContainerId(), "new", block("n1")));
    store.commit(3, index++, new StateChange.PutTable(TableRecord.newBuilder().setAccount("acct").setName("MyTable")
        .setTableId(Records.id(11)).setDek(WrappedKey.newBuilder().setKeyId("k").setKeyVersion(1)).build()));
    for (String pk : List.of("p", "p\uD83D\uDE00", "q")) {
      store.commit(3, index++, new StateChange.PutEntity(EntityRecord.newBuilder().setAccount("acct")
          .setTableId(Records.id(11)).setPartitionKey(pk).setRowKey("r").setEtag("\"e\"")
          .setProperties(ByteString.copyFromUtf8("sealed")).build()));
    }
    store.commit(3, index++, new StateChange.PutQueue(QueueRecord.newBuilder().setAccount("acct").setName("jobs")
        .setQueueId(Records.id(12)).putMetadata("team", "ops")
        .setDek(WrappedKey.newBuilder().setKeyId("k").setKeyVersion(1)).build()));
    for (long sequence : List.of(5L, 300L, 70_000L)) {
      store.commit(3, index++, new StateChange.ChangeMessages(List.of(MessageRecord.newBuilder().setAccount("acct")
          .setQueueId(Records.id(12)).setSequence(sequence).setMessageId(Records.id(sequence))
          .setExpirationEpochMillis(Long.MAX_VALUE).setBody(ByteString.copyFromUtf8("sealed")).build()), List.of()));
    }
    store.commit(4, 99, new StateChange.PutContainer(Records.container("acct", "other", 9)));
  }

  private static UncommittedBlock block(String id) {
    return UncommittedBlock.newBuilder().setBlockId(ByteString.copyFromUtf8(id)).setStagedEpochMillis(5).build();
  }

  private static byte[] image(MetadataStore store, int partition, long index) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PartitionImage.write(out, partition, index, store.records(partition));
    return out.toByteArray();
  }

  @Test
  void anImageRebuildsThePartitionInEitherStoreAndLeavesOtherPartitionsAlone() throws IOException {
    InMemoryMetadataStore memory = new InMemoryMetadataStore();
    fill(memory);
    byte[] fromMemory = image(memory, 3, 42);
    try (RocksStorage storage = RocksStorage.open(dir.resolve("rocks"), RocksStorageConfig.defaults())) {
      MetadataStore rocks = storage.metadataBehindLog();
      fill(rocks);
      byte[] fromRocks = image(rocks, 3, 42);
      assertEquals(records(memory, 3), records(rocks, 3), "both stores list the same records");
      assertEquals(20, rocks.records(3).size());

      // Into a fresh store of the other kind, over stale content of the same partition.
      try (RocksStorage other = RocksStorage.open(dir.resolve("rocks2"), RocksStorageConfig.defaults())) {
        MetadataStore target = other.metadataBehindLog();
        target.commit(3, 500, new StateChange.PutContainer(Records.container("acct", "stale", 1)));
        target.commit(4, 7, new StateChange.PutContainer(Records.container("acct", "keep", 2)));
        PartitionImage.Contents c = PartitionImage.read(new ByteArrayInputStream(fromMemory), 3);
        target.replacePartition(3, c.appliedIndex(), c.records());
        assertEquals(42, target.appliedIndex(3));
        assertEquals(records(rocks, 3), records(target, 3));
        assertTrue(target.container(3, "acct", "stale").isEmpty(), "the old state of the partition is gone");
        assertTrue(target.container(4, "acct", "keep").isPresent(), "another partition is untouched");
        assertEquals("MyTable", target.table(3, "acct", "mytable").orElseThrow().getName());
        assertEquals(3, target.entities(3, "acct", Records.id(11), "", "", null, 10).items().size());
        assertEquals("ops", target.queue(3, "acct", "jobs").orElseThrow().getMetadataOrThrow("team"));
        assertEquals(List.of(5L, 300L, 70_000L), target.messages(3, "acct", Records.id(12), 0, 10).items().stream()
            .map(MessageRecord::getSequence).toList(), "messages come back in sequence order");
        assertEquals(7, target.appliedIndex(4));
        assertEquals(List.of("b1", "b2"), target.uncommittedBlocks(3, "acct", Records.id(7), "b/c", 10).stream()
            .map(b -> b.getBlockId().toStringUtf8()).toList());
        assertEquals(List.of("2026-01-02T03:04:05.0000001Z", "2026-01-02T03:04:05.1234567Z"),
            target.snapshots(3, "acct", Records.id(7), "b/c", 10).stream().map(b -> b.getSnapshot()).toList(),
            "snapshots come back, oldest first");
        assertEquals("yes", target.snapshot(3, "acct", Records.id(7), "\uD83D\uDE00", "2026-01-02T03:04:06.0000000Z")
            .orElseThrow().getMetadataOrThrow("snap"));
        assertTrue(target.blob(3, "acct", Records.id(7), "b/c").isPresent(), "a snapshot is not the blob");
      }
      InMemoryMetadataStore back = new InMemoryMetadataStore();
      PartitionImage.Contents c = PartitionImage.read(new ByteArrayInputStream(fromRocks), 3);
      back.replacePartition(3, c.appliedIndex(), c.records());
      assertEquals(records(rocks, 3), records(back, 3));
    }
  }

  private static List<String> records(MetadataStore store, int partition) {
    List<String> out = new ArrayList<>();
    for (StateChange r : store.records(partition)) {
      // ByteString.toString carries an identity hash: compare the bytes instead.
      out.add(r instanceof StateChange.StageBlock s
          ? "StageBlock " + s.account() + " " + HexFormat.of().formatHex(s.containerId().toByteArray()) + " "
              + s.name() + " " + s.block()
          : r.toString());
    }
    out.sort(null);
    return out;
  }

  @Test
  void aDamagedTruncatedOrExtendedImageIsRefusedWhole() throws IOException {
    InMemoryMetadataStore memory = new InMemoryMetadataStore();
    fill(memory);
    byte[] good = image(memory, 3, 42);
    Random random = new Random(SEED);
    String seed = " (seed " + SEED + ")";
    assertEquals(20, PartitionImage.read(new ByteArrayInputStream(good), 3).records().size());
    assertThrows(IOException.class, () -> PartitionImage.read(new ByteArrayInputStream(good), 4),
        "an image of another partition");
    for (int trial = 0; trial < 300; trial++) {
      byte[] bad = good.clone();
      int bit = random.nextInt(bad.length * 8);
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThrows(IOException.class, () -> PartitionImage.read(new ByteArrayInputStream(bad), 3),
          "flipped bit " + bit + seed);
    }
    for (int cut = 0; cut < good.length; cut += 1 + random.nextInt(7)) {
      byte[] truncated = Arrays.copyOf(good, cut);
      assertThrows(IOException.class, () -> PartitionImage.read(new ByteArrayInputStream(truncated), 3),
          "truncated at " + cut + seed);
    }
    byte[] extended = Arrays.copyOf(good, good.length + 1);
    assertThrows(IOException.class, () -> PartitionImage.read(new ByteArrayInputStream(extended), 3));
  }
}
