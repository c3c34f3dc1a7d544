package io.cobalt.gateway.queue;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.proto.node.v1.ClearMessages;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.DeleteMessage;
import io.cobalt.proto.node.v1.GetMessages;
import io.cobalt.proto.node.v1.MessageRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PeekMessages;
import io.cobalt.proto.node.v1.PutMessage;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.UpdateMessage;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Put, Get, Peek, Update, Delete and Clear Messages. A body is sealed on the crypto pool under the
 * queue's DEK and the message's identity before it leaves the gateway and opened only here; the
 * decision time and the pop receipts of every command are chosen here (ADR 0009).
 */
final class MessagesHandler {
  private final QueueServices services;

  MessagesHandler(QueueServices services) {
    this.services = services;
  }

  /** POST /account/queue/messages → 201 with the new message's id, times and pop receipt. */
  Future<Void> put(AzureRequest r, String queue) {
    long ttl = QueueParameters.messageTtl(r.queryParam("messagettl"));
    long visibility = QueueParameters.putVisibilityTimeout(r.queryParam("visibilitytimeout"), ttl);
    return QueueServices.readBody(r).compose(body -> {
      byte[] text = QueueParameters.messageText(QueueXml.parseMessageText(body));
      long now = services.nowMillis();
      return services.requireQueue(r, queue, now).compose(q -> {
        QueueRecord record = q.getQueues(0);
        ByteString messageId = services.random16();
        return seal(r, record, messageId, text).compose(sealed -> services.submit(r, MetadataCommand.newBuilder()
            .setPartition(services.partition(r, queue))
            .setPutMessage(PutMessage.newBuilder()
                .setAccount(record.getAccount())
                .setQueueName(queue)
                .setQueueId(record.getQueueId())
                .setMessageId(messageId)
                .setBody(ByteString.copyFrom(sealed))
                .setNowEpochMillis(now)
                .setVisibilityTimeoutSeconds(visibility)
                .setTtlSeconds(ttl)
                .setPopReceipt(services.random16()))));
      });
    }).map(result -> {
      QueueServices.requireOk(result.getStatus());
      MessageRecord m = result.getMessages(0);
      r.endXml(201, QueueXml.messagesList(List.of(new QueueXml.WireMessage(
          MessageHandle.messageId(m.getMessageId()), m.getInsertionEpochMillis(), m.getExpirationEpochMillis(),
          new MessageHandle(m.getSequence(), m.getPopReceipt()).popReceipt(), m.getVisibleEpochMillis(), null,
          null))));
      return null;
    });
  }

  /** GET /account/queue/messages → 200: up to numofmessages visible messages, now invisible for the timeout. */
  Future<Void> get(AzureRequest r, String queue) {
    int count = QueueParameters.numOfMessages(r.queryParam("numofmessages"));
    long visibility = QueueParameters.getVisibilityTimeout(r.queryParam("visibilitytimeout"));
    long now = services.nowMillis();
    return services.requireQueue(r, queue, now).compose(q -> {
      QueueRecord record = q.getQueues(0);
      GetMessages.Builder get = GetMessages.newBuilder()
          .setAccount(record.getAccount())
          .setQueueName(queue)
          .setQueueId(record.getQueueId())
          .setNowEpochMillis(now)
          .setMaxMessages(count)
          .setVisibilityTimeoutSeconds(visibility);
      for (int i = 0; i < count; i++) {
        get.addPopReceipts(services.random16());
      }
      return services.submit(r, MetadataCommand.newBuilder().setPartition(services.partition(r, queue))
              .setGetMessages(get))
          .compose(result -> {
            QueueServices.requireOk(result.getStatus());
            return open(r, record, result.getMessagesList(), (m, text) -> new QueueXml.WireMessage(
                MessageHandle.messageId(m.getMessageId()), m.getInsertionEpochMillis(), m.getExpirationEpochMillis(),
                new MessageHandle(m.getSequence(), m.getPopReceipt()).popReceipt(), m.getVisibleEpochMillis(),
                m.getDequeueCount(), text));
          });
    }).map(wire -> {
      r.endXml(200, QueueXml.messagesList(wire));
      return null;
    });
  }

  /** GET /account/queue/messages?peekonly=true → 200: up to numofmessages visible messages, unchanged. */
  Future<Void> peek(AzureRequest r, String queue) {
    int count = QueueParameters.numOfMessages(r.queryParam("numofmessages"));
    long now = services.nowMillis();
    return services.requireQueue(r, queue, now).compose(q -> {
      QueueRecord record = q.getQueues(0);
      int p = services.partition(r, queue);
      return services.metadata().query(r.context(), p, MetadataQuery.newBuilder().setPartition(p)
              .setPeekMessages(PeekMessages.newBuilder().setAccount(record.getAccount())
                  .setQueueId(record.getQueueId()).setNowEpochMillis(now).setMaxMessages(count))
              .build())
          .compose(result -> open(r, record, result.getMessagesList(), (m, text) -> new QueueXml.WireMessage(
              MessageHandle.messageId(m.getMessageId()), m.getInsertionEpochMillis(), m.getExpirationEpochMillis(),
              null, null, m.getDequeueCount(), text)));
    }).map(wire -> {
      r.endXml(200, QueueXml.messagesList(wire));
      return null;
    });
  }

