package io.cobalt.node.partition;

import static io.cobalt.node.partition.Records.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.CreateQueue;
import io.cobalt.proto.node.v1.CreateTable;
import io.cobalt.proto.node.v1.GetQueue;
import io.cobalt.proto.node.v1.GetTable;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueueAclSet;
import io.cobalt.proto.node.v1.QueueAclSignedIdentifier;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.TableAclSet;
import io.cobalt.proto.node.v1.TableAclSignedIdentifier;
import io.cobalt.proto.node.v1.TableRecord;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Set Table ACL and Set Queue ACL: stored with the record, limits checked; on both stores. */
class AclCommandsTest {
  private static final String ACCOUNT = "acct";
  private static final WrappedKey DEK = WrappedKey.newBuilder().setKeyId("k").setKeyVersion(1).build();

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

  private CommandStatus apply(PartitionStateMachine m, MetadataCommand.Builder c) {
    return m.apply(++index, c.setPartition(1).build()).getStatus();
  }

  private static TableAclSignedIdentifier tableId(String id) {
    return TableAclSignedIdentifier.newBuilder().setId(id).setExpiry("2030-01-01T00:00:00.0000000Z")
        .setPermission("r").build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void tableAclIsKeptWithTheTable(String store) throws Exception {
    withMachine(store, m -> {
      assertEquals(CommandStatus.NOT_FOUND, apply(m, MetadataCommand.newBuilder().setSetTableAcl(
          TableAclSet.newBuilder().setAccount(ACCOUNT).setName("People").addIdentifiers(tableId("a")))));
      apply(m, MetadataCommand.newBuilder().setCreateTable(CreateTable.newBuilder().setTable(TableRecord.newBuilder()
          .setAccount(ACCOUNT).setName("People").setTableId(id(1)).setDek(DEK))));
      assertEquals(CommandStatus.OK, apply(m, MetadataCommand.newBuilder().setSetTableAcl(
          TableAclSet.newBuilder().setAccount(ACCOUNT).setName("people").addIdentifiers(tableId("a"))
              .addIdentifiers(tableId("b")))));
      TableRecord t = m.query(MetadataQuery.newBuilder().setPartition(1)
          .setGetTable(GetTable.newBuilder().setAccount(ACCOUNT).setName("PEOPLE")).build()).getTables(0);
      assertEquals(2, t.getAclCount());
      assertEquals("People", t.getName());
      assertEquals(DEK, t.getDek(), "the rest of the record is kept");

      TableAclSet.Builder six = TableAclSet.newBuilder().setAccount(ACCOUNT).setName("People");
      for (int i = 0; i < 6; i++) {
        six.addIdentifiers(tableId("id" + i));
      }
      assertThrows(InvalidRequestException.class, () -> apply(m, MetadataCommand.newBuilder().setSetTableAcl(six)));
      assertThrows(InvalidRequestException.class, () -> apply(m, MetadataCommand.newBuilder().setSetTableAcl(
          TableAclSet.newBuilder().setAccount(ACCOUNT).setName("People").addIdentifiers(tableId("a"))
              .addIdentifiers(tableId("a")))));
      assertThrows(InvalidRequestException.class, () -> apply(m, MetadataCommand.newBuilder().setSetTableAcl(
          TableAclSet.newBuilder().setAccount(ACCOUNT).setName("People").addIdentifiers(tableId("x".repeat(65))))));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void queueAclIsKeptWithTheQueue(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, MetadataCommand.newBuilder().setCreateQueue(CreateQueue.newBuilder().setQueue(QueueRecord.newBuilder()
          .setAccount(ACCOUNT).setName("jobs").setQueueId(id(2)).setCreatedEpochMillis(5).setDek(DEK))));
      assertEquals(CommandStatus.OK, apply(m, MetadataCommand.newBuilder().setSetQueueAcl(QueueAclSet.newBuilder()
          .setAccount(ACCOUNT).setName("jobs").addIdentifiers(QueueAclSignedIdentifier.newBuilder().setId("s")
              .setPermission("a")))));
      QueueRecord q = m.query(MetadataQuery.newBuilder().setPartition(1).setGetQueue(GetQueue.newBuilder()
          .setAccount(ACCOUNT).setName("jobs").setNowEpochMillis(10)).build()).getQueues(0);
      assertEquals("s", q.getAcl(0).getId());
      assertEquals(CommandStatus.OK, apply(m, MetadataCommand.newBuilder().setSetQueueAcl(QueueAclSet.newBuilder()
          .setAccount(ACCOUNT).setName("jobs"))));
      assertEquals(0, m.query(MetadataQuery.newBuilder().setPartition(1).setGetQueue(GetQueue.newBuilder()
          .setAccount(ACCOUNT).setName("jobs").setNowEpochMillis(10)).build()).getQueues(0).getAclCount());
      assertEquals(CommandStatus.NOT_FOUND, apply(m, MetadataCommand.newBuilder().setSetQueueAcl(QueueAclSet.newBuilder()
          .setAccount(ACCOUNT).setName("other"))));
    });
  }
}
