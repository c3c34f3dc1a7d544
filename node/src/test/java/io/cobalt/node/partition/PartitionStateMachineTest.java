package io.cobalt.node.partition;

import static io.cobalt.node.partition.Records.blob;
import static io.cobalt.node.partition.Records.container;
import static io.cobalt.node.partition.Records.create;
import static io.cobalt.node.partition.Records.deleteBlob;
import static io.cobalt.node.partition.Records.deleteContainer;
import static io.cobalt.node.partition.Records.getBlob;
import static io.cobalt.node.partition.Records.getContainer;
import static io.cobalt.node.partition.Records.id;
import static io.cobalt.node.partition.Records.listBlobs;
import static io.cobalt.node.partition.Records.listContainers;
import static io.cobalt.node.partition.Records.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.Page;
import io.cobalt.node.storage.StateChange;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.QueryResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionStateMachineTest {
  private static final int PARTITIONS = 4;
  private static final String ACCOUNT = "acct";

  @TempDir Path dir;
  private RocksStorage storage;
  private PartitionStateMachine machine;
  private LocalCommandLog log;

  @BeforeEach
  void open() throws Exception {
    storage = RocksStorage.open(dir, RocksStorageConfig.defaults());
    machine = new PartitionStateMachine(storage.metadata(), PARTITIONS);
    log = new LocalCommandLog(machine);
  }

  @AfterEach
  void close() {
    storage.close();
  }

  private CommandResult submit(MetadataCommand command) {
    return log.submit(command).join();
  }

  @Test
  void createsContainerThenRefusesTheSameNameWithAlreadyExists() {
    ContainerRecord c = container(ACCOUNT, "photos", 1);
    CommandResult created = submit(create(0, c));
    assertEquals(CommandStatus.OK, created.getStatus());
    assertEquals(c, created.getContainer());

    CommandResult again = submit(create(0, container(ACCOUNT, "photos", 2)));
    assertEquals(CommandStatus.ALREADY_EXISTS, again.getStatus());
    assertEquals(List.of(c), machine.query(getContainer(0, ACCOUNT, "photos")).getContainersList());
  }

  @Test
  void deleteContainerReturnsThePreviousRecordThenNotFound() {
    ContainerRecord c = container(ACCOUNT, "photos", 1);
    submit(create(0, c));

    CommandResult deleted = submit(deleteContainer(0, ACCOUNT, "photos"));
    assertEquals(CommandStatus.OK, deleted.getStatus());
    assertEquals(c, deleted.getContainer());
    assertEquals(0, machine.query(getContainer(0, ACCOUNT, "photos")).getContainersCount());
    assertEquals(CommandStatus.NOT_FOUND, submit(deleteContainer(0, ACCOUNT, "photos")).getStatus());
  }

  @Test
  void recreatedContainerDoesNotSeeTheBlobsOfTheDeletedOne() {
    submit(create(0, container(ACCOUNT, "c", 1)));
    submit(put(0, blob(ACCOUNT, id(1), "old.txt", 1)));
    submit(deleteContainer(0, ACCOUNT, "c"));
    submit(create(0, container(ACCOUNT, "c", 2)));

    assertEquals(0, machine.query(listBlobs(0, ACCOUNT, id(2), "", "", 0)).getBlobsCount());
    assertEquals(0, machine.query(getBlob(0, ACCOUNT, id(2), "old.txt")).getBlobsCount());
  }

  @Test
  void putBlobStoresAndReturnsThePreviousRecordWhenReplacing() {
    BlobRecord v1 = blob(ACCOUNT, id(1), "a.txt", 1);
    BlobRecord v2 = blob(ACCOUNT, id(1), "a.txt", 2);

    CommandResult first = submit(put(0, v1));
    assertEquals(CommandStatus.OK, first.getStatus());
    assertFalse(first.hasBlob());

    CommandResult second = submit(put(0, v2));
    assertEquals(CommandStatus.OK, second.getStatus());
    assertEquals(v1, second.getBlob());
    assertEquals(List.of(v2), machine.query(getBlob(0, ACCOUNT, id(1), "a.txt")).getBlobsList());
  }

  @Test
  void deleteBlobReturnsThePreviousRecordThenNotFound() {
    BlobRecord b = blob(ACCOUNT, id(1), "a.txt", 1);
    submit(put(0, b));

    CommandResult deleted = submit(deleteBlob(0, ACCOUNT, id(1), "a.txt"));
    assertEquals(CommandStatus.OK, deleted.getStatus());
    assertEquals(b, deleted.getBlob());
    assertEquals(0, machine.query(getBlob(0, ACCOUNT, id(1), "a.txt")).getBlobsCount());
    assertEquals(CommandStatus.NOT_FOUND, submit(deleteBlob(0, ACCOUNT, id(1), "a.txt")).getStatus());
  }

  @Test
  void getBlobReturnsTheFullRecordButListingsLeaveOutManifestKeysAndMac() {
    BlobRecord b = blob(ACCOUNT, id(1), "a.txt", 1);
    submit(put(0, b));

    assertEquals(List.of(b), machine.query(getBlob(0, ACCOUNT, id(1), "a.txt")).getBlobsList());
    BlobRecord listed = machine.query(listBlobs(0, ACCOUNT, id(1), "", "", 0)).getBlobs(0);
    assertEquals(0, listed.getStreamsCount());
    assertEquals(0, listed.getDeksCount());
    assertTrue(listed.getManifestMac().isEmpty());
    assertEquals(b.toBuilder().clearStreams().clearDeks().clearManifestMac().build(), listed);
  }

  @Test
  void listBlobsPagesThroughManyBlobsWithPrefixAndMarkerInNameOrder() {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      String name = String.format("logs/%04d", i);
      expected.add(name);
      submit(put(1, blob(ACCOUNT, id(1), name, i)));
    }
    for (int i = 0; i < 30; i++) {
      submit(put(1, blob(ACCOUNT, id(1), "other/" + i, i)));
      submit(put(1, blob(ACCOUNT, id(2), "logs/x" + i, i)));
    }

    List<String> seen = new ArrayList<>();
    List<Boolean> truncations = new ArrayList<>();
    String marker = "";
    QueryResult page;
    do {
      page = machine.query(listBlobs(1, ACCOUNT, id(1), "logs/", marker, 250));
      page.getBlobsList().forEach(b -> seen.add(b.getName()));
      truncations.add(page.getTruncated());
      marker = page.getBlobs(page.getBlobsCount() - 1).getName();
    } while (page.getTruncated());

    assertEquals(expected, seen);
    assertEquals(List.of(true, true, false), truncations);
  }

  @Test
  void pageEndingExactlyAtTheLastNameIsNotTruncated() {
    for (String name : List.of("a", "b", "c")) {
      submit(put(0, blob(ACCOUNT, id(1), name, 1)));
    }
    QueryResult all = machine.query(listBlobs(0, ACCOUNT, id(1), "", "", 3));
    assertEquals(3, all.getBlobsCount());
    assertFalse(all.getTruncated());
    QueryResult two = machine.query(listBlobs(0, ACCOUNT, id(1), "", "", 2));
    assertEquals(2, two.getBlobsCount());
    assertTrue(two.getTruncated());
  }

  @Test
  void markerIsExclusiveAndMayLieBeforeOrAfterThePrefix() {
    for (String name : List.of("a1", "b1", "b2", "b3", "c1")) {
      submit(put(0, blob(ACCOUNT, id(1), name, 1)));
    }
    assertEquals(List.of("b2", "b3"), blobNames(machine.query(listBlobs(0, ACCOUNT, id(1), "b", "b1", 0))));
    assertEquals(List.of("b1", "b2", "b3"), blobNames(machine.query(listBlobs(0, ACCOUNT, id(1), "b", "a9", 0))));
    assertEquals(List.of(), blobNames(machine.query(listBlobs(0, ACCOUNT, id(1), "b", "c", 0))));
    // A marker that is not itself a stored name still excludes everything up to it.
    assertEquals(List.of("b3", "c1"), blobNames(machine.query(listBlobs(0, ACCOUNT, id(1), "", "b21", 0))));
  }

  @Test
  void namesListInUtf8ByteOrderNotJavaStringOrder() {
    // U+FFFD sorts after U+1F600 as UTF-16 (surrogates D83D < FFFD) but before it as UTF-8 (EF < F0).
    List<String> names = List.of("z", "é", "\uFFFD", "\uD83D\uDE00");
    for (String name : names) {
      submit(put(0, blob(ACCOUNT, id(1), name, 1)));
    }
    assertEquals(List.of("z", "é", "\uFFFD", "\uD83D\uDE00"),
        blobNames(machine.query(listBlobs(0, ACCOUNT, id(1), "", "", 0))));
  }

  @Test
  void listContainersHonoursPrefixMarkerAndMaxResults() {
    for (String name : List.of("alpha", "beta1", "beta2", "beta3", "gamma")) {
      submit(create(2, container(ACCOUNT, name, name.hashCode())));
    }
    QueryResult first = machine.query(listContainers(2, ACCOUNT, "beta", "", 2));
    assertEquals(List.of("beta1", "beta2"), containerNames(first));
    assertTrue(first.getTruncated());
    QueryResult rest = machine.query(listContainers(2, ACCOUNT, "beta", "beta2", 2));
    assertEquals(List.of("beta3"), containerNames(rest));
    assertFalse(rest.getTruncated());
  }

  @Test
  void accountWhoseNameExtendsAnotherDoesNotShowInItsListings() {
    submit(create(0, container("acct", "one", 1)));
    submit(create(0, container("acct2", "two", 2)));
    submit(put(0, blob("acct", id(9), "x", 1)));
    submit(put(0, blob("acct2", id(9), "y", 1)));

    assertEquals(List.of("one"), containerNames(machine.query(listContainers(0, "acct", "", "", 0))));
    assertEquals(List.of("x"), blobNames(machine.query(listBlobs(0, "acct", id(9), "", "", 0))));
  }

  @Test
  void partitionsKeepSeparateStateAndIndexes() {
    submit(create(0, container(ACCOUNT, "same", 1)));
    submit(create(1, container(ACCOUNT, "same", 2)));
    submit(create(1, container(ACCOUNT, "other", 3)));

    assertEquals(id(1), machine.query(getContainer(0, ACCOUNT, "same")).getContainers(0).getContainerId());
    assertEquals(id(2), machine.query(getContainer(1, ACCOUNT, "same")).getContainers(0).getContainerId());
    assertEquals(1, machine.appliedIndex(0));
    assertEquals(2, machine.appliedIndex(1));
    assertEquals(0, machine.appliedIndex(2));
  }

  @Test
  void everyAppliedCommandTakesTheNextIndexEvenWithoutEffectAndTheIndexSurvivesReopen() throws Exception {
    assertEquals(1, submit(create(3, container(ACCOUNT, "c", 1))).getAppliedIndex());
    assertEquals(2, submit(create(3, container(ACCOUNT, "c", 2))).getAppliedIndex()); // ALREADY_EXISTS
    assertEquals(3, submit(deleteBlob(3, ACCOUNT, id(1), "nope")).getAppliedIndex()); // NOT_FOUND
    assertEquals(3, machine.appliedIndex(3));

    storage.close();
    storage = RocksStorage.open(dir, RocksStorageConfig.defaults());
    machine = new PartitionStateMachine(storage.metadata(), PARTITIONS);
    log = new LocalCommandLog(machine);

    assertEquals(3, machine.appliedIndex(3));
    assertEquals(4, submit(put(3, blob(ACCOUNT, id(1), "b", 1))).getAppliedIndex());
    assertEquals(1, machine.query(getContainer(3, ACCOUNT, "c")).getContainersCount());
  }

  @Test
  void invalidCommandsAreRejectedAndTakeNoIndex() {
    List<MetadataCommand> invalid = List.of(
        MetadataCommand.newBuilder().setPartition(0).build(),
        create(PARTITIONS, container(ACCOUNT, "c", 1)),
        create(-1, container(ACCOUNT, "c", 1)),
        create(0, container("", "c", 1)),
        create(0, container("a\0b", "c", 1)),
        create(0, container(ACCOUNT, "", 1)),
        create(0, container(ACCOUNT, "c", 1).toBuilder().setContainerId(ByteString.copyFrom(new byte[15])).build()),
        put(0, blob(ACCOUNT, ByteString.EMPTY, "b", 1)),
        put(0, blob(ACCOUNT, id(1), "", 1)),
        put(0, blob(ACCOUNT, id(1), "n".repeat(PartitionStateMachine.MAX_NAME_BYTES + 1), 1)),
        deleteBlob(0, ACCOUNT, id(1).substring(1), "b"));
    for (MetadataCommand command : invalid) {
      CompletionException e = assertThrows(CompletionException.class, () -> submit(command), command::toString);
      assertTrue(e.getCause() instanceof InvalidRequestException, () -> "for " + command + ": " + e.getCause());
    }
    assertEquals(0, machine.appliedIndex(0));
  }

  @Test
  void invalidQueriesAreRejected() {
    assertThrows(InvalidRequestException.class,
        () -> machine.query(io.cobalt.proto.node.v1.MetadataQuery.newBuilder().setPartition(0).build()));
    assertThrows(InvalidRequestException.class, () -> machine.query(getContainer(PARTITIONS, ACCOUNT, "c")));
    assertThrows(InvalidRequestException.class, () -> machine.query(listBlobs(0, ACCOUNT, id(1).substring(4), "", "", 0)));
    assertThrows(InvalidRequestException.class, () -> machine.query(listContainers(0, "", "", "", 0)));
  }

  @Test
  void applyRefusesAnIndexThatIsNotAfterTheAppliedIndex() {
    machine.apply(5, create(0, container(ACCOUNT, "c", 1)));
    assertThrows(IllegalStateException.class, () -> machine.apply(5, create(0, container(ACCOUNT, "d", 2))));
    assertEquals(0, machine.query(getContainer(0, ACCOUNT, "d")).getContainersCount());
    assertEquals(5, machine.appliedIndex(0));
  }

  @Test
  void concurrentCommandsOfOnePartitionGetDistinctConsecutiveIndexes() throws Exception {
    int threads = 4;
    int perThread = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<Long>>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          List<Long> indexes = new ArrayList<>();
          for (int i = 0; i < perThread; i++) {
            indexes.add(submit(put(2, blob(ACCOUNT, id(1), "t" + thread + "-" + i, i))).getAppliedIndex());
          }
          return indexes;
        }));
      }
      List<Long> all = new ArrayList<>();
      for (Future<List<Long>> f : futures) {
        List<Long> mine = f.get();
        for (int i = 1; i < mine.size(); i++) {
          assertTrue(mine.get(i) > mine.get(i - 1), "one thread's commands apply in its order");
        }
        all.addAll(mine);
      }
      all.sort(null);
      List<Long> expected = new ArrayList<>();
      for (long i = 1; i <= threads * perThread; i++) {
        expected.add(i);
      }
      assertEquals(expected, all);
      assertEquals(threads * perThread, machine.appliedIndex(2));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void maxResultsZeroMeansTheCapAndLargerValuesAreCapped() {
    AtomicInteger lastLimit = new AtomicInteger();
    MetadataStore recording = new LimitRecordingStore(storage.metadata(), lastLimit);
    PartitionStateMachine m = new PartitionStateMachine(recording, PARTITIONS);
    for (int requested : new int[] {0, 5001, -1 /* 2^32-1 on the wire */}) {
      m.query(listBlobs(0, ACCOUNT, id(1), "", "", requested));
      assertEquals(PartitionStateMachine.MAX_LIST_RESULTS, lastLimit.get(), "max_results " + requested);
      m.query(listContainers(0, ACCOUNT, "", "", requested));
      assertEquals(PartitionStateMachine.MAX_LIST_RESULTS, lastLimit.get(), "max_results " + requested);
    }
    m.query(listBlobs(0, ACCOUNT, id(1), "", "", 7));
    assertEquals(7, lastLimit.get());
  }

  private static List<String> blobNames(QueryResult r) {
    return r.getBlobsList().stream().map(BlobRecord::getName).toList();
  }

  private static List<String> containerNames(QueryResult r) {
    return r.getContainersList().stream().map(ContainerRecord::getName).toList();
  }

  /** Passes everything through and remembers the page size the state machine asked for. */
  private record LimitRecordingStore(MetadataStore delegate, AtomicInteger lastLimit) implements MetadataStore {
    @Override
    public io.cobalt.node.storage.ChunkRefPage chunkRefs(int partition, byte[] cursor, int maxRecords) {
      return delegate.chunkRefs(partition, cursor, maxRecords);
    }

    @Override
    public Optional<io.cobalt.proto.node.v1.SubmitRecord> submit(int partition, ByteString submitId) {
      return delegate.submit(partition, submitId);
    }

    @Override
    public Optional<io.cobalt.proto.node.v1.EntityBatchPart> batchPart(int partition, long millis, ByteString batchId,
        int index) {
      return delegate.batchPart(partition, millis, batchId, index);
    }

    @Override
    public List<StateChange.RemoveBatchPart> batchPartsBefore(int partition, long beforeMillis, int limit) {
      return delegate.batchPartsBefore(partition, beforeMillis, limit);
    }

    @Override
    public long newestSubmitMillis(int partition) {
      return delegate.newestSubmitMillis(partition);
    }

    @Override
    public Optional<io.cobalt.proto.node.v1.StagedBlobRecord> stagedBlob(int partition, String account,
        ByteString containerId, String name) {
      return delegate.stagedBlob(partition, account, containerId, name);
    }

    @Override
    public io.cobalt.node.storage.Page<io.cobalt.proto.node.v1.StagedBlobRecord> stagedBlobs(int partition,
        String account, ByteString containerId, String prefix, String marker, int limit) {
      return delegate.stagedBlobs(partition, account, containerId, prefix, marker, limit);
    }

    @Override
    public List<StagedTime> stagedTimesBefore(int partition, long beforeMillis, int limit) {
      return delegate.stagedTimesBefore(partition, beforeMillis, limit);
    }

    @Override
    public List<StateChange.ForgetSubmit> submitsBefore(int partition, long beforeMillis, int limit) {
      return delegate.submitsBefore(partition, beforeMillis, limit);
    }

    @Override
    public long appliedIndex(int partition) {
      return delegate.appliedIndex(partition);
    }

    @Override
    public Optional<ContainerRecord> container(int partition, String account, String name) {
      return delegate.container(partition, account, name);
    }

    @Override
    public Optional<BlobRecord> blob(int partition, String account, ByteString containerId, String name) {
      return delegate.blob(partition, account, containerId, name);
    }

    @Override
    public Page<ContainerRecord> containers(int partition, String account, String prefix, String marker, int limit) {
      lastLimit.set(limit);
      return delegate.containers(partition, account, prefix, marker, limit);
    }

    @Override
    public Page<BlobRecord> blobs(
        int partition, String account, ByteString containerId, String prefix, String marker, int limit) {
      lastLimit.set(limit);
      return delegate.blobs(partition, account, containerId, prefix, marker, limit);
    }

    @Override
    public List<io.cobalt.proto.node.v1.UncommittedBlock> uncommittedBlocks(
        int partition, String account, ByteString containerId, String name, int limit) {
      return delegate.uncommittedBlocks(partition, account, containerId, name, limit);
    }

    @Override
    public Optional<io.cobalt.proto.node.v1.UncommittedBlock> uncommittedBlock(
        int partition, String account, ByteString containerId, String name, ByteString blockId) {
      return delegate.uncommittedBlock(partition, account, containerId, name, blockId);
    }

    @Override
    public Optional<BlobRecord> snapshot(
        int partition, String account, ByteString containerId, String name, String snapshot) {
      return delegate.snapshot(partition, account, containerId, name, snapshot);
    }

    @Override
    public List<BlobRecord> snapshots(int partition, String account, ByteString containerId, String name, int limit) {
      return delegate.snapshots(partition, account, containerId, name, limit);
    }

    @Override
    public Optional<io.cobalt.proto.node.v1.TableRecord> table(int partition, String account, String name) {
      return delegate.table(partition, account, name);
    }

    @Override
    public Page<io.cobalt.proto.node.v1.TableRecord> tables(
        int partition, String account, String prefix, String marker, int limit) {
      lastLimit.set(limit);
      return delegate.tables(partition, account, prefix, marker, limit);
    }

    @Override
    public Page<DekRecord> dekRecords(int partition, ByteString after, int limit) {
      lastLimit.set(limit);
      return delegate.dekRecords(partition, after, limit);
    }

    @Override
    public Optional<io.cobalt.proto.node.v1.QueueRecord> queue(int partition, String account, String name) {
      return delegate.queue(partition, account, name);
    }

    @Override
    public Optional<io.cobalt.proto.node.v1.ServicePropertiesRecord> serviceProperties(int partition, String account,
        io.cobalt.proto.node.v1.StorageServiceKind service) {
      return delegate.serviceProperties(partition, account, service);
    }

    @Override
    public Page<io.cobalt.proto.node.v1.QueueRecord> queues(
        int partition, String account, String prefix, String marker, int limit) {
      lastLimit.set(limit);
      return delegate.queues(partition, account, prefix, marker, limit);
    }

    @Override
    public Page<io.cobalt.proto.node.v1.MessageRecord> messages(
        int partition, String account, ByteString queueId, long fromSequence, int limit) {
      return delegate.messages(partition, account, queueId, fromSequence, limit);
    }

    @Override
    public Optional<io.cobalt.proto.node.v1.MessageRecord> message(
        int partition, String account, ByteString queueId, long sequence) {
      return delegate.message(partition, account, queueId, sequence);
    }

    @Override
    public Optional<io.cobalt.proto.node.v1.EntityRecord> entity(
        int partition, String account, ByteString tableId, String partitionKey, String rowKey) {
      return delegate.entity(partition, account, tableId, partitionKey, rowKey);
    }

    @Override
    public Page<io.cobalt.proto.node.v1.EntityRecord> entities(
        int partition, String account, ByteString tableId, String fromPk, String fromRk, String toPk, int limit) {
      lastLimit.set(limit);
      return delegate.entities(partition, account, tableId, fromPk, fromRk, toPk, limit);
    }

    @Override
    public void commit(int partition, long index, StateChange change) {
      delegate.commit(partition, index, change);
    }

    @Override
    public List<StateChange> records(int partition) {
      return delegate.records(partition);
    }

    @Override
    public void replacePartition(int partition, long index, List<StateChange> records) {
      delegate.replacePartition(partition, index, records);
    }

    @Override
    public void sync() {
      delegate.sync();
    }
  }
}
