package io.cobalt.node.partition;

import static io.cobalt.node.partition.Records.id;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.CreateQueue;
import io.cobalt.proto.node.v1.CreateTable;
import io.cobalt.proto.node.v1.DeleteQueue;
import io.cobalt.proto.node.v1.DeleteTable;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.PurgeTable;
import io.cobalt.proto.node.v1.PutEntity;
import io.cobalt.proto.node.v1.PutMessage;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.TableRecord;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deleting a queue or a table removes its records, not only its name: a queue's messages in the
 * same write, a table's entities in its own partition at once and in the others with
 * {@code PurgeTable}; nothing of another queue or table is touched. Both stores.
 */
class DeletedRecordsTest {
  private static final String ACCOUNT = "acct";
  private static final long T0 = 1_800_000_000_000L;

  @TempDir Path dir;
  private RocksStorage rocks;
  private long index;

  @AfterEach
  void close() {
    if (rocks != null) {
      rocks.close();
    }
  }

  private MetadataStore store(String kind) throws Exception {
    if (kind.equals("memory")) {
      return new InMemoryMetadataStore();
    }
    rocks = RocksStorage.open(dir, RocksStorageConfig.defaults());
    return rocks.metadata();
  }

  private CommandStatus apply(PartitionStateMachine m, int partition, MetadataCommand.Builder c) {
    return m.apply(++index, c.setPartition(partition).build()).getStatus();
  }

  private static WrappedKey dek() {
    return WrappedKey.newBuilder().setKeyId("k").setKeyVersion(1).build();
  }

  private static MetadataCommand.Builder putMessage(String queue, ByteString queueId, long n) {
    return MetadataCommand.newBuilder().setPutMessage(PutMessage.newBuilder().setAccount(ACCOUNT).setQueueName(queue)
        .setQueueId(queueId).setMessageId(id(n)).setBody(ByteString.copyFromUtf8("sealed")).setNowEpochMillis(T0)
        .setTtlSeconds(3600).setPopReceipt(id(900 + n)));
  }

  private static MetadataCommand.Builder putEntity(ByteString tableId, String pk) {
    return MetadataCommand.newBuilder().setPutEntity(PutEntity.newBuilder().setEntity(EntityRecord.newBuilder()
        .setAccount(ACCOUNT).setTableId(tableId).setPartitionKey(pk).setRowKey("rk").setEtag("\"e\"")
        .setProperties(ByteString.copyFromUtf8("sealed"))));
  }

  private static int messages(MetadataStore s, ByteString queueId) {
    return s.messages(0, ACCOUNT, queueId, 0, 1000).items().size();
  }

  private static int entities(MetadataStore s, int partition, ByteString tableId) {
    return s.entities(partition, ACCOUNT, tableId, "", "", null, 1000).items().size();
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void deletingAQueueRemovesItsMessages(String kind) throws Exception {
    MetadataStore s = store(kind);
    PartitionStateMachine m = new PartitionStateMachine(s, 2);
    for (String q : new String[] {"gone", "kept"}) {
      ByteString qid = id(q.equals("gone") ? 1 : 2);
      assertEquals(CommandStatus.OK, apply(m, 0, MetadataCommand.newBuilder().setCreateQueue(CreateQueue.newBuilder()
          .setQueue(QueueRecord.newBuilder().setAccount(ACCOUNT).setName(q).setQueueId(qid).setDek(dek())))));
      for (int i = 0; i < 5; i++) {
        assertEquals(CommandStatus.OK, apply(m, 0, putMessage(q, qid, 10L * qid.byteAt(15) + i)));
      }
    }
    assertEquals(5, messages(s, id(1)));
    assertEquals(CommandStatus.OK, apply(m, 0, MetadataCommand.newBuilder().setDeleteQueue(
        DeleteQueue.newBuilder().setAccount(ACCOUNT).setName("gone"))));
    assertEquals(0, messages(s, id(1)));
    assertEquals(5, messages(s, id(2)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "memory"})
  void deletingATableRemovesItsEntitiesHereAndPurgeTableElsewhere(String kind) throws Exception {
    MetadataStore s = store(kind);
    PartitionStateMachine m = new PartitionStateMachine(s, 2);
    ByteString gone = id(7);
    ByteString kept = id(8);
    assertEquals(CommandStatus.OK, apply(m, 0, MetadataCommand.newBuilder().setCreateTable(CreateTable.newBuilder()
        .setTable(TableRecord.newBuilder().setAccount(ACCOUNT).setName("Gone").setTableId(gone).setDek(dek())))));
    for (int p = 0; p < 2; p++) {
      for (int i = 0; i < 3; i++) {
        apply(m, p, putEntity(gone, "pk" + i));
        apply(m, p, putEntity(kept, "pk" + i));
      }
    }
    assertEquals(CommandStatus.OK, apply(m, 0, MetadataCommand.newBuilder().setDeleteTable(
        DeleteTable.newBuilder().setAccount(ACCOUNT).setName("gone"))));
    assertEquals(0, entities(s, 0, gone), "the table's own partition drops its entities with it");
    assertEquals(3, entities(s, 1, gone), "other partitions wait for their PurgeTable");
    assertEquals(CommandStatus.OK, apply(m, 1, MetadataCommand.newBuilder().setPurgeTable(
        PurgeTable.newBuilder().setAccount(ACCOUNT).setTableId(gone))));
    assertEquals(0, entities(s, 1, gone));
    assertEquals(3, entities(s, 0, kept));
    assertEquals(3, entities(s, 1, kept));
  }
}
