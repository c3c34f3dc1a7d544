package io.cobalt.node.partition;

import static io.cobalt.node.partition.Records.blob;
import static io.cobalt.node.partition.Records.getBlob;
import static io.cobalt.node.partition.Records.id;
import static io.cobalt.node.partition.Records.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.StateChange;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.SubmitRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exactly-once apply by submit id (ADR 0024), on both stores: a second copy of a command (the
 * gateway's retry through another voter, after the first copy's outcome became unknown) gets the
 * first copy's result and changes nothing, even when other writes came between the two copies —
 * the lost update and the wrong 412 the chaos suite found under network partitions.
 */
class ExactlyOnceApplyTest {
  private static final int PARTITIONS = 2;
  private static final String ACCOUNT = "acct";
  private static final long T0 = 1_800_000_000_000L;
  private static final long WINDOW = PartitionStateMachine.SUBMIT_WINDOW_MILLIS;

  @TempDir Path dir;
  private final List<RocksStorage> opened = new ArrayList<>();
  private long index;

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

  private static MetadataCommand once(MetadataCommand c, long submitId, long millis) {
    return c.toBuilder().setSubmitId(id(submitId)).setSubmitEpochMillis(millis).build();
  }

  private CommandResult apply(PartitionStateMachine m, MetadataCommand c) {
    return m.apply(++index, c);
  }

