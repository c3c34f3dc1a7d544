package io.cobalt.node.partition;

import static io.cobalt.node.partition.Records.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.EntityBatch;
import io.cobalt.proto.node.v1.EntityBatchOperation;
import io.cobalt.proto.node.v1.EntityBatchPart;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.PutEntity;
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
 * Entity-group transactions larger than one Raft log entry (ADR 0025): operations staged ahead in
 * parts change nothing until the EntityBatch that names them applies them with its own, all or
 * nothing; the parts go with it whatever the outcome, and parts never committed are dropped after
 * the window. Both stores.
 */
class StagedEntityBatchTest {
  private static final String ACCOUNT = "acct";
  private static final ByteString TABLE = id(42);
  private static final long T0 = 1_800_000_000_000L;

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
    RocksStorage s = RocksStorage.open(dir.resolve("r" + opened.size()), RocksStorageConfig.defaults());
    opened.add(s);
    return s.metadata();
  }

  private CommandResult apply(PartitionStateMachine m, MetadataCommand.Builder c) {
    MetadataCommand command = c.setPartition(0).build();
    m.validate(command);
    return m.apply(++index, command);
  }

  private static EntityBatchOperation insert(String rk) {
    return EntityBatchOperation.newBuilder().setPut(PutEntity.newBuilder()
        .setEntity(EntityRecord.newBuilder().setAccount(ACCOUNT).setTableId(TABLE).setPartitionKey("pk").setRowKey(rk)
            .setEtag("\"e-" + rk + "\"").setProperties(ByteString.copyFromUtf8("sealed " + rk)))
        .setCondition(Condition.newBuilder().setIfNoneMatch("*"))).build();
  }

  private static MetadataCommand.Builder part(long batch, int i, long millis, String... rks) {
    EntityBatchPart.Builder p = EntityBatchPart.newBuilder().setBatchId(id(batch)).setIndex(i).setStagedEpochMillis(millis);
    for (String rk : rks) {
      p.addOperations(insert(rk));
    }
    return MetadataCommand.newBuilder().setEntityBatchPart(p);
  }

  private static MetadataCommand.Builder commit(long batch, int parts, long millis, String... rks) {
    EntityBatch.Builder b = EntityBatch.newBuilder().setStagedBatchId(id(batch)).setStagedParts(parts)
        .setStagedEpochMillis(millis);
    for (String rk : rks) {
      b.addOperations(insert(rk));
    }
    return MetadataCommand.newBuilder().setEntityBatch(b);
  }

  private static int entities(MetadataStore s) {
    return s.entities(0, ACCOUNT, TABLE, "", "", null, 1000).items().size();
  }

  private static int parts(MetadataStore s) {
    return s.batchPartsBefore(0, Long.MAX_VALUE, 1000).size();
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void stagedPartsChangeNothingUntilTheirBatchAppliesThemAll(String kind) throws Exception {
    MetadataStore s = store(kind);
    PartitionStateMachine m = new PartitionStateMachine(s, 1);
    assertEquals(CommandStatus.OK, apply(m, part(1, 0, T0, "a", "b")).getStatus());
    assertEquals(CommandStatus.OK, apply(m, part(1, 1, T0, "c")).getStatus());
    assertEquals(0, entities(s), "staged, not applied");
    assertEquals(2, parts(s));

    CommandResult r = apply(m, commit(1, 2, T0, "d"));
    assertEquals(CommandStatus.OK, r.getStatus());
    assertEquals(List.of("a", "b", "c", "d"),
        r.getEntityBatch().getEntitiesList().stream().map(EntityRecord::getRowKey).toList(), "parts first, in order");
    assertEquals(4, entities(s));
    assertEquals(0, parts(s), "the parts go with the batch");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void aRefusedOperationInAPartRefusesTheWholeTransactionWithItsIndex(String kind) throws Exception {
    MetadataStore s = store(kind);
    PartitionStateMachine m = new PartitionStateMachine(s, 1);
    apply(m, part(2, 0, T0, "x"));
    apply(m, commit(2, 1, T0, "y"));
    assertEquals(2, entities(s));

    apply(m, part(3, 0, T0, "new-1", "y")); // "y" exists: an insert of it is refused
    apply(m, part(3, 1, T0, "new-2"));
    CommandResult r = apply(m, commit(3, 2, T0, "new-3"));
    assertEquals(CommandStatus.ALREADY_EXISTS, r.getStatus());
    assertEquals(1, r.getEntityBatch().getFailedIndex(), "the index counts across the parts");
    assertEquals(2, entities(s), "nothing of it was written");
    assertEquals(0, parts(s), "the parts go with the refused batch too");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void aBatchWhosePartsAreMissingAppliesNothing(String kind) throws Exception {
    MetadataStore s = store(kind);
    PartitionStateMachine m = new PartitionStateMachine(s, 1);
    apply(m, part(4, 0, T0, "a"));
    CommandResult r = apply(m, commit(4, 2, T0, "c")); // part 1 never arrived
    assertEquals(CommandStatus.BATCH_PARTS_MISSING, r.getStatus());
    assertEquals(0, entities(s));
    assertEquals(0, parts(s));
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void theWholeTransactionKeepsTheLimitsOfOne(String kind) throws Exception {
    MetadataStore s = store(kind);
    PartitionStateMachine m = new PartitionStateMachine(s, 1);
    apply(m, part(5, 0, T0, "a", "b"));
    assertThrows(InvalidRequestException.class, () -> apply(m, commit(5, 1, T0, "b")), "a RowKey twice across parts");
    assertEquals(0, entities(s));
    assertThrows(InvalidRequestException.class, () -> apply(m, part(6, PartitionStateMachine.MAX_BATCH_PARTS, T0, "z")));
    assertThrows(InvalidRequestException.class, () -> apply(m, commit(6, PartitionStateMachine.MAX_BATCH_PARTS + 1, T0)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void partsNeverCommittedAreDroppedAfterTheWindowAndTravelInImages(String kind) throws Exception {
    MetadataStore s = store(kind);
    PartitionStateMachine m = new PartitionStateMachine(s, 1);
    apply(m, part(7, 0, T0, "a"));
    apply(m, part(8, 0, T0 + 1, "b"));
    ByteArrayOutputStream image = new ByteArrayOutputStream();
    m.writeImage(0, m.appliedIndex(0), image);
    PartitionStateMachine replica =
        new PartitionStateMachine(store(kind.equals("memory") ? "rocksdb" : "memory"), 1);
    replica.loadImage(0, new ByteArrayInputStream(image.toByteArray()));
    index = replica.appliedIndex(0);
    assertEquals(CommandStatus.OK, apply(replica, commit(8, 1, T0 + 1)).getStatus(), "the replica has the part");

    apply(m, part(9, 0, T0 + 2 + PartitionStateMachine.SUBMIT_WINDOW_MILLIS, "c"));
    assertEquals(1, parts(s), "7 and 8 were left behind and dropped; 9 stays");
    assertTrue(s.batchPart(0, T0 + 2 + PartitionStateMachine.SUBMIT_WINDOW_MILLIS, id(9), 0).isPresent());
  }
}
