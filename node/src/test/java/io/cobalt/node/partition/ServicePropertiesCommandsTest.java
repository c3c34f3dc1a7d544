package io.cobalt.node.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.ServicePropertiesGet;
import io.cobalt.proto.node.v1.ServicePropertiesRecord;
import io.cobalt.proto.node.v1.ServicePropertiesSet;
import io.cobalt.proto.node.v1.StorageServiceKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Set/Get Blob Service Properties: one record per account, replaced whole, kept in images; on both stores. */
class ServicePropertiesCommandsTest {
  @TempDir Path dir;

  private interface MachineTest {
    void run(PartitionStateMachine m) throws Exception;
  }

  private void withMachine(String store, String sub, MachineTest test) throws Exception {
    if (store.equals("memory")) {
      test.run(new PartitionStateMachine(new InMemoryMetadataStore(), 2));
    } else {
      try (RocksStorage storage = RocksStorage.open(dir.resolve(sub), RocksStorageConfig.defaults())) {
        test.run(new PartitionStateMachine(storage.metadata(), 2));
      }
    }
  }

  private static ServicePropertiesRecord record(String account, String xml, long at) {
    return ServicePropertiesRecord.newBuilder().setAccount(account)
        .setDocument(ByteString.copyFrom(xml, StandardCharsets.UTF_8)).setLastModifiedEpochMillis(at).build();
  }

  private static MetadataCommand set(ServicePropertiesRecord r) {
    return MetadataCommand.newBuilder().setPartition(1)
        .setSetServiceProperties(ServicePropertiesSet.newBuilder().setProperties(r)).build();
  }

  private static List<ServicePropertiesRecord> get(PartitionStateMachine m, String account) {
    return m.query(MetadataQuery.newBuilder().setPartition(1)
        .setGetServiceProperties(ServicePropertiesGet.newBuilder().setAccount(account)).build())
        .getServicePropertiesList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void setReplacesTheAccountsRecordAndAnImageCarriesIt(String store) throws Exception {
    withMachine(store, "a", m -> {
      assertEquals(List.of(), get(m, "acct"));
      ServicePropertiesRecord first = record("acct", "<StorageServiceProperties/>", 1);
      ServicePropertiesRecord second = record("acct", "<StorageServiceProperties><Cors/></StorageServiceProperties>", 2);
      assertEquals(CommandStatus.OK, m.apply(1, set(first)).getStatus());
      assertEquals(CommandStatus.OK, m.apply(2, set(second)).getStatus());
      m.apply(3, set(record("other", "<x/>", 3)));
      assertEquals(List.of(second), get(m, "acct"));

      ByteArrayOutputStream image = new ByteArrayOutputStream();
      m.writeImage(1, 3, image);
      withMachine(store, "b", copy -> {
        copy.loadImage(1, new ByteArrayInputStream(image.toByteArray()));
        assertEquals(List.of(second), get(copy, "acct"));
        assertEquals(List.of(record("other", "<x/>", 3)), get(copy, "other"));
      });
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void refusesAnOversizedDocumentOrNoAccountAndChangesNothing(String store) throws Exception {
    withMachine(store, "a", m -> {
      String big = "x".repeat(PartitionStateMachine.MAX_SERVICE_PROPERTIES_BYTES + 1);
      assertThrows(InvalidRequestException.class, () -> m.apply(1, set(record("acct", big, 1))));
      assertThrows(InvalidRequestException.class, () -> m.apply(1, set(record("", "<x/>", 1))));
      assertEquals(List.of(), get(m, "acct"));
      assertEquals(0, m.appliedIndex(1));
    });
  }

  private static List<ServicePropertiesRecord> get(PartitionStateMachine m, String account, StorageServiceKind kind) {
    return m.query(MetadataQuery.newBuilder().setPartition(1)
        .setGetServiceProperties(ServicePropertiesGet.newBuilder().setAccount(account).setService(kind)).build())
        .getServicePropertiesList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void eachServiceHasItsOwnRecordPerAccountAndAnImageCarriesThemAll(String store) throws Exception {
    withMachine(store, "a", m -> {
      ServicePropertiesRecord blob = record("acct", "<b/>", 1);
      ServicePropertiesRecord queue = record("acct", "<q/>", 2).toBuilder()
          .setService(StorageServiceKind.STORAGE_SERVICE_QUEUE).build();
      ServicePropertiesRecord table = record("acct", "<t/>", 3).toBuilder()
          .setService(StorageServiceKind.STORAGE_SERVICE_TABLE).build();
      m.apply(1, set(blob));
      m.apply(2, set(queue));
      assertEquals(List.of(), get(m, "acct", StorageServiceKind.STORAGE_SERVICE_TABLE));
      m.apply(3, set(table));
      assertEquals(List.of(blob), get(m, "acct"));
      assertEquals(List.of(queue), get(m, "acct", StorageServiceKind.STORAGE_SERVICE_QUEUE));
      assertEquals(List.of(table), get(m, "acct", StorageServiceKind.STORAGE_SERVICE_TABLE));

      ByteArrayOutputStream image = new ByteArrayOutputStream();
      m.writeImage(1, 3, image);
      withMachine(store, "b", copy -> {
        copy.loadImage(1, new ByteArrayInputStream(image.toByteArray()));
        assertEquals(List.of(blob), get(copy, "acct"));
        assertEquals(List.of(queue), get(copy, "acct", StorageServiceKind.STORAGE_SERVICE_QUEUE));
        assertEquals(List.of(table), get(copy, "acct", StorageServiceKind.STORAGE_SERVICE_TABLE));
      });
      assertThrows(InvalidRequestException.class, () -> m.apply(4, set(record("a\u0000b", "<x/>", 4))));
      assertThrows(InvalidRequestException.class, () -> m.apply(4, set(record("acct", "<x/>", 4).toBuilder()
          .setServiceValue(7).build())));
      assertEquals(List.of(table), get(m, "acct", StorageServiceKind.STORAGE_SERVICE_TABLE));
    });
  }
}
