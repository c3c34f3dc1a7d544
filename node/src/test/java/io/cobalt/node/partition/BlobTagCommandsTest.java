package io.cobalt.node.partition;

import static io.cobalt.node.partition.Records.blob;
import static io.cobalt.node.partition.Records.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.DeleteBlob;
import io.cobalt.proto.node.v1.GetBlob;
import io.cobalt.proto.node.v1.ListBlobs;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutBlob;
import io.cobalt.proto.node.v1.SetBlobProperties;
import io.cobalt.proto.node.v1.SetBlobTags;
import io.cobalt.proto.node.v1.TagsSnapshot;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** SetBlobTags, the tags snapshot condition (x-ms-if-tags) and tagged listings, on both metadata stores (ADR 0018). */
class BlobTagCommandsTest {
  private static final String ACCOUNT = "acct";
  private static final ByteString CID = id(1);
  private static final ByteString SEALED = ByteString.copyFromUtf8("sealed-tags-ciphertext");

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

  private CommandResult apply(MetadataCommand.Builder c) {
    return machine.apply(++index, c.setPartition(0).setRequestId("r" + index).build());
  }

  private BlobRecord read(String name) {
    return machine.query(MetadataQuery.newBuilder().setPartition(0)
        .setGetBlob(GetBlob.newBuilder().setAccount(ACCOUNT).setContainerId(CID).setName(name)).build()).getBlobs(0);
  }

  private static MetadataCommand.Builder setTags(String name, ByteString versionId, long tagsId, Condition c) {
    return MetadataCommand.newBuilder().setSetBlobTags(SetBlobTags.newBuilder()
        .setAccount(ACCOUNT).setContainerId(CID).setName(name).setCondition(c)
        .setVersionId(versionId).setTagsId(id(tagsId)).setSealedTags(SEALED).setTagCount(2));
  }

  private static MetadataCommand.Builder put(BlobRecord b, Condition c) {
    return MetadataCommand.newBuilder().setPutBlob(PutBlob.newBuilder().setBlob(b).setCondition(c));
  }

  private static Condition ifTags(BlobRecord seen) {
    return Condition.newBuilder().setIfTags(
        TagsSnapshot.newBuilder().setVersionId(seen.getVersionId()).setTagsId(seen.getTagsId())).build();
  }