  private static BlobRecord stored(PartitionStateMachine m) {
    return m.query(getBlob(0, ACCOUNT, id(1), "k")).getBlobs(0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void aLateCopyOfABlindWriteDoesNotUndoTheWriteThatFollowedIt(String kind) throws Exception {
    PartitionStateMachine m = new PartitionStateMachine(store(kind), PARTITIONS);
    MetadataCommand a = once(put(0, blob(ACCOUNT, id(1), "k", 1)), 11, T0);
    CommandResult first = apply(m, a);
    assertEquals(CommandStatus.OK, first.getStatus());
    assertEquals(CommandStatus.OK, apply(m, once(put(0, blob(ACCOUNT, id(1), "k", 2)), 12, T0 + 5)).getStatus());

    long before = m.appliedIndex(0);
    CommandResult late = apply(m, a);
    assertEquals(first, late, "the copy answers with the first application's result, applied index included");
    assertEquals(before + 1, m.appliedIndex(0), "the copy still takes its log index");
    assertEquals("\"0x2\"", stored(m).getEtag(), "the later write stays");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void aConditionalWriteAppliedOnceIsNotRefusedByItsOwnCopy(String kind) throws Exception {
    PartitionStateMachine m = new PartitionStateMachine(store(kind), PARTITIONS);
    MetadataCommand create = put(0, blob(ACCOUNT, id(1), "k", 1)).toBuilder()
        .setPutBlob(put(0, blob(ACCOUNT, id(1), "k", 1)).getPutBlob().toBuilder()
            .setCondition(Condition.newBuilder().setIfNoneMatch("*")))
        .build();
    MetadataCommand c = once(create, 21, T0);
    assertEquals(CommandStatus.OK, apply(m, c).getStatus());
    assertEquals(CommandStatus.OK, apply(m, c).getStatus(), "not 409: the copy is the same submit");
    // Without a submit id the same command is a new one, and refused.
    assertEquals(CommandStatus.ALREADY_EXISTS, apply(m, create).getStatus());
    // A new submit id is a new command too.
    assertEquals(CommandStatus.ALREADY_EXISTS, apply(m, once(create, 22, T0 + 1)).getStatus());
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void aCommandOlderThanTheWindowIsRefusedWithoutEffect(String kind) throws Exception {
    PartitionStateMachine m = new PartitionStateMachine(store(kind), PARTITIONS);
    apply(m, once(put(0, blob(ACCOUNT, id(1), "k", 1)), 31, T0 + WINDOW + 1));
    CommandResult stale = apply(m, once(put(0, blob(ACCOUNT, id(1), "k", 2)), 32, T0));
    assertEquals(CommandStatus.SUBMIT_EXPIRED, stale.getStatus());
    assertEquals("\"0x1\"", stored(m).getEtag());
    // At the window's edge it is still applied.
    assertEquals(CommandStatus.OK, apply(m, once(put(0, blob(ACCOUNT, id(1), "k", 3)), 33, T0 + 1)).getStatus());
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void submitsAreForgottenAfterTheWindowAFewPerApply(String kind) throws Exception {
    MetadataStore store = store(kind);
    PartitionStateMachine m = new PartitionStateMachine(store, PARTITIONS);
    int n = PartitionStateMachine.FORGET_PER_APPLY + 10;
    for (int i = 0; i < n; i++) {
      apply(m, once(put(0, blob(ACCOUNT, id(1), "k" + i, 1)), 100 + i, T0 + i));
    }
    assertEquals(T0 + n - 1, store.newestSubmitMillis(0));
    assertTrue(store.submit(0, id(100)).isPresent());

    long later = T0 + n + WINDOW;
    apply(m, once(put(0, blob(ACCOUNT, id(1), "x", 1)), 500, later));
    int remembered = 0;
    for (int i = 0; i < n; i++) {
      remembered += store.submit(0, id(100 + i)).isPresent() ? 1 : 0;
    }
    assertEquals(n - PartitionStateMachine.FORGET_PER_APPLY, remembered, "the oldest ones first, a bounded number");
    assertFalse(store.submit(0, id(100)).isPresent());

    apply(m, once(put(0, blob(ACCOUNT, id(1), "y", 1)), 501, later + 1));
    for (int i = 0; i < n; i++) {
      assertFalse(store.submit(0, id(100 + i)).isPresent(), "submit " + i);
    }
    assertTrue(store.submit(0, id(500)).isPresent());
    assertEquals(List.of(new StateChange.ForgetSubmit(id(500), later)), store.submitsBefore(0, later + 1, 10));
    assertEquals(later + 1, store.newestSubmitMillis(0));
    assertEquals(0, store.newestSubmitMillis(1), "partitions keep separate windows");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void aReplicaThatInstalledASnapshotDeduplicatesAlike(String kind) throws Exception {
    PartitionStateMachine leader = new PartitionStateMachine(store(kind), PARTITIONS);
    MetadataCommand a = once(put(0, blob(ACCOUNT, id(1), "k", 1)), 41, T0);
    CommandResult first = apply(leader, a);
    apply(leader, once(put(0, blob(ACCOUNT, id(1), "k", 2)), 42, T0 + 1));
    ByteArrayOutputStream image = new ByteArrayOutputStream();
    leader.writeImage(0, leader.appliedIndex(0), image);

    // The other store kind installs it: the image format is store-independent.
    PartitionStateMachine replica =
        new PartitionStateMachine(store(kind.equals("memory") ? "rocksdb" : "memory"), PARTITIONS);
    replica.loadImage(0, new ByteArrayInputStream(image.toByteArray()));
    CommandResult late = replica.apply(leader.appliedIndex(0) + 1, a);
    assertEquals(first, late);
    assertEquals("\"0x2\"", stored(replica).getEtag());
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void malformedSubmitIdsAreRejected(String kind) throws Exception {
    PartitionStateMachine m = new PartitionStateMachine(store(kind), PARTITIONS);
    MetadataCommand c = put(0, blob(ACCOUNT, id(1), "k", 1));
    Function<MetadataCommand.Builder, MetadataCommand> b = MetadataCommand.Builder::build;
    assertThrows(InvalidRequestException.class, () -> m.validate(b.apply(c.toBuilder()
        .setSubmitId(ByteString.copyFrom(new byte[15])).setSubmitEpochMillis(T0))));
    assertThrows(InvalidRequestException.class, () -> m.validate(b.apply(c.toBuilder().setSubmitId(id(1)))));
    m.validate(once(c, 1, T0));
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void theRememberedResultIsTheOneReturned(String kind) throws Exception {
    MetadataStore store = store(kind);
    PartitionStateMachine m = new PartitionStateMachine(store, PARTITIONS);
    CommandResult r = apply(m, once(put(0, blob(ACCOUNT, id(1), "k", 1)), 51, T0));
    SubmitRecord remembered = store.submit(0, id(51)).orElseThrow();
    assertEquals(r, remembered.getResult());
    assertEquals(T0, remembered.getSubmitEpochMillis());
  }
}
