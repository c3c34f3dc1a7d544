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
import io.cobalt.proto.node.v1.ClearMessages;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.CreateQueue;
import io.cobalt.proto.node.v1.DeleteMessage;
import io.cobalt.proto.node.v1.DeleteQueue;
import io.cobalt.proto.node.v1.GetMessages;
import io.cobalt.proto.node.v1.GetQueue;
import io.cobalt.proto.node.v1.ListQueues;
import io.cobalt.proto.node.v1.MessageRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PeekMessages;
import io.cobalt.proto.node.v1.PutMessage;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.SetQueueMetadata;
import io.cobalt.proto.node.v1.UpdateMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Queue and message commands and queries, against both stores (one contract). Time is the command's. */
class QueueCommandsTest {
  private static final String ACCOUNT = "acct";
  private static final String QUEUE = "jobs";
  private static final ByteString QUEUE_ID = id(42);
  private static final long T0 = 1_700_000_000_000L;

  @TempDir Path dir;

  private long index;
  private long receipts;

  private void withMachine(String store, Consumer<PartitionStateMachine> test) throws Exception {
    if (store.equals("memory")) {
      test.accept(new PartitionStateMachine(new InMemoryMetadataStore(), 2));
    } else {
      try (RocksStorage storage = RocksStorage.open(dir, RocksStorageConfig.defaults())) {
        MetadataStore s = storage.metadata();
        test.accept(new PartitionStateMachine(s, 2));
      }
    }
  }

  private CommandResult apply(PartitionStateMachine m, MetadataCommand.Builder c) {
    return m.apply(++index, c.setPartition(1).build());
  }

  private static QueryResult query(PartitionStateMachine m, MetadataQuery.Builder q) {
    return m.query(q.setPartition(1).build());
  }

  private static QueueRecord queue(String name, ByteString queueId, Map<String, String> metadata) {
    return QueueRecord.newBuilder().setAccount(ACCOUNT).setName(name).setQueueId(queueId).setCreatedEpochMillis(T0)
        .putAllMetadata(metadata).setDek(WrappedKey.newBuilder().setKeyId("k").setKeyVersion(1)).build();
  }

  private static MetadataCommand.Builder create(QueueRecord q) {
    return MetadataCommand.newBuilder().setCreateQueue(CreateQueue.newBuilder().setQueue(q));
  }

  private static MetadataCommand.Builder put(long id, long now, long visibilitySeconds, long ttlSeconds) {
    return MetadataCommand.newBuilder().setPutMessage(PutMessage.newBuilder().setAccount(ACCOUNT)
        .setQueueName(QUEUE).setQueueId(QUEUE_ID).setMessageId(id(id)).setBody(ByteString.copyFromUtf8("sealed " + id))
        .setNowEpochMillis(now).setVisibilityTimeoutSeconds(visibilitySeconds).setTtlSeconds(ttlSeconds)
        .setPopReceipt(putReceipt(id)));
  }

  private static ByteString putReceipt(long messageId) {
    return id(2_000_000 + messageId);
  }

  private MetadataCommand.Builder get(int n, long now, long visibilitySeconds) {
    GetMessages.Builder g = GetMessages.newBuilder().setAccount(ACCOUNT).setQueueName(QUEUE).setQueueId(QUEUE_ID)
        .setNowEpochMillis(now).setMaxMessages(n).setVisibilityTimeoutSeconds(visibilitySeconds);
    for (int i = 0; i < n; i++) {
      g.addPopReceipts(id(1_000_000 + ++receipts));
    }
    return MetadataCommand.newBuilder().setGetMessages(g);
  }

  private static MetadataCommand.Builder delete(MessageRecord m, ByteString popReceipt, long now) {
    return MetadataCommand.newBuilder().setDeleteMessage(DeleteMessage.newBuilder().setAccount(ACCOUNT)
        .setQueueName(QUEUE).setQueueId(QUEUE_ID).setSequence(m.getSequence()).setMessageId(m.getMessageId())
        .setPopReceipt(popReceipt).setNowEpochMillis(now));
  }

