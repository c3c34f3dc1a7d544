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
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.CreateTable;
import io.cobalt.proto.node.v1.DeleteEntity;
import io.cobalt.proto.node.v1.DeleteTable;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.GetEntity;
import io.cobalt.proto.node.v1.GetTable;
import io.cobalt.proto.node.v1.ListTables;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutEntity;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.ScanEntities;
import io.cobalt.proto.node.v1.TableRecord;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Table and entity commands and queries, against both stores (one contract). */
class TableCommandsTest {
  private static final String ACCOUNT = "acct";
  private static final ByteString TABLE_ID = id(42);

  @TempDir Path dir;

  private long index;

  private void withMachine(String store, java.util.function.Consumer<PartitionStateMachine> test) throws Exception {
    if (store.equals("memory")) {
      test.accept(new PartitionStateMachine(new InMemoryMetadataStore(), 2));
    } else {
      try (RocksStorage storage = RocksStorage.open(dir, RocksStorageConfig.defaults())) {
        MetadataStore s = storage.metadata();
        test.accept(new PartitionStateMachine(s, 2));
      }
    }
  }

  private CommandStatus apply(PartitionStateMachine m, MetadataCommand.Builder c) {
    return m.apply(++index, c.setPartition(1).build()).getStatus();
  }

  private static TableRecord table(String name) {
    return TableRecord.newBuilder().setAccount(ACCOUNT).setName(name).setTableId(TABLE_ID)
        .setCreatedEpochMillis(5).setDek(WrappedKey.newBuilder().setKeyId("k").setKeyVersion(1)).build();
  }

  private static EntityRecord entity(String pk, String rk, String etag) {
    return EntityRecord.newBuilder().setAccount(ACCOUNT).setTableId(TABLE_ID).setPartitionKey(pk).setRowKey(rk)
        .setTimestampEpochNanos(1_700_000_000_123_456_700L).setEtag(etag)
        .setProperties(ByteString.copyFromUtf8("sealed:" + etag)).build();
  }

  private static MetadataCommand.Builder put(EntityRecord e, Condition c) {
    return MetadataCommand.newBuilder().setPutEntity(PutEntity.newBuilder().setEntity(e).setCondition(c));
  }

  private static MetadataCommand.Builder delete(String pk, String rk, String ifMatch) {
    return MetadataCommand.newBuilder().setDeleteEntity(DeleteEntity.newBuilder().setAccount(ACCOUNT)
        .setTableId(TABLE_ID).setPartitionKey(pk).setRowKey(rk).setCondition(Condition.newBuilder().setIfMatch(ifMatch)));
  }

  private static QueryResult query(PartitionStateMachine m, Function<MetadataQuery.Builder, MetadataQuery.Builder> q) {
    return m.query(q.apply(MetadataQuery.newBuilder().setPartition(1)).build());
  }

