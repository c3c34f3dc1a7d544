package io.cobalt.node.partition;

import static io.cobalt.node.partition.Records.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.DeleteEntity;
import io.cobalt.proto.node.v1.EntityBatch;
import io.cobalt.proto.node.v1.EntityBatchOperation;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutEntity;
import io.cobalt.proto.node.v1.ScanEntities;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Entity-group transactions (EntityBatch): all or nothing, on both stores (ADR 0016). */
class EntityBatchCommandsTest {
  private static final String ACCOUNT = "acct";
  private static final ByteString TABLE_ID = id(42);

  @TempDir Path dir;

  private long index;

  private void withMachine(String store, Consumer<PartitionStateMachine> test) throws Exception {
    if (store.equals("memory")) {
      test.accept(new PartitionStateMachine(new InMemoryMetadataStore(), 2));
    } else {
      try (RocksStorage storage = RocksStorage.open(dir, RocksStorageConfig.defaults())) {
        test.accept(new PartitionStateMachine(storage.metadata(), 2));
      }
    }
  }

  private CommandResult apply(PartitionStateMachine m, EntityBatchOperation... ops) {
    return m.apply(++index, MetadataCommand.newBuilder().setPartition(1)
        .setEntityBatch(EntityBatch.newBuilder().addAllOperations(List.of(ops))).build());
  }

  private static EntityRecord entity(String pk, String rk, String etag) {
    return EntityRecord.newBuilder().setAccount(ACCOUNT).setTableId(TABLE_ID).setPartitionKey(pk).setRowKey(rk)
        .setTimestampEpochNanos(1_700_000_000_123_456_700L).setEtag(etag)
        .setProperties(ByteString.copyFromUtf8("sealed:" + etag)).build();
  }

  private static EntityBatchOperation put(EntityRecord e, Condition c) {
    return EntityBatchOperation.newBuilder().setPut(PutEntity.newBuilder().setEntity(e).setCondition(c)).build();
  }

  private static EntityBatchOperation insert(String rk, String etag) {
    return put(entity("p", rk, etag), Condition.newBuilder().setIfNoneMatch("*").build());
  }

  private static EntityBatchOperation delete(String rk, String ifMatch) {
    return EntityBatchOperation.newBuilder().setDelete(DeleteEntity.newBuilder().setAccount(ACCOUNT)
        .setTableId(TABLE_ID).setPartitionKey("p").setRowKey(rk)
        .setCondition(Condition.newBuilder().setIfMatch(ifMatch))).build();
  }

  /** "rk=etag" of every stored entity of the table, in key order. */
  private static List<String> stored(PartitionStateMachine m) {
    return m.query(MetadataQuery.newBuilder().setPartition(1).setScanEntities(ScanEntities.newBuilder()
            .setAccount(ACCOUNT).setTableId(TABLE_ID).setMaxResults(1000)).build())
        .getEntitiesList().stream().map(e -> e.getRowKey() + "=" + e.getEtag()).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void appliesEveryOperationInOneStep(String store) throws Exception {
    withMachine(store, m -> {
      CommandResult first = apply(m, insert("a", "e1"), insert("b", "e1"), insert("c", "e1"));
      assertEquals(CommandStatus.OK, first.getStatus());
      assertEquals(3, first.getEntityBatch().getEntitiesCount());
      assertEquals(List.of("a=e1", "b=e1", "c=e1"), stored(m));
      CommandResult second = apply(m,
          put(entity("p", "a", "e2"), Condition.newBuilder().setIfMatch("e1").build()),
          put(entity("p", "d", "e2"), Condition.getDefaultInstance()),
          delete("b", "*"));
      assertEquals(CommandStatus.OK, second.getStatus());
      assertEquals("b", second.getEntityBatch().getEntities(2).getRowKey(), "a delete answers the previous entity");
      assertEquals(List.of("a=e2", "c=e1", "d=e2"), stored(m));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void oneRefusedOperationLeavesEverythingUnchangedAndIsNamed(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, insert("a", "e1"), insert("b", "e1"));
      CommandResult exists = apply(m, insert("x", "e2"), insert("b", "e2"));
      assertEquals(CommandStatus.ALREADY_EXISTS, exists.getStatus());
      assertEquals(1, exists.getEntityBatch().getFailedIndex());
      CommandResult stale = apply(m, delete("a", "e1"), put(entity("p", "b", "e3"),
          Condition.newBuilder().setIfMatch("old").build()));
      assertEquals(CommandStatus.CONDITION_NOT_MET, stale.getStatus());
      assertEquals(1, stale.getEntityBatch().getFailedIndex());
      CommandResult missing = apply(m, delete("zz", "*"), insert("y", "e4"));
      assertEquals(CommandStatus.NOT_FOUND, missing.getStatus());
      assertEquals(0, missing.getEntityBatch().getFailedIndex());
      assertEquals(List.of("a=e1", "b=e1"), stored(m), "no refused batch changed anything");
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void refusesMalformedBatches(String store) throws Exception {
    withMachine(store, m -> {
      assertThrows(InvalidRequestException.class, () -> apply(m));
      assertThrows(InvalidRequestException.class, () -> apply(m, insert("a", "e"), insert("a", "f")));
      assertThrows(InvalidRequestException.class,
          () -> apply(m, insert("a", "e"), put(entity("q", "b", "e"), Condition.getDefaultInstance())));
      assertThrows(InvalidRequestException.class, () -> apply(m, insert("a", "e"),
          put(entity("p", "b", "e").toBuilder().setTableId(id(43)).build(), Condition.getDefaultInstance())));
      EntityBatchOperation[] tooMany = new EntityBatchOperation[PartitionStateMachine.MAX_BATCH_OPERATIONS + 1];
      for (int i = 0; i < tooMany.length; i++) {
        tooMany[i] = insert("r" + i, "e");
      }
      assertThrows(InvalidRequestException.class, () -> apply(m, tooMany));
      assertThrows(InvalidRequestException.class, () -> apply(m, EntityBatchOperation.getDefaultInstance()));
      assertTrue(stored(m).isEmpty());
      EntityBatchOperation[] most = java.util.Arrays.copyOf(tooMany, PartitionStateMachine.MAX_BATCH_OPERATIONS);
      assertEquals(CommandStatus.OK, apply(m, most).getStatus());
      assertEquals(PartitionStateMachine.MAX_BATCH_OPERATIONS, stored(m).size());
    });
  }
}