  private static MetadataCommand.Builder update(MessageRecord m, ByteString popReceipt, ByteString newReceipt,
      long now, long visibilitySeconds, String body) {
    UpdateMessage.Builder u = UpdateMessage.newBuilder().setAccount(ACCOUNT).setQueueName(QUEUE).setQueueId(QUEUE_ID)
        .setSequence(m.getSequence()).setMessageId(m.getMessageId()).setPopReceipt(popReceipt)
        .setNewPopReceipt(newReceipt).setNowEpochMillis(now).setVisibilityTimeoutSeconds(visibilitySeconds);
    if (body != null) {
      u.setSetBody(true).setBody(ByteString.copyFromUtf8(body));
    }
    return MetadataCommand.newBuilder().setUpdateMessage(u);
  }

  private static MetadataQuery.Builder peek(int n, long now) {
    return MetadataQuery.newBuilder().setPeekMessages(PeekMessages.newBuilder().setAccount(ACCOUNT)
        .setQueueId(QUEUE_ID).setNowEpochMillis(now).setMaxMessages(n));
  }

  private static long count(PartitionStateMachine m, long now) {
    return query(m, MetadataQuery.newBuilder().setGetQueue(GetQueue.newBuilder().setAccount(ACCOUNT).setName(QUEUE)
        .setNowEpochMillis(now))).getApproximateMessageCount();
  }