  private static List<String> keys(QueryResult r) {
    return r.getEntitiesList().stream().map(e -> e.getPartitionKey() + "/" + e.getRowKey()).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void tableNamesAreUniqueWhateverTheirCaseAndKeepTheirCase(String store) throws Exception {
    withMachine(store, m -> {
      assertEquals(CommandStatus.OK, apply(m, MetadataCommand.newBuilder()
          .setCreateTable(CreateTable.newBuilder().setTable(table("MyTable")))));
      assertEquals(CommandStatus.ALREADY_EXISTS, apply(m, MetadataCommand.newBuilder()
          .setCreateTable(CreateTable.newBuilder().setTable(table("mytable")))));
      QueryResult got = query(m, q -> q.setGetTable(GetTable.newBuilder().setAccount(ACCOUNT).setName("MYTABLE")));
      assertEquals("MyTable", got.getTables(0).getName());
      assertTrue(got.getTables(0).hasDek());
      apply(m, MetadataCommand.newBuilder().setCreateTable(CreateTable.newBuilder()
          .setTable(table("other").toBuilder().setTableId(id(43)))));
      QueryResult list = query(m, q -> q.setListTables(ListTables.newBuilder().setAccount(ACCOUNT).setMaxResults(1)));
      assertEquals(List.of("MyTable"), list.getTablesList().stream().map(TableRecord::getName).toList());
      assertTrue(list.getTruncated());
      assertFalse(list.getTables(0).hasDek(), "listings leave out the wrapped key");
      QueryResult next = query(m, q -> q.setListTables(
          ListTables.newBuilder().setAccount(ACCOUNT).setMarker("MyTable").setPrefix("O")));
      assertEquals(List.of("other"), next.getTablesList().stream().map(TableRecord::getName).toList());
      assertEquals(CommandStatus.OK, apply(m, MetadataCommand.newBuilder()
          .setDeleteTable(DeleteTable.newBuilder().setAccount(ACCOUNT).setName("mYtAbLe"))));
      assertEquals(CommandStatus.NOT_FOUND, apply(m, MetadataCommand.newBuilder()
          .setDeleteTable(DeleteTable.newBuilder().setAccount(ACCOUNT).setName("MyTable"))));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void entityWritesEvaluateTheirConditionAtApply(String store) throws Exception {
    withMachine(store, m -> {
      Condition insert = Condition.newBuilder().setIfNoneMatch("*").build();
      assertEquals(CommandStatus.OK, apply(m, put(entity("p", "r", "\"1\""), insert)));
      assertEquals(CommandStatus.ALREADY_EXISTS, apply(m, put(entity("p", "r", "\"2\""), insert)));
      assertEquals(CommandStatus.CONDITION_NOT_MET,
          apply(m, put(entity("p", "r", "\"2\""), Condition.newBuilder().setIfMatch("\"9\"").build())));
      assertEquals(CommandStatus.OK,
          apply(m, put(entity("p", "r", "\"2\""), Condition.newBuilder().setIfMatch("\"1\"").build())));
      assertEquals(CommandStatus.NOT_FOUND,
          apply(m, put(entity("p", "x", "\"3\""), Condition.newBuilder().setIfMatch("*").build())));
      assertEquals(CommandStatus.OK, apply(m, put(entity("p", "x", "\"3\""), Condition.getDefaultInstance())),
          "no condition: insert or replace");
      QueryResult got = query(m, q -> q.setGetEntity(
          GetEntity.newBuilder().setAccount(ACCOUNT).setTableId(TABLE_ID).setPartitionKey("p").setRowKey("r")));
      assertEquals(entity("p", "r", "\"2\""), got.getEntities(0));
      assertEquals(CommandStatus.CONDITION_NOT_MET, apply(m, delete("p", "r", "\"1\"")));
      assertEquals(CommandStatus.OK, apply(m, delete("p", "r", "\"2\"")));
      assertEquals(CommandStatus.NOT_FOUND, apply(m, delete("p", "r", "*")));
      assertThrows(InvalidRequestException.class, () -> m.validate(MetadataCommand.newBuilder().setPartition(1)
          .setDeleteEntity(DeleteEntity.newBuilder().setAccount(ACCOUNT).setTableId(TABLE_ID)).build()),
          "a delete without If-Match");
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void scansGoInKeyOrderFromAPositionUpToAPartitionKey(String store) throws Exception {
    withMachine(store, m -> {
      for (String k : List.of("b/2", "a/1", "a/10", "a/2", "ab/1", "c/1", "b/1")) {
        String[] pkRk = k.split("/");
        apply(m, put(entity(pkRk[0], pkRk[1], "\"e\""), Condition.getDefaultInstance()));
      }
      assertEquals(List.of("a/1", "a/10", "a/2", "ab/1", "b/1", "b/2", "c/1"), keys(query(m, q -> q.setScanEntities(
          ScanEntities.newBuilder().setAccount(ACCOUNT).setTableId(TABLE_ID)))));
      QueryResult page = query(m, q -> q.setScanEntities(ScanEntities.newBuilder().setAccount(ACCOUNT)
          .setTableId(TABLE_ID).setFromPartitionKey("a").setFromRowKey("10").setMaxResults(3)));
      assertEquals(List.of("a/10", "a/2", "ab/1"), keys(page));
      assertTrue(page.getTruncated());
      assertEquals(List.of("a/1", "a/10", "a/2"), keys(query(m, q -> q.setScanEntities(ScanEntities.newBuilder()
          .setAccount(ACCOUNT).setTableId(TABLE_ID).setFromPartitionKey("a").setHasToPartitionKey(true)
          .setToPartitionKey("a")))), "PartitionKey 'a' exactly, not 'ab'");
      assertEquals(List.of("b/1", "b/2"), keys(query(m, q -> q.setScanEntities(ScanEntities.newBuilder()
          .setAccount(ACCOUNT).setTableId(TABLE_ID).setFromPartitionKey("ab\u0001").setHasToPartitionKey(true)
          .setToPartitionKey("b")))));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory"})
  void malformedTableCommandsAreRefusedBeforeTheLog(String store) throws Exception {
    withMachine(store, m -> {
      for (String bad : List.of("ab", "1abc", "a-bc", "Tables", "a".repeat(64))) {
        assertThrows(InvalidRequestException.class, () -> m.validate(MetadataCommand.newBuilder().setPartition(1)
            .setCreateTable(CreateTable.newBuilder().setTable(table(bad))).build()), bad);
      }
      for (String key : List.of("a/b", "a#", "q?", "x\\y", "nul\u0000", "\u007f", "k".repeat(1025))) {
        assertThrows(InvalidRequestException.class,
            () -> m.validate(put(entity(key, "r", "\"1\""), Condition.getDefaultInstance()).setPartition(1).build()));
        assertThrows(InvalidRequestException.class,
            () -> m.validate(put(entity("p", key, "\"1\""), Condition.getDefaultInstance()).setPartition(1).build()));
      }
      EntityRecord huge = entity("p", "r", "\"1\"").toBuilder()
          .setProperties(ByteString.copyFrom(new byte[PartitionStateMachine.MAX_SEALED_PROPERTIES_BYTES + 1])).build();
      assertThrows(InvalidRequestException.class,
          () -> m.validate(put(huge, Condition.getDefaultInstance()).setPartition(1).build()));
      assertThrows(InvalidRequestException.class, () -> m.validate(put(entity("p", "r", "\"1\""),
          Condition.newBuilder().setIfNoneMatch("\"1\"").build()).setPartition(1).build()));
    });
  }
}