  @ParameterizedTest
  @MethodSource("stores")
  void setBlobTagsKeepsTheEtagAndLastModifiedAndIsRefusedForAnotherVersion(String kind) throws Exception {
    open(kind);
    BlobRecord b = blob(ACCOUNT, CID, "b", 1).toBuilder().setLastModifiedEpochMillis(1234).build();
    assertEquals(CommandStatus.OK, apply(put(b, Condition.getDefaultInstance())).getStatus());

    assertEquals(CommandStatus.OK, apply(setTags("b", b.getVersionId(), 50, Condition.getDefaultInstance())).getStatus());
    BlobRecord tagged = read("b");
    assertEquals(SEALED, tagged.getSealedTags());
    assertEquals(id(50), tagged.getTagsId());
    assertEquals(2, tagged.getTagCount());
    assertEquals(b.getEtag(), tagged.getEtag(), "tags do not change the ETag");
    assertEquals(1234, tagged.getLastModifiedEpochMillis(), "nor Last-Modified");

    assertEquals(CommandStatus.TAGS_CHANGED,
        apply(setTags("b", id(99), 51, Condition.getDefaultInstance())).getStatus(), "sealed for another version");
    assertEquals(id(50), read("b").getTagsId(), "unchanged");
    assertEquals(CommandStatus.NOT_FOUND,
        apply(setTags("missing", b.getVersionId(), 52, Condition.getDefaultInstance())).getStatus());

    // Properties and metadata changes keep the tags; an overwrite carries its own (here none).
    apply(MetadataCommand.newBuilder().setSetBlobProperties(SetBlobProperties.newBuilder()
        .setAccount(ACCOUNT).setContainerId(CID).setName("b").setSetMetadata(true).putMetadata("k", "v")
        .setEtag("\"0x9\"").setLastModifiedEpochMillis(5000)));
    assertEquals(SEALED, read("b").getSealedTags());
    apply(put(blob(ACCOUNT, CID, "b", 2), Condition.getDefaultInstance()));
    assertTrue(read("b").getSealedTags().isEmpty());
    assertEquals(0, read("b").getTagCount());
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aWriteConditionedOnTagsIsRefusedOnceTheTagsChanged(String kind) throws Exception {
    open(kind);
    apply(put(blob(ACCOUNT, CID, "b", 1), Condition.getDefaultInstance()));
    apply(setTags("b", id(1), 60, Condition.getDefaultInstance()));
    BlobRecord seen = read("b");

    // Another writer replaces the tags after the gateway evaluated x-ms-if-tags on `seen`.
    apply(setTags("b", id(1), 61, Condition.getDefaultInstance()));
    assertEquals(CommandStatus.TAGS_CHANGED, apply(MetadataCommand.newBuilder().setDeleteBlob(DeleteBlob.newBuilder()
        .setAccount(ACCOUNT).setContainerId(CID).setName("b").setCondition(ifTags(seen)))).getStatus());
    assertEquals(CommandStatus.TAGS_CHANGED, apply(setTags("b", id(1), 62, ifTags(seen))).getStatus());
    assertEquals(CommandStatus.TAGS_CHANGED, apply(put(blob(ACCOUNT, CID, "b", 3), ifTags(seen))).getStatus());
    assertEquals(id(61), read("b").getTagsId());

    // Against the current tags it goes ahead.
    BlobRecord now = read("b");
    assertEquals(CommandStatus.OK, apply(setTags("b", id(1), 63, ifTags(now))).getStatus());
    assertEquals(CommandStatus.OK, apply(MetadataCommand.newBuilder().setDeleteBlob(DeleteBlob.newBuilder()
        .setAccount(ACCOUNT).setContainerId(CID).setName("b").setCondition(ifTags(read("b"))))).getStatus());

    // "No blob" snapshots hold only while the blob does not exist.
    Condition absent = Condition.newBuilder().setIfTags(TagsSnapshot.getDefaultInstance()).build();
    assertEquals(CommandStatus.OK, apply(put(blob(ACCOUNT, CID, "b", 4), absent)).getStatus());
    assertEquals(CommandStatus.TAGS_CHANGED, apply(put(blob(ACCOUNT, CID, "b", 5), absent)).getStatus());
  }

  @ParameterizedTest
  @MethodSource("stores")
  void listingsKeepOnlyTheTagKeyOfTaggedBlobs(String kind) throws Exception {
    open(kind);
    apply(put(blob(ACCOUNT, CID, "plain", 1), Condition.getDefaultInstance()));
    apply(put(blob(ACCOUNT, CID, "tagged", 2), Condition.getDefaultInstance()));
    apply(setTags("tagged", id(2), 70, Condition.getDefaultInstance()));
    var listed = machine.query(MetadataQuery.newBuilder().setPartition(0)
        .setListBlobs(ListBlobs.newBuilder().setAccount(ACCOUNT).setContainerId(CID)).build()).getBlobsList();
    assertEquals(2, listed.size());
    assertEquals(0, listed.get(0).getDeksCount(), "an untagged blob is listed without keys");
    assertEquals(1, listed.get(1).getDeksCount(), "a tagged blob keeps deks[0] to open its tags");
    assertEquals(SEALED, listed.get(1).getSealedTags());
    assertTrue(listed.get(1).getManifestMac().isEmpty());
    assertEquals(0, listed.get(1).getStreamsCount());
  }

  @ParameterizedTest
  @MethodSource("stores")
  void malformedTagsNeverEnterTheLog(String kind) throws Exception {
    open(kind);
    assertThrows(InvalidRequestException.class, () -> machine.validate(setTags("b", id(1), 1,
        Condition.getDefaultInstance()).setPartition(0).build().toBuilder()
        .setSetBlobTags(setTags("b", id(1), 1, Condition.getDefaultInstance()).getSetBlobTags().toBuilder()
            .setTagCount(11)).build()));
    assertThrows(InvalidRequestException.class, () -> machine.validate(MetadataCommand.newBuilder().setPartition(0)
        .setSetBlobTags(setTags("b", id(1), 1, Condition.getDefaultInstance()).getSetBlobTags().toBuilder()
            .setSealedTags(ByteString.copyFrom(new byte[PartitionStateMachine.MAX_SEALED_TAGS_BYTES + 1]))).build()));
    assertThrows(InvalidRequestException.class, () -> machine.validate(MetadataCommand.newBuilder().setPartition(0)
        .setSetBlobTags(setTags("b", id(1), 1, Condition.getDefaultInstance()).getSetBlobTags().toBuilder()
            .clearSealedTags()).build()), "a count without tags");
    assertThrows(InvalidRequestException.class, () -> machine.validate(put(blob(ACCOUNT, CID, "b", 1).toBuilder()
        .setSealedTags(SEALED).setTagCount(1).build(), Condition.getDefaultInstance()).setPartition(0).build()),
        "sealed tags without a tags id");
  }
}