  private static List<String> ids(List<MessageRecord> messages) {
    return messages.stream().map(r -> r.getBody().toStringUtf8()).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void aQueueIsCreatedOnceAndAnExistingOneIsReportedWithItsMetadata(String store) throws Exception {
    withMachine(store, m -> {
      assertEquals(CommandStatus.OK, apply(m, create(queue(QUEUE, QUEUE_ID, Map.of("a", "1")))).getStatus());
      CommandResult again = apply(m, create(queue(QUEUE, id(43), Map.of("a", "2"))));
      assertEquals(CommandStatus.ALREADY_EXISTS, again.getStatus());
      assertEquals(QUEUE_ID, again.getQueue().getQueueId(), "the existing record comes back, for 204 or 409");
      assertEquals(Map.of("a", "1"), again.getQueue().getMetadataMap());
      apply(m, create(queue("jobs-2", id(44), Map.of())));
      apply(m, create(queue("other", id(45), Map.of())));

      QueryResult list = query(m, MetadataQuery.newBuilder().setListQueues(ListQueues.newBuilder()
          .setAccount(ACCOUNT).setPrefix("jobs").setMaxResults(1)));
      assertEquals(List.of(QUEUE), list.getQueuesList().stream().map(QueueRecord::getName).toList());
      assertTrue(list.getTruncated());
      assertFalse(list.getQueues(0).hasDek(), "listings carry no wrapped keys");
      list = query(m, MetadataQuery.newBuilder().setListQueues(ListQueues.newBuilder()
          .setAccount(ACCOUNT).setPrefix("jobs").setMarker(QUEUE)));
      assertEquals(List.of("jobs-2"), list.getQueuesList().stream().map(QueueRecord::getName).toList());
      assertFalse(list.getTruncated());

      assertEquals(CommandStatus.OK, apply(m, MetadataCommand.newBuilder().setSetQueueMetadata(
          SetQueueMetadata.newBuilder().setAccount(ACCOUNT).setName(QUEUE).putMetadata("b", "2"))).getStatus());
      QueryResult got = query(m, MetadataQuery.newBuilder().setGetQueue(GetQueue.newBuilder().setAccount(ACCOUNT)
          .setName(QUEUE).setNowEpochMillis(T0)));
      assertEquals(Map.of("b", "2"), got.getQueues(0).getMetadataMap(), "metadata is replaced whole");

      MetadataCommand.Builder del =
          MetadataCommand.newBuilder().setDeleteQueue(DeleteQueue.newBuilder().setAccount(ACCOUNT).setName(QUEUE));
      assertEquals(CommandStatus.OK, apply(m, del).getStatus());
      assertEquals(CommandStatus.NOT_FOUND, apply(m, del).getStatus());
      assertEquals(CommandStatus.NOT_FOUND, apply(m, MetadataCommand.newBuilder().setSetQueueMetadata(
          SetQueueMetadata.newBuilder().setAccount(ACCOUNT).setName(QUEUE))).getStatus());
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void aReceivedMessageIsInvisibleUntilItsTimeoutThenComesBackWithDequeueCountTwo(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, create(queue(QUEUE, QUEUE_ID, Map.of())));
      apply(m, put(1, T0, 0, 3600));
      apply(m, put(2, T0, 3000, 3600));
      assertEquals(List.of("sealed 1"), ids(query(m, peek(32, T0)).getMessagesList()),
          "a message put with a visibility timeout is invisible until it passes");

      CommandResult first = apply(m, get(32, T0 + 1, 30));
      assertEquals(List.of("sealed 1"), ids(first.getMessagesList()));
      MessageRecord taken = first.getMessages(0);
      assertEquals(1, taken.getDequeueCount());
      assertEquals(T0 + 1 + 30_000, taken.getVisibleEpochMillis());

      // Inside its window no other consumer gets it, up to the last millisecond.
      assertEquals(List.of(), ids(apply(m, get(32, T0 + 1, 30)).getMessagesList()).stream()
          .filter(b -> b.equals("sealed 1")).toList());
      assertEquals(List.of(), apply(m, get(32, T0 + 30_000, 30)).getMessagesList());
      assertEquals(2, count(m, T0 + 30_000), "invisible messages still count");

      CommandResult later = apply(m, get(32, T0 + 1 + 30_000, 30));
      assertEquals(List.of("sealed 1"), ids(later.getMessagesList()), "visible again once the window passed");
      assertEquals(2, later.getMessages(0).getDequeueCount());
      assertFalse(later.getMessages(0).getPopReceipt().equals(taken.getPopReceipt()), "a new pop receipt");
      assertEquals(CommandStatus.POP_RECEIPT_MISMATCH, apply(m, delete(taken, taken.getPopReceipt(), T0 + 40_000))
          .getStatus(), "the first consumer's receipt no longer deletes it");
      assertEquals(CommandStatus.OK,
          apply(m, delete(taken, later.getMessages(0).getPopReceipt(), T0 + 40_000)).getStatus());
      assertEquals(1, count(m, T0 + 40_000));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void updateAndDeleteCheckTheMessageAndItsPopReceipt(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, create(queue(QUEUE, QUEUE_ID, Map.of())));
      apply(m, put(1, T0, 0, -1));
      MessageRecord taken = apply(m, get(1, T0, 30)).getMessages(0);
      assertEquals(Long.MAX_VALUE, taken.getExpirationEpochMillis(), "ttl -1: never expires");

      assertEquals(CommandStatus.POP_RECEIPT_MISMATCH,
          apply(m, update(taken, id(7), id(8), T0 + 1, 0, "x")).getStatus());
      MessageRecord otherId = taken.toBuilder().setMessageId(id(99)).build();
      assertEquals(CommandStatus.MESSAGE_NOT_FOUND,
          apply(m, delete(otherId, taken.getPopReceipt(), T0 + 1)).getStatus());
      MessageRecord otherSequence = taken.toBuilder().setSequence(taken.getSequence() + 1000).build();
      assertEquals(CommandStatus.MESSAGE_NOT_FOUND,
          apply(m, update(otherSequence, taken.getPopReceipt(), id(8), T0 + 1, 0, null)).getStatus());

      CommandResult updated = apply(m, update(taken, taken.getPopReceipt(), id(8), T0 + 2, 0, "sealed new"));
      assertEquals(CommandStatus.OK, updated.getStatus());
      assertEquals(id(8), updated.getMessages(0).getPopReceipt());
      assertEquals(List.of("sealed new"), ids(query(m, peek(1, T0 + 2)).getMessagesList()),
          "visibility 0: visible at once, with the new body");
      assertEquals(1, query(m, peek(1, T0 + 2)).getMessages(0).getDequeueCount(), "an update does not dequeue");
      assertTrue(query(m, peek(1, T0 + 2)).getMessages(0).getPopReceipt().isEmpty(), "peek shows no receipt");
      assertEquals(CommandStatus.POP_RECEIPT_MISMATCH, apply(m, delete(taken, taken.getPopReceipt(), T0 + 3))
          .getStatus(), "the receipt before the update is spent");
      assertEquals(CommandStatus.OK, apply(m, delete(taken, id(8), T0 + 3)).getStatus());
      assertEquals(CommandStatus.MESSAGE_NOT_FOUND, apply(m, delete(taken, id(8), T0 + 3)).getStatus());
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void expiredMessagesDisappearAndLaterCommandsRemoveThem(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, create(queue(QUEUE, QUEUE_ID, Map.of())));
      apply(m, put(1, T0, 0, 60));
      apply(m, put(2, T0, 0, 120));
      MessageRecord first = query(m, peek(1, T0)).getMessages(0);
      assertEquals(2, count(m, T0 + 59_999));
      assertEquals(1, count(m, T0 + 60_000), "expired at its expiry time");
      assertEquals(List.of("sealed 2"), ids(query(m, peek(32, T0 + 60_000)).getMessagesList()));
      assertEquals(CommandStatus.MESSAGE_NOT_FOUND, apply(m, delete(first, ByteString.copyFrom(new byte[16]),
          T0 + 60_000)).getStatus());

      apply(m, put(3, T0 + 200_000, 0, 60));
      assertEquals(List.of("sealed 3"), ids(query(m, peek(32, T0 + 200_000)).getMessagesList()));
      // The records are gone too, not just hidden: counted at a time before their expiry, only one is left.
      assertEquals(1, count(m, T0));
      assertEquals(List.of(), apply(m, get(32, T0 + 300_000, 30)).getMessagesList());
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void theReceiptOfThePutDeletesAMessageNobodyReceivedYet(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, create(queue(QUEUE, QUEUE_ID, Map.of())));
      MessageRecord put = apply(m, put(1, T0, 30, 60)).getMessages(0);
      assertEquals(putReceipt(1), put.getPopReceipt());
      assertEquals(CommandStatus.OK, apply(m, delete(put, putReceipt(1), T0 + 1)).getStatus());
      assertEquals(0, count(m, T0 + 1));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void getHandsOutAtMost32InInsertionOrderAndPeekChangesNothing(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, create(queue(QUEUE, QUEUE_ID, Map.of())));
      List<String> expected = new ArrayList<>();
      for (int i = 1; i <= 40; i++) {
        apply(m, put(i, T0 + i, 0, -1));
        expected.add("sealed " + i);
      }
      assertEquals(expected.subList(0, 32), ids(query(m, peek(32, T0 + 100)).getMessagesList()));
      assertEquals(expected.subList(0, 32), ids(query(m, peek(32, T0 + 100)).getMessagesList()));
      assertEquals(expected.subList(0, 32), ids(apply(m, get(32, T0 + 100, 30)).getMessagesList()));
      assertEquals(expected.subList(32, 40), ids(apply(m, get(32, T0 + 100, 30)).getMessagesList()));
      assertEquals(40, count(m, T0 + 100));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void clearRemovesEveryMessageInBoundedSteps(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, create(queue(QUEUE, QUEUE_ID, Map.of())));
      int n = QueueCommands.MAX_EXAMINED + 5;
      for (int i = 1; i <= n; i++) {
        apply(m, put(i, T0, 0, -1));
      }
      assertEquals(n, count(m, T0));
      MetadataCommand.Builder clear = MetadataCommand.newBuilder().setClearMessages(
          ClearMessages.newBuilder().setAccount(ACCOUNT).setQueueName(QUEUE).setQueueId(QUEUE_ID));
      assertTrue(apply(m, clear).getMore());
      assertEquals(5, count(m, T0));
      assertFalse(apply(m, clear).getMore());
      assertEquals(0, count(m, T0));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "rocks"})
  void aQueueCreatedAgainDoesNotSeeOrTakeMessagesForItsPredecessor(String store) throws Exception {
    withMachine(store, m -> {
      apply(m, create(queue(QUEUE, QUEUE_ID, Map.of())));
      apply(m, put(1, T0, 0, -1));
      apply(m, MetadataCommand.newBuilder().setDeleteQueue(DeleteQueue.newBuilder().setAccount(ACCOUNT).setName(QUEUE)));
      assertEquals(CommandStatus.NOT_FOUND, apply(m, put(2, T0, 0, -1)).getStatus());
      apply(m, create(queue(QUEUE, id(77), Map.of())));
      assertEquals(CommandStatus.NOT_FOUND, apply(m, put(3, T0, 0, -1)).getStatus(),
          "a put for the old queue_id is refused");
      assertEquals(0, count(m, T0));
    });
  }

  @Test
  void twoReplicasApplyingTheSameLogAtDifferentTimesReachTheSameState() throws Exception {
    InMemoryMetadataStore a = new InMemoryMetadataStore();
    InMemoryMetadataStore b = new InMemoryMetadataStore();
    List<MetadataCommand> log = new ArrayList<>();
    log.add(create(queue(QUEUE, QUEUE_ID, Map.of())).setPartition(1).build());
    for (int i = 1; i <= 5; i++) {
      log.add(put(i, T0 + i, i % 2, 60).setPartition(1).build());
    }
    log.add(get(3, T0 + 10, 5).setPartition(1).build());
    log.add(get(3, T0 + 61_000, 5).setPartition(1).build());
    PartitionStateMachine ma = new PartitionStateMachine(a, 2);
    for (int i = 0; i < log.size(); i++) {
      ma.apply(i + 1, log.get(i));
    }
    Thread.sleep(5); // the wall clock moves; the outcome must not
    PartitionStateMachine mb = new PartitionStateMachine(b, 2);
    for (int i = 0; i < log.size(); i++) {
      mb.apply(i + 1, log.get(i));
    }
    assertEquals(a.records(1).toString(), b.records(1).toString());
    assertEquals(List.of(), a.allMessages(1), "every message expired and the last get removed them");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory"})
  void malformedQueueCommandsAreRefusedBeforeTheLog(String store) throws Exception {
    withMachine(store, m -> {
      for (String bad : List.of("ab", "Jobs", "-jobs", "jobs-", "jo--bs", "jo_bs", "a".repeat(64))) {
        assertThrows(InvalidRequestException.class,
            () -> m.validate(create(queue(bad, QUEUE_ID, Map.of())).setPartition(1).build()), bad);
      }
      m.validate(create(queue("a-1", QUEUE_ID, Map.of())).setPartition(1).build());
      m.validate(create(queue("a".repeat(63), QUEUE_ID, Map.of())).setPartition(1).build());
      assertThrows(InvalidRequestException.class, () -> m.validate(
          create(queue(QUEUE, QUEUE_ID, Map.of("k", "v".repeat(8 * 1024)))).setPartition(1).build()));
      assertThrows(InvalidRequestException.class, () -> m.validate(put(1, T0, -1, 60).setPartition(1).build()));
      assertThrows(InvalidRequestException.class,
          () -> m.validate(put(1, T0, 7 * 24 * 3600 + 1, -1).setPartition(1).build()));
      assertThrows(InvalidRequestException.class, () -> m.validate(put(1, T0, 60, 60).setPartition(1).build()),
          "visibility must be shorter than the ttl");
      assertThrows(InvalidRequestException.class, () -> m.validate(put(1, T0, 0, 0).setPartition(1).build()));
      assertThrows(InvalidRequestException.class, () -> m.validate(put(1, 0, 0, 60).setPartition(1).build()),
          "a command without its time");
      MetadataCommand.Builder noReceipt = put(1, T0, 0, 60);
      noReceipt.getPutMessageBuilder().clearPopReceipt();
      assertThrows(InvalidRequestException.class, () -> m.validate(noReceipt.setPartition(1).build()));
      MetadataCommand.Builder big = put(1, T0, 0, 60);
      big.getPutMessageBuilder().setBody(ByteString.copyFrom(new byte[QueueCommands.MAX_SEALED_BODY_BYTES + 1]));
      assertThrows(InvalidRequestException.class, () -> m.validate(big.setPartition(1).build()));
      assertThrows(InvalidRequestException.class, () -> m.validate(get(33, T0, 30).setPartition(1).build()));
      assertThrows(InvalidRequestException.class, () -> m.validate(get(1, T0, 0).setPartition(1).build()));
      MetadataCommand.Builder fewReceipts = get(2, T0, 30);
      fewReceipts.getGetMessagesBuilder().clearPopReceipts().addPopReceipts(id(5));
      assertThrows(InvalidRequestException.class, () -> m.validate(fewReceipts.setPartition(1).build()),
          "pop receipts come from the command, one per message");
      assertThrows(InvalidRequestException.class, () -> query(m, peek(0, T0)));
      assertThrows(InvalidRequestException.class, () -> query(m, peek(33, T0)));
    });
  }
}
