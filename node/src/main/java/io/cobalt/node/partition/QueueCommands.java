package io.cobalt.node.partition;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.Page;
import io.cobalt.node.storage.StateChange;
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
import io.cobalt.proto.node.v1.PeekMessages;
import io.cobalt.proto.node.v1.PutMessage;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.SetQueueMetadata;
import io.cobalt.proto.node.v1.UpdateMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Queue service's commands and queries of {@link PartitionStateMachine} (ADR 0009). Time comes
 * only from the command's {@code now_epoch_millis} and pop receipts only from the command, so apply
 * stays deterministic. Every command and query does bounded work: it examines at most
 * {@link #MAX_EXAMINED} messages, and expired ones it meets are removed by the command.
 */
final class QueueCommands {
  /** Azure's queue names: 3..63 lower-case letters, digits and single dashes, not at either end. */
  private static final Pattern QUEUE_NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");
  /** Azure: at most 32 messages per Get or Peek. */
  static final int MAX_MESSAGES_PER_GET = 32;
  /** Azure: visibility timeouts and (here) TTLs up to 7 days. */
  static final long MAX_SECONDS = 7L * 24 * 3600;
  /** Azure's 64 KiB message (after encoding) plus the gateway's sealing overhead. */
  static final int MAX_SEALED_BODY_BYTES = 64 * 1024 + 256;
  /** Azure's 8 KiB of queue metadata (names and values). */
  static final int MAX_METADATA_BYTES = 8 * 1024;
  /** Messages examined by one Get, Peek or count; one Clear removes at most this many. */
  static final int MAX_EXAMINED = 1000;
  /** Messages at a queue's head a Put examines for expiry. */
  static final int SWEEP_ON_PUT = 8;
  /** An approximate count examines at most this many messages (more are reported as this many). */
  static final int MAX_COUNTED = 100_000;
  static final int POP_RECEIPT_BYTES = 16;
  static final int ID_BYTES = 16;

  private final MetadataStore store;

  QueueCommands(MetadataStore store) {
    this.store = store;
  }

  record Outcome(StateChange change, CommandResult.Builder result) {}

  // ------------------------------------------------------------------ validation

  static void checkQueueName(String name) {
    if (name.length() < 3 || name.length() > 63 || !QUEUE_NAME.matcher(name).matches()) {
      throw new InvalidRequestException("invalid queue name");
    }
  }

  static void checkMetadata(Map<String, String> metadata) {
    long bytes = 0;
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      bytes += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    if (bytes > MAX_METADATA_BYTES) {
      throw new InvalidRequestException("queue metadata exceeds " + MAX_METADATA_BYTES + " bytes");
    }
  }

  static void validate(CreateQueue c) {
    if (!c.hasQueue()) {
      throw new InvalidRequestException("create_queue.queue is required");
    }
    checkQueueName(c.getQueue().getName());
    checkId("queue_id", c.getQueue().getQueueId());
    if (!c.getQueue().hasDek()) {
      throw new InvalidRequestException("create_queue.queue.dek is required");
    }
    checkMetadata(c.getQueue().getMetadataMap());
  }

  static void validate(PutMessage c) {
    checkQueue(c.getQueueName(), c.getQueueId(), c.getNowEpochMillis());
    checkId("message_id", c.getMessageId());
    checkPopReceipt(c.getPopReceipt());
    checkBody(c.getBody());
    checkSeconds("visibility timeout", c.getVisibilityTimeoutSeconds(), 0);
    if (c.getTtlSeconds() != -1) {
      checkSeconds("ttl", c.getTtlSeconds(), 1);
      if (c.getVisibilityTimeoutSeconds() >= c.getTtlSeconds()) {
        throw new InvalidRequestException("the visibility timeout must be shorter than the ttl");
      }
    }
  }

  static void validate(GetMessages c) {
    checkQueue(c.getQueueName(), c.getQueueId(), c.getNowEpochMillis());
    checkCount(c.getMaxMessages());
    checkSeconds("visibility timeout", c.getVisibilityTimeoutSeconds(), 1);
    if (c.getPopReceiptsCount() != c.getMaxMessages()) {
      throw new InvalidRequestException("one pop receipt per message asked for is required");
    }
    for (ByteString r : c.getPopReceiptsList()) {
      checkPopReceipt(r);
    }
  }

  static void validate(UpdateMessage c) {
    checkQueue(c.getQueueName(), c.getQueueId(), c.getNowEpochMillis());
    checkId("message_id", c.getMessageId());
    checkPopReceipt(c.getPopReceipt());
    checkPopReceipt(c.getNewPopReceipt());
    checkSeconds("visibility timeout", c.getVisibilityTimeoutSeconds(), 0);
    if (c.getSetBody()) {
      checkBody(c.getBody());
    }
  }

  static void validate(DeleteMessage c) {
    checkQueue(c.getQueueName(), c.getQueueId(), c.getNowEpochMillis());
    checkId("message_id", c.getMessageId());
    checkPopReceipt(c.getPopReceipt());
  }

  static void validate(ClearMessages c) {
    checkQueue(c.getQueueName(), c.getQueueId(), 1);
  }

  private static void checkQueue(String name, ByteString queueId, long now) {
    checkQueueName(name);
    checkId("queue_id", queueId);
    if (now <= 0) {
      throw new InvalidRequestException("now_epoch_millis is required");
    }
  }

  private static void checkBody(ByteString body) {
    if (body.size() > MAX_SEALED_BODY_BYTES) {
      throw new InvalidRequestException("sealed message body exceeds " + MAX_SEALED_BODY_BYTES + " bytes");
    }
  }

  private static void checkCount(int n) {
    if (n < 1 || n > MAX_MESSAGES_PER_GET) {
      throw new InvalidRequestException("max_messages must be 1.." + MAX_MESSAGES_PER_GET);
    }
  }

  private static void checkSeconds(String what, long seconds, long min) {
    if (seconds < min || seconds > MAX_SECONDS) {
      throw new InvalidRequestException(what + " must be " + min + ".." + MAX_SECONDS + " seconds");
    }
  }

  private static void checkPopReceipt(ByteString r) {
    if (r.size() != POP_RECEIPT_BYTES) {
      throw new InvalidRequestException("pop receipts are " + POP_RECEIPT_BYTES + " bytes");
    }
  }

  private static void checkId(String what, ByteString id) {
    if (id.size() != ID_BYTES) {
      throw new InvalidRequestException(what + " must be " + ID_BYTES + " bytes, got " + id.size());
    }
  }

  // ------------------------------------------------------------------ commands

  Outcome createQueue(int partition, CreateQueue cmd) {
    QueueRecord q = cmd.getQueue();
    Optional<QueueRecord> existing = store.queue(partition, q.getAccount(), q.getName());
    if (existing.isPresent()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.ALREADY_EXISTS).setQueue(existing.get()));
    }
    return new Outcome(new StateChange.PutQueue(q), status(CommandStatus.OK).setQueue(q));
  }

  Outcome deleteQueue(int partition, DeleteQueue cmd) {
    Optional<QueueRecord> previous = store.queue(partition, cmd.getAccount(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    // A queue's messages live in its partition: they go in the same atomic write.
    return new Outcome(new StateChange.RemoveQueue(cmd.getAccount(), cmd.getName(), previous.get().getQueueId()),
        status(CommandStatus.OK).setQueue(previous.get()));
  }

  Outcome setQueueMetadata(int partition, SetQueueMetadata cmd) {
    Optional<QueueRecord> previous = store.queue(partition, cmd.getAccount(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    QueueRecord updated = previous.get().toBuilder().clearMetadata().putAllMetadata(cmd.getMetadataMap()).build();
    return new Outcome(new StateChange.PutQueue(updated), status(CommandStatus.OK).setQueue(updated));
  }

  Outcome putMessage(int partition, long index, PutMessage cmd) {
    if (!queueIs(partition, cmd.getAccount(), cmd.getQueueName(), cmd.getQueueId())) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    long now = cmd.getNowEpochMillis();
    List<MessageRecord> expired = new ArrayList<>();
    for (MessageRecord m : store.messages(partition, cmd.getAccount(), cmd.getQueueId(), 0, SWEEP_ON_PUT).items()) {
      if (isExpired(m, now)) {
        expired.add(m);
      }
    }
    MessageRecord m = MessageRecord.newBuilder()
        .setAccount(cmd.getAccount())
        .setQueueId(cmd.getQueueId())
        .setSequence(index)
        .setMessageId(cmd.getMessageId())
        .setInsertionEpochMillis(now)
        .setExpirationEpochMillis(cmd.getTtlSeconds() == -1 ? Long.MAX_VALUE : now + cmd.getTtlSeconds() * 1000)
        .setVisibleEpochMillis(now + cmd.getVisibilityTimeoutSeconds() * 1000)
        .setPopReceipt(cmd.getPopReceipt())
        .setBody(cmd.getBody())
        .build();
    return new Outcome(new StateChange.ChangeMessages(List.of(m), expired),
        status(CommandStatus.OK).addMessages(m));
  }

  /** Hands out the first visible messages in insertion order; removes the expired ones it meets. */
  Outcome getMessages(int partition, GetMessages cmd) {
    if (!queueIs(partition, cmd.getAccount(), cmd.getQueueName(), cmd.getQueueId())) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    long now = cmd.getNowEpochMillis();
    List<MessageRecord> taken = new ArrayList<>();
    List<MessageRecord> expired = new ArrayList<>();
    for (MessageRecord m : store.messages(partition, cmd.getAccount(), cmd.getQueueId(), 0, MAX_EXAMINED).items()) {
      if (isExpired(m, now)) {
        expired.add(m);
      } else if (m.getVisibleEpochMillis() <= now) {
        taken.add(m.toBuilder()
            .setDequeueCount(m.getDequeueCount() + 1)
            .setPopReceipt(cmd.getPopReceipts(taken.size()))
            .setVisibleEpochMillis(now + cmd.getVisibilityTimeoutSeconds() * 1000)
            .build());
        if (taken.size() == cmd.getMaxMessages()) {
          break;
        }
      }
    }
    StateChange change = taken.isEmpty() && expired.isEmpty() ? StateChange.NONE
        : new StateChange.ChangeMessages(taken, expired);
    return new Outcome(change, status(CommandStatus.OK).addAllMessages(taken));
  }

  Outcome updateMessage(int partition, UpdateMessage cmd) {
    Found found = find(partition, cmd.getAccount(), cmd.getQueueName(), cmd.getQueueId(), cmd.getSequence(),
        cmd.getMessageId(), cmd.getPopReceipt(), cmd.getNowEpochMillis());
    if (found.refused() != null) {
      return found.refused();
    }
    MessageRecord.Builder b = found.message().toBuilder()
        .setPopReceipt(cmd.getNewPopReceipt())
        .setVisibleEpochMillis(cmd.getNowEpochMillis() + cmd.getVisibilityTimeoutSeconds() * 1000);
    if (cmd.getSetBody()) {
      b.setBody(cmd.getBody());
    }
    MessageRecord updated = b.build();
    return new Outcome(new StateChange.ChangeMessages(List.of(updated), List.of()),
        status(CommandStatus.OK).addMessages(updated));
  }

  Outcome deleteMessage(int partition, DeleteMessage cmd) {
    Found found = find(partition, cmd.getAccount(), cmd.getQueueName(), cmd.getQueueId(), cmd.getSequence(),
        cmd.getMessageId(), cmd.getPopReceipt(), cmd.getNowEpochMillis());
    if (found.refused() != null) {
      return found.refused();
    }
    return new Outcome(new StateChange.ChangeMessages(List.of(), List.of(found.message())),
        status(CommandStatus.OK));
  }

  Outcome clearMessages(int partition, ClearMessages cmd) {
    if (!queueIs(partition, cmd.getAccount(), cmd.getQueueName(), cmd.getQueueId())) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    Page<MessageRecord> page = store.messages(partition, cmd.getAccount(), cmd.getQueueId(), 0, MAX_EXAMINED);
    StateChange change = page.items().isEmpty() ? StateChange.NONE
        : new StateChange.ChangeMessages(List.of(), page.items());
    return new Outcome(change, status(CommandStatus.OK).setMore(page.truncated()));
  }

  private record Found(MessageRecord message, Outcome refused) {}

  private Found find(int partition, String account, String queueName, ByteString queueId, long sequence,
      ByteString messageId, ByteString popReceipt, long now) {
    if (!queueIs(partition, account, queueName, queueId)) {
      return new Found(null, new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND)));
    }
    Optional<MessageRecord> m = store.message(partition, account, queueId, sequence);
    if (m.isEmpty() || !m.get().getMessageId().equals(messageId)) {
      return new Found(null, new Outcome(StateChange.NONE, status(CommandStatus.MESSAGE_NOT_FOUND)));
    }
    if (isExpired(m.get(), now)) {
      return new Found(null, new Outcome(new StateChange.ChangeMessages(List.of(), List.of(m.get())),
          status(CommandStatus.MESSAGE_NOT_FOUND)));
    }
    if (!m.get().getPopReceipt().equals(popReceipt)) {
      return new Found(null, new Outcome(StateChange.NONE, status(CommandStatus.POP_RECEIPT_MISMATCH)));
    }
    return new Found(m.get(), null);
  }

  private boolean queueIs(int partition, String account, String name, ByteString queueId) {
    return store.queue(partition, account, name).map(q -> q.getQueueId().equals(queueId)).orElse(false);
  }

  private static boolean isExpired(MessageRecord m, long now) {
    return m.getExpirationEpochMillis() <= now;
  }

  private static CommandResult.Builder status(CommandStatus status) {
    return CommandResult.newBuilder().setStatus(status);
  }

  // ------------------------------------------------------------------ queries

  void getQueue(int partition, GetQueue q, QueryResult.Builder result) {
    checkQueueName(q.getName());
    Optional<QueueRecord> queue = store.queue(partition, q.getAccount(), q.getName());
    if (queue.isEmpty()) {
      return;
    }
    result.addQueues(queue.get());
    long count = 0;
    long from = 0;
    while (count < MAX_COUNTED) {
      Page<MessageRecord> page = store.messages(partition, q.getAccount(), queue.get().getQueueId(), from, MAX_EXAMINED);
      for (MessageRecord m : page.items()) {
        if (!isExpired(m, q.getNowEpochMillis())) {
          count++;
        }
      }
      if (!page.truncated() || page.items().isEmpty()) {
        break;
      }
      from = page.items().get(page.items().size() - 1).getSequence() + 1;
    }
    result.setApproximateMessageCount(Math.min(count, MAX_COUNTED));
  }

  void listQueues(int partition, ListQueues q, int limit, QueryResult.Builder result) {
    Page<QueueRecord> page = store.queues(partition, q.getAccount(), q.getPrefix(), q.getMarker(), limit);
    // A listing needs names and metadata only: leave out the wrapped keys.
    page.items().forEach(r -> result.addQueues(r.toBuilder().clearDek()));
    result.setTruncated(page.truncated());
  }

  void peekMessages(int partition, PeekMessages q, QueryResult.Builder result) {
    checkId("queue_id", q.getQueueId());
    checkCount(q.getMaxMessages());
    long now = q.getNowEpochMillis();
    int n = 0;
    for (MessageRecord m : store.messages(partition, q.getAccount(), q.getQueueId(), 0, MAX_EXAMINED).items()) {
      if (!isExpired(m, now) && m.getVisibleEpochMillis() <= now) {
        result.addMessages(m.toBuilder().clearPopReceipt());
        if (++n == q.getMaxMessages()) {
          break;
        }
      }
    }
  }
}
