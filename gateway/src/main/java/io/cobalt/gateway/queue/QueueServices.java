package io.cobalt.gateway.queue;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.KeyClient;
import io.cobalt.gateway.encryption.MessageCipher;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.placement.MetadataRouter;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.GetQueue;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.QueueRecord;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * What the Queue handlers work with: metadata routing, the kms-agent, the message cipher on the
 * crypto pool, and the clock and randomness that stamp every message command (ADR 0009 decisions
 * 2 and 3: the decision time and the pop receipts are chosen here, before the log).
 */
public final class QueueServices {
  /** Azure's queue names: 3..63 lower-case letters, digits and single dashes, not at either end. */
  static final Pattern QUEUE_NAME = Pattern.compile("[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}");
  /** A Put/Update Message body: a 64 KiB text, XML-escaped (at most 6 bytes per byte: {@code &quot;}) and wrapped. */
  static final int MAX_BODY_BYTES = 6 * QueueParameters.MAX_MESSAGE_BYTES + 1024;

  private final MetadataRouter metadata;
  private final KeyClient keys;
  private final MessageCipher cipher;
  private final WorkerExecutor workers;
  private final Clock clock;
  private final SecureRandom random;

  public QueueServices(
      MetadataRouter metadata, KeyClient keys, MessageCipher cipher, WorkerExecutor workers, Clock clock,
      SecureRandom random) {
    this.metadata = metadata;
    this.keys = keys;
    this.cipher = cipher;
    this.workers = workers;
    this.clock = clock;
    this.random = random;
  }

  MetadataRouter metadata() {
    return metadata;
  }

  Clock clock() {
    return clock;
  }

  KeyClient keys() {
    return keys;
  }

  MessageCipher cipher() {
    return cipher;
  }

  /** The decision time of a command or query: milliseconds since the epoch, from the injected clock. */
  long nowMillis() {
    return clock.millis();
  }

  /** 16 random bytes: a queue id, message id or pop receipt. */
  ByteString random16() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    return ByteString.copyFrom(b);
  }

  static boolean validQueueName(String name) {
    return name != null && QUEUE_NAME.matcher(name).matches();
  }

  /** 400 InvalidResourceName unless {@code name} is a queue name Azure accepts. */
  static void requireValidName(String name) {
    if (!validQueueName(name)) {
      throw AzureError.INVALID_RESOURCE_NAME.exception();
    }
  }

  int partition(AzureRequest r, String queue) {
    return metadata.placement().queuePartition(r.path().account(), queue);
  }

  /** The queue's record and approximate message count at now, failing with 404 QueueNotFound. */
  Future<QueryResult> requireQueue(AzureRequest r, String name, long now) {
    requireValidName(name);
    int p = partition(r, name);
    return metadata.query(r.context(), p, MetadataQuery.newBuilder().setPartition(p)
            .setGetQueue(GetQueue.newBuilder().setAccount(r.path().account()).setName(name).setNowEpochMillis(now))
            .build())
        .map(q -> {
          if (q.getQueuesCount() == 0) {
            throw AzureError.QUEUE_NOT_FOUND.exception();
          }
          return q;
        });
  }

  /** The queue's DEK in plaintext (the caller closes it). */
  Future<DataKey> dek(AzureRequest r, QueueRecord q) {
    return Future.fromCompletionStage(keys.unwrap(q.getAccount(), q.getDek(), r.requestId()), r.context());
  }

  Future<CommandResult> submit(AzureRequest r, MetadataCommand.Builder command) {
    return metadata.submit(r.context(), command.setRequestId(r.requestId()).build());
  }

  <T> Future<T> onCryptoPool(Callable<T> work) {
    return workers.executeBlocking(work, false);
  }

  static MessageCipher.MessageIdentity identity(QueueRecord q, ByteString messageId) {
    return new MessageCipher.MessageIdentity(q.getAccount(), q.getQueueId().toByteArray(), messageId.toByteArray());
  }

  /** The node's answer to a message command as Azure's error, or nothing when OK. */
  static void requireOk(CommandStatus status) {
    switch (status) {
      case OK -> { }
      case NOT_FOUND -> throw AzureError.QUEUE_NOT_FOUND.exception();
      case MESSAGE_NOT_FOUND -> throw AzureError.MESSAGE_NOT_FOUND.exception();
      case POP_RECEIPT_MISMATCH -> throw AzureError.POP_RECEIPT_MISMATCH.exception();
      default -> throw new IllegalStateException("unexpected command status " + status);
    }
  }

  static String serviceUrl(AzureRequest r) {
    String host = r.header("Host");
    return (r.secure() ? "https" : "http") + "://" + (host == null ? "localhost" : host) + "/" + r.path().account();
  }

  /** The request body, at most {@link #MAX_BODY_BYTES} (413 RequestBodyTooLarge beyond). */
  static Future<byte[]> readBody(AzureRequest r) {
    Promise<byte[]> done = Promise.promise();
    Buffer body = Buffer.buffer();
    var req = r.http();
    req.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      if (body.length() + chunk.length() > MAX_BODY_BYTES) {
        done.tryFail(AzureError.REQUEST_BODY_TOO_LARGE.exception());
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> done.tryComplete(body.getBytes()));
    req.exceptionHandler(done::tryFail);
    req.resume();
    return done.future();
  }
}