  /**
   * PUT /account/queue/messages/id?popreceipt&visibilitytimeout, optionally with a new body → 204
   * with the new x-ms-popreceipt and x-ms-time-next-visible.
   */
  Future<Void> update(AzureRequest r, String queue, String id) {
    ByteString messageId = MessageHandle.parseMessageId(id);
    MessageHandle handle = MessageHandle.parsePopReceipt(r.queryParam("popreceipt"));
    long visibility = QueueParameters.updateVisibilityTimeout(r.queryParam("visibilitytimeout"));
    return QueueServices.readBody(r).compose(body -> {
      byte[] text = body.length == 0 ? null : QueueParameters.messageText(QueueXml.parseMessageText(body));
      long now = services.nowMillis();
      return services.requireQueue(r, queue, now).compose(q -> {
        QueueRecord record = q.getQueues(0);
        Future<byte[]> sealed = text == null ? Future.succeededFuture(null) : seal(r, record, messageId, text);
        return sealed.compose(s -> {
          UpdateMessage.Builder update = UpdateMessage.newBuilder()
              .setAccount(record.getAccount())
              .setQueueName(queue)
              .setQueueId(record.getQueueId())
              .setSequence(handle.sequence())
              .setMessageId(messageId)
              .setPopReceipt(handle.receipt())
              .setNowEpochMillis(now)
              .setVisibilityTimeoutSeconds(visibility)
              .setNewPopReceipt(services.random16());
          if (s != null) {
            update.setSetBody(true).setBody(ByteString.copyFrom(s));
          }
          return services.submit(r, MetadataCommand.newBuilder().setPartition(services.partition(r, queue))
              .setUpdateMessage(update));
        });
      });
    }).map(result -> {
      QueueServices.requireOk(result.getStatus());
      MessageRecord m = result.getMessages(0);
      r.response(204)
          .putHeader("x-ms-popreceipt", new MessageHandle(m.getSequence(), m.getPopReceipt()).popReceipt())
          .putHeader("x-ms-time-next-visible", HttpDates.rfc1123(m.getVisibleEpochMillis()))
          .putHeader("Content-Length", "0")
          .end();
      return null;
    });
  }

  /** DELETE /account/queue/messages/id?popreceipt → 204. */
  Future<Void> delete(AzureRequest r, String queue, String id) {
    ByteString messageId = MessageHandle.parseMessageId(id);
    MessageHandle handle = MessageHandle.parsePopReceipt(r.queryParam("popreceipt"));
    long now = services.nowMillis();
    return services.requireQueue(r, queue, now).compose(q -> {
      QueueRecord record = q.getQueues(0);
      return services.submit(r, MetadataCommand.newBuilder().setPartition(services.partition(r, queue))
          .setDeleteMessage(DeleteMessage.newBuilder()
              .setAccount(record.getAccount())
              .setQueueName(queue)
              .setQueueId(record.getQueueId())
              .setSequence(handle.sequence())
              .setMessageId(messageId)
              .setPopReceipt(handle.receipt())
              .setNowEpochMillis(now)));
    }).map(result -> {
      QueueServices.requireOk(result.getStatus());
      r.end(204);
      return null;
    });
  }

  /** DELETE /account/queue/messages → 204, after as many bounded Clear commands as the node needs. */
  Future<Void> clear(AzureRequest r, String queue) {
    return services.requireQueue(r, queue, services.nowMillis()).compose(q -> {
      QueueRecord record = q.getQueues(0);
      MetadataCommand.Builder command = MetadataCommand.newBuilder().setPartition(services.partition(r, queue))
          .setClearMessages(ClearMessages.newBuilder().setAccount(record.getAccount()).setQueueName(queue)
              .setQueueId(record.getQueueId()));
      return clearUntilEmpty(r, command);
    }).map(v -> {
      r.end(204);
      return null;
    });
  }

  private Future<Void> clearUntilEmpty(AzureRequest r, MetadataCommand.Builder command) {
    return services.submit(r, command).compose((CommandResult result) -> {
      QueueServices.requireOk(result.getStatus());
      return result.getMore() ? clearUntilEmpty(r, command) : Future.succeededFuture();
    });
  }

  private Future<byte[]> seal(AzureRequest r, QueueRecord queue, ByteString messageId, byte[] text) {
    return services.dek(r, queue).compose(dek -> services.onCryptoPool(() -> {
      try (DataKey k = dek) {
        return services.cipher().seal(k, QueueServices.identity(queue, messageId), text);
      }
    }));
  }

  private interface ToWire {
    QueueXml.WireMessage wire(MessageRecord m, String text);
  }

  /** Opens every message's body (on the crypto pool) and shapes it for the wire. */
  private Future<List<QueueXml.WireMessage>> open(AzureRequest r, QueueRecord queue, List<MessageRecord> messages,
      ToWire toWire) {
    if (messages.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return services.dek(r, queue).compose(dek -> services.onCryptoPool(() -> {
      try (DataKey k = dek) {
        List<QueueXml.WireMessage> out = new ArrayList<>(messages.size());
        for (MessageRecord m : messages) {
          byte[] text = services.cipher().open(k, QueueServices.identity(queue, m.getMessageId()),
              m.getBody().toByteArray());
          out.add(toWire.wire(m, new String(text, StandardCharsets.UTF_8)));
        }
        return out;
      }
    }));
  }
}
