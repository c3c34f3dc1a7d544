package io.cobalt.gateway.table;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.gateway.http.ResourcePath;
import io.cobalt.gateway.table.edm.EdmValue;
import io.cobalt.gateway.table.edm.Entity;
import io.cobalt.gateway.table.json.EntityJsonCodec;
import io.cobalt.gateway.table.json.ODataLinks;
import io.cobalt.gateway.table.json.ODataMetadata;
import io.cobalt.gateway.table.odata.QueryOptions;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.DeleteEntity;
import io.cobalt.proto.node.v1.EntityBatch;
import io.cobalt.proto.node.v1.EntityBatchOperation;
import io.cobalt.proto.node.v1.EntityBatchPart;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.GetEntity;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutEntity;
import io.cobalt.proto.node.v1.TableRecord;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Entity-group transactions: {@code POST /<account>/$batch} (ADR 0016). The changeset's operations
 * (insert, update, merge, delete, insert-or-replace, insert-or-merge; one table, one PartitionKey,
 * no entity twice, at most 100, the body at most 4 MiB) are checked, sealed entity by entity and
 * sent as ONE EntityBatch command to the partition leader, which checks every condition before it
 * writes anything. Merges read the stored entities first and write the merged result under the
 * ETag they read; a concurrent change refuses the whole batch, which is then retried from the
 * reads. The answer is Azure's: 202 Accepted with a multipart/mixed batch response holding one
 * response per operation, or, when an operation fails, only that operation's error, its message
 * prefixed with the operation's index ({@code "1:The specified entity already exists."}).
 *
 * <p>A batch may instead hold one retrieve operation ({@code GET} of one entity, outside any
 * changeset, optionally with {@code $select}): it is answered as Get Entity would be, inside a
 * 202 batch response with one part and no changeset (the entity, or the error). A retrieve next to
 * a changeset or another retrieve is 400 InvalidInput for the whole batch; a GET inside a changeset
 * fails the batch at its index with 400 InvalidInput.
 */
final class BatchHandler {
  /** Operations of one changeset at most (Azure's limit). */
  static final int MAX_OPERATIONS = 100;
  /**
   * The largest command a node's Raft log entry holds (RaftSettings.MAX_ENTRY_BYTES in the node). A
   * transaction whose sealed entities make a larger command is sent in parts (ADR 0025): its first
   * operations go ahead as EntityBatchPart commands of at most {@link #PART_BYTES}, the rest with
   * the EntityBatch that applies them all, atomically.
   */
  static final int MAX_COMMAND_BYTES = 2 * 1024 * 1024 + 512 * 1024 - 64 * 1024;
  /** Serialized operations of one staged part at most: room is left for the command's envelope. */
  static final int PART_BYTES = MAX_COMMAND_BYTES - 64 * 1024;
  /** Staged parts of one transaction at most (the node's PartitionStateMachine.MAX_BATCH_PARTS). */
  static final int MAX_PARTS = 8;
  /** Whole attempts of a batch whose merged entities keep changing underneath. */
  static final int ATTEMPTS = 5;

  private static final String TOO_MANY =
      "The batch request operation exceeds the maximum 100 changes per change set.";
  private static final String DIFFERENT_PARTITIONS = "All commands in a batch must operate on same entity group.";
  private static final String DUPLICATE_ROW = "The batch request contains multiple changes with same row key."
      + " An entity can appear only once in a batch request.";

  private final TableServices services;

  BatchHandler(TableServices services) {
    this.services = services;
  }

  enum Kind { INSERT, REPLACE, MERGE, DELETE }

  /**
   * One operation of the changeset, checked.
   *
   * @param entity the entity to write (null for a delete)
   * @param ifMatch the client's If-Match; null for insert-or-replace and insert-or-merge
   */
  record Op(Kind kind, String table, String partitionKey, String rowKey, Entity entity, String ifMatch,
      boolean noContent, ODataMetadata level, String contentId) {}

  /** An operation that failed: the whole batch fails with this error, at this index. */
  static final class OperationFailed extends RuntimeException {
    final int index;
    final String contentId;
    final AzureException error;
    /** The batch's one retrieve failed (answered without a changeset or an index). */
    final boolean retrieve;

    OperationFailed(int index, String contentId, AzureException error) {
      this(index, contentId, error, false);
    }

    OperationFailed(int index, String contentId, AzureException error, boolean retrieve) {
      super(error.error().code(), null, false, false);
      this.index = index;
      this.contentId = contentId;
      this.error = error;
      this.retrieve = retrieve;
    }
  }

  /** What one operation stored: its ETag and (for inserts' answers) the entity with its Timestamp. */
  record Written(String etag, Entity entity) {}

  Future<Void> batch(AzureRequest r) {
    String contentType = r.header("Content-Type");
    BatchRequest.boundary(contentType);                      // 400 before reading a body that is no batch
    return TableServices.readBody(r).compose(body -> {
      BatchRequest request = BatchRequest.parse(contentType, body);
      if (request.retrieve() != null) {
        return retrieve(r, request.retrieve());
      }
      List<BatchRequest.SubRequest> subs = request.requests();
      if (subs.size() > MAX_OPERATIONS) {
        throw new OperationFailed(0, subs.get(0).contentId(), AzureError.INVALID_INPUT.exceptionWithMessage(TOO_MANY));
      }
      List<Op> ops = new ArrayList<>(subs.size());
      for (int i = 0; i < subs.size(); i++) {
        try {
          ops.add(op(r, subs.get(i)));
        } catch (AzureException e) {
          throw new OperationFailed(i, subs.get(i).contentId(), e);
        }
      }
      checkGroup(ops);
      if (r.sas() != null) {
        for (Op op : ops) {
          String verb = switch (op.kind()) {
            case INSERT -> "POST";
            case DELETE -> "DELETE";
            default -> "PUT";
          };
          TableOperations.authorizeSas(r.sas(), new TableResource(
              op.kind() == Kind.INSERT ? TableResource.Kind.ENTITIES : TableResource.Kind.ENTITY, op.table(),
              op.partitionKey(), op.rowKey()), verb, op.ifMatch());
          r.sas().requireEntity(op.partitionKey(), op.rowKey());
        }
      }
      return services.table(r, ops.get(0).table()).compose(table -> {
        if (table == null) {
          throw new OperationFailed(0, ops.get(0).contentId(), AzureError.TABLE_NOT_FOUND.exception());
        }
        return withDek(r, table, dek -> attempt(r, table, dek, ops, ATTEMPTS))
            .map(written -> {
              answer(r, table, ops, written);
              return (Void) null;
            });
      });
    }).recover(t -> {
      if (t instanceof OperationFailed f) {
        answerFailure(r, f);
        return Future.succeededFuture();
      }
      return Future.failedFuture(t);
    });
  }

  /**
   * The retrieve-only batch: one entity (with the sub-request's Accept and {@code $select}), or
   * the error Get Entity would answer, as the one part of a 202 batch response.
   */
  private Future<Void> retrieve(AzureRequest r, BatchRequest.SubRequest s) {
    TableResource res;
    List<String> select;
    ODataMetadata level;
    try {
      ResourcePath path = ResourcePath.parse(s.path());
      if (!path.account().equals(r.path().account())) {
        throw AzureError.INVALID_INPUT.exceptionWithMessage("The retrieve operation names another account.");
      }
      res = TableResource.parse(path);
      if (res.kind() != TableResource.Kind.ENTITY) {
        throw AzureError.INVALID_INPUT.exceptionWithMessage("A retrieve operation in a batch must name one entity.");
      }
      Entity.checkKey(Entity.PARTITION_KEY, res.partitionKey());
      Entity.checkKey(Entity.ROW_KEY, res.rowKey());
      String raw = s.queryParam("$select");
      select = raw == null ? null : QueryOptions.parseSelect(raw);
      String format = s.queryParam("$format");
      level = ODataMetadata.fromMediaType(format != null ? format : s.header("Accept"))
          .orElse(ODataMetadata.MINIMAL_METADATA);
    } catch (AzureException e) {
      throw new OperationFailed(0, s.contentId(), e, true);
    } catch (RuntimeException e) {
      RuntimeException x = TableServices.inputError(e);
      if (x instanceof AzureException ae) {
        throw new OperationFailed(0, s.contentId(), ae, true);
      }
      throw x;
    }
    if (r.sas() != null) {
      TableOperations.authorizeSas(r.sas(), res, "GET", null);   // 403 for the batch, as for a changeset's operations
    }
    return services.table(r, res.table()).compose(table -> {
      if (table == null) {
        throw new OperationFailed(0, s.contentId(), AzureError.TABLE_NOT_FOUND.exception(), true);
      }
      return read(r, table, res.partitionKey(), res.rowKey()).compose(record -> {
        if (record == null) {
          throw new OperationFailed(0, s.contentId(), AzureError.RESOURCE_NOT_FOUND.exception(), true);
        }
        return withDek(r, table, dek -> services.onCryptoPool(() -> services.open(dek, table, record)))
            .map(entity -> {
              String json = EntityJsonCodec.writeEntity(entity, record.getEtag(), level,
                  new ODataLinks(TableServices.serviceUrl(r), r.path().account(), table.getName()), select);
              StringBuilder part = new StringBuilder();
              statusLine(part, 200, s.contentId());
              part.append("Content-Type: ").append(level.contentType()).append("\r\n")
                  .append("ETag: ").append(record.getEtag()).append("\r\n\r\n").append(json).append("\r\n");
              endRetrieve(r, part.toString());
              return (Void) null;
            });
      });
    });
  }

  /** One table, one PartitionKey, every entity at most once. */
  private static void checkGroup(List<Op> ops) {
    Op first = ops.get(0);
    Set<String> rowKeys = new HashSet<>();
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      if (!op.table().equals(first.table()) || !op.partitionKey().equals(first.partitionKey())) {
        throw new OperationFailed(i, op.contentId(), AzureError.COMMANDS_IN_BATCH_ACT_ON_DIFFERENT_PARTITIONS
            .exceptionWithMessage(DIFFERENT_PARTITIONS));
      }
      if (!rowKeys.add(op.rowKey())) {
        throw new OperationFailed(i, op.contentId(), AzureError.INVALID_DUPLICATE_ROW.exceptionWithMessage(DUPLICATE_ROW));
      }
    }
  }

  private static Op op(AzureRequest r, BatchRequest.SubRequest s) {
    ResourcePath path = ResourcePath.parse(s.path());
    if (!path.account().equals(r.path().account())) {
      throw AzureError.INVALID_INPUT.exceptionWithMessage("An operation of the batch names another account.");
    }
    TableResource res = TableResource.parse(path);
    String ifMatch = s.header("If-Match");
    boolean noContent = TableServices.returnNoContent(s.header("Prefer"));
    ODataMetadata level = ODataMetadata.fromMediaType(s.header("Accept")).orElse(ODataMetadata.MINIMAL_METADATA);
    try {
      if (res.kind() == TableResource.Kind.ENTITIES && s.method().equals("POST")) {
        Entity e = EntityJsonCodec.parse(s.body()).toEntity();
        return new Op(Kind.INSERT, res.table(), e.partitionKey(), e.rowKey(), e, null, noContent, level, s.contentId());
      }
      if (res.kind() != TableResource.Kind.ENTITY) {
        throw AzureError.INVALID_INPUT.exceptionWithMessage("A batch operation must act on one entity.");
      }
      Entity.checkKey(Entity.PARTITION_KEY, res.partitionKey());
      Entity.checkKey(Entity.ROW_KEY, res.rowKey());
      switch (s.method()) {
        case "PUT", "MERGE", "PATCH" -> {
          Entity e = EntityJsonCodec.parse(s.body()).toEntity(res.partitionKey(), res.rowKey());
          Kind kind = s.method().equals("PUT") ? Kind.REPLACE : Kind.MERGE;
          return new Op(kind, res.table(), res.partitionKey(), res.rowKey(), e, ifMatch, false, level, s.contentId());
        }
        case "DELETE" -> {
          if (ifMatch == null || ifMatch.isBlank()) {
            throw AzureError.MISSING_REQUIRED_HEADER.exception("HeaderName", "If-Match");
          }
          return new Op(Kind.DELETE, res.table(), res.partitionKey(), res.rowKey(), null, ifMatch, false, level,
              s.contentId());
        }
        default -> throw AzureError.INVALID_INPUT.exceptionWithMessage(
            "The batch operation " + s.method() + " is not supported in a changeset.");
      }
    } catch (AzureException e) {
      throw e;
    } catch (RuntimeException e) {
      throw TableServices.inputError(e);
    }
  }

  /**
   * Reads what the merges need, builds and seals every operation, submits the batch. A refused
   * merge (its entity changed since the read) retries the whole batch; any other refusal fails it.
   */
  private Future<List<Written>> attempt(AzureRequest r, TableRecord table, DataKey dek, List<Op> ops, int attemptsLeft) {
    List<Future<EntityRecord>> reads = new ArrayList<>(ops.size());
    for (Op op : ops) {
      reads.add(op.kind() == Kind.MERGE ? read(r, table, op) : Future.succeededFuture(null));
    }
    Instant now = services.now();
    List<Written> written = new ArrayList<>(ops.size());
    return Future.all(reads).compose(done -> {
      List<Future<EntityBatchOperation>> built = new ArrayList<>(ops.size());
      for (int i = 0; i < ops.size(); i++) {
        Op op = ops.get(i);
        String etag = services.etag(now);
        built.add(build(table, dek, i, op, reads.get(i).result(), now, etag, written));
      }
      return Future.all(built).map(x -> {
        EntityBatch.Builder batch = EntityBatch.newBuilder();
        built.forEach(f -> batch.addOperations(f.result()));
        return batch;
      });
    }).compose(batch -> {
          int partition = services.entityPartition(table, ops.get(0).partitionKey());
          MetadataCommand command = MetadataCommand.newBuilder().setPartition(partition).setEntityBatch(batch).build();
          if (command.getSerializedSize() > MAX_COMMAND_BYTES) {
            return submitInParts(r, partition, batch.build());
          }
          return services.submit(r, command.toBuilder());
        })
        .compose((CommandResult result) -> {
          if (result.getStatus() == CommandStatus.OK) {
            return Future.succeededFuture(written);
          }
          if (result.getStatus() == CommandStatus.BATCH_PARTS_MISSING) {
            throw AzureError.SERVER_BUSY.exception();
          }
          int i = result.getEntityBatch().getFailedIndex();
          if (i >= ops.size()) {
            throw new IllegalStateException("failed index " + i + " out of range");
          }
          Op op = ops.get(i);
          if (op.kind() == Kind.MERGE && attemptsLeft > 1) {
            return attempt(r, table, dek, ops, attemptsLeft - 1);
          }
          throw new OperationFailed(i, op.contentId(), switch (result.getStatus()) {
            case ALREADY_EXISTS -> op.kind() == Kind.INSERT
                ? AzureError.ENTITY_ALREADY_EXISTS.exception() : AzureError.UPDATE_CONDITION_NOT_SATISFIED.exception();
            case NOT_FOUND -> AzureError.RESOURCE_NOT_FOUND.exception();
            case CONDITION_NOT_MET -> AzureError.UPDATE_CONDITION_NOT_SATISFIED.exception();
            default -> throw new IllegalStateException("unexpected command status " + result.getStatus());
          });
        });
  }

  /**
   * Sends a transaction too large for one log entry as staged parts, one after the other, then the
   * EntityBatch that applies them with the remaining operations (ADR 0025). The parts change nothing
   * until that command commits; parts of a transaction that never commits are dropped by the
   * partition after its window. 413 if even {@link #MAX_PARTS} parts cannot hold it.
   */
  private Future<CommandResult> submitInParts(AzureRequest r, int partition, EntityBatch whole) {
    List<List<EntityBatchOperation>> groups = new ArrayList<>();
    List<EntityBatchOperation> current = new ArrayList<>();
    long size = 0;
    for (EntityBatchOperation op : whole.getOperationsList()) {
      long opSize = op.getSerializedSize() + 8L;
      if (!current.isEmpty() && size + opSize > PART_BYTES) {
        groups.add(current);
        current = new ArrayList<>();
        size = 0;
      }
      current.add(op);
      size += opSize;
    }
    groups.add(current);
    int parts = groups.size() - 1;
    if (parts > MAX_PARTS) {
      throw AzureError.REQUEST_BODY_TOO_LARGE.exception();
    }
    byte[] id = new byte[16];
    services.random().nextBytes(id);
    ByteString batchId = ByteString.copyFrom(id);
    long millis = services.now().toEpochMilli();
    Future<CommandResult> chain = Future.succeededFuture(null);
    for (int i = 0; i < parts; i++) {
      EntityBatchPart part = EntityBatchPart.newBuilder().setBatchId(batchId).setIndex(i).setStagedEpochMillis(millis)
          .addAllOperations(groups.get(i)).build();
      chain = chain.compose(previous -> {
        if (previous != null && previous.getStatus() != CommandStatus.OK) {
          throw new IllegalStateException("a staged batch part was refused: " + previous.getStatus());
        }
        return services.submit(r, MetadataCommand.newBuilder().setPartition(partition).setEntityBatchPart(part));
      });
    }
    EntityBatch last = EntityBatch.newBuilder().addAllOperations(groups.get(parts)).setStagedBatchId(batchId)
        .setStagedParts(parts).setStagedEpochMillis(millis).build();
    return chain.compose(previous -> {
      if (previous != null && previous.getStatus() != CommandStatus.OK) {
        throw new IllegalStateException("a staged batch part was refused: " + previous.getStatus());
      }
      return services.submit(r, MetadataCommand.newBuilder().setPartition(partition).setEntityBatch(last));
    });
  }

  /** The command operation of {@code op}; records into {@code written} (at index {@code i}) what it stores. */
  private Future<EntityBatchOperation> build(TableRecord table, DataKey dek, int i, Op op, EntityRecord current,
      Instant now, String etag, List<Written> written) {
    while (written.size() <= i) {
      written.add(null);
    }
    switch (op.kind()) {
      case DELETE -> {
        written.set(i, new Written(null, null));
        return Future.succeededFuture(EntityBatchOperation.newBuilder().setDelete(DeleteEntity.newBuilder()
            .setAccount(table.getAccount()).setTableId(table.getTableId()).setPartitionKey(op.partitionKey())
            .setRowKey(op.rowKey()).setCondition(Condition.newBuilder().setIfMatch(op.ifMatch()))).build());
      }
      case INSERT -> {
        return seal(table, dek, i, op.entity(), Condition.newBuilder().setIfNoneMatch("*").build(), now, etag, written);
      }
      case REPLACE -> {
        Condition c = op.ifMatch() == null ? Condition.getDefaultInstance()
            : Condition.newBuilder().setIfMatch(op.ifMatch()).build();
        return seal(table, dek, i, op.entity(), c, now, etag, written);
      }
      default -> {
        if (current == null) {
          if (op.ifMatch() != null) {
            throw new OperationFailed(i, op.contentId(), AzureError.RESOURCE_NOT_FOUND.exception());
          }
          return seal(table, dek, i, op.entity(), Condition.newBuilder().setIfNoneMatch("*").build(), now, etag,
              written);
        }
        if (op.ifMatch() != null && !EntityHandler.etagMatches(op.ifMatch(), current.getEtag())) {
          throw new OperationFailed(i, op.contentId(), AzureError.UPDATE_CONDITION_NOT_SATISFIED.exception());
        }
        return services.onCryptoPool(() -> {
          Entity old = services.open(dek, table, current);
          Map<String, EdmValue> merged = new LinkedHashMap<>(old.properties());
          merged.putAll(op.entity().properties());
          try {
            return Entity.of(op.partitionKey(), op.rowKey(), merged);
          } catch (RuntimeException e) {
            throw new OperationFailed(i, op.contentId(), (AzureException) TableServices.inputError(e));
          }
        }).compose(entity -> seal(table, dek, i, entity,
            Condition.newBuilder().setIfMatch(current.getEtag()).build(), now, etag, written));
      }
    }
  }

  private Future<EntityBatchOperation> seal(TableRecord table, DataKey dek, int i, Entity entity, Condition c,
      Instant now, String etag, List<Written> written) {
    written.set(i, new Written(etag,
        Entity.stored(entity.partitionKey(), entity.rowKey(), EdmValue.EdmDateTime.of(now), entity.properties())));
    return services.seal(dek, table, entity, now, etag).map(record -> EntityBatchOperation.newBuilder()
        .setPut(PutEntity.newBuilder().setEntity(record).setCondition(c)).build());
  }

  private Future<EntityRecord> read(AzureRequest r, TableRecord table, Op op) {
    return read(r, table, op.partitionKey(), op.rowKey());
  }

  private Future<EntityRecord> read(AzureRequest r, TableRecord table, String partitionKey, String rowKey) {
    int p = services.entityPartition(table, partitionKey);
    return services.metadata().query(r.context(), p, MetadataQuery.newBuilder().setPartition(p)
            .setGetEntity(GetEntity.newBuilder().setAccount(table.getAccount()).setTableId(table.getTableId())
                .setPartitionKey(partitionKey).setRowKey(rowKey)).build())
        .map(q -> q.getEntitiesCount() == 0 ? null : q.getEntities(0));
  }

  private <T> Future<T> withDek(AzureRequest r, TableRecord table, Function<DataKey, Future<T>> work) {
    return services.dek(r, table).compose(dek -> {
      Future<T> f;
      try {
        f = work.apply(dek);
      } catch (RuntimeException e) {
        dek.close();
        return Future.failedFuture(e);
      }
      return f.andThen(x -> dek.close());
    });
  }

  // ------------------------------------------------------------------ the batch response

  private void answer(AzureRequest r, TableRecord table, List<Op> ops, List<Written> written) {
    List<String> parts = new ArrayList<>(ops.size());
    ODataLinks links = new ODataLinks(TableServices.serviceUrl(r), r.path().account(), table.getName());
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      Written w = written.get(i);
      StringBuilder part = new StringBuilder();
      if (op.kind() == Kind.INSERT && !op.noContent()) {
        String json = EntityJsonCodec.writeEntity(w.entity(), w.etag(), op.level(), links, null);
        statusLine(part, 201, op.contentId());
        part.append("Content-Type: ").append(op.level().contentType()).append("\r\n")
            .append("ETag: ").append(w.etag()).append("\r\n\r\n").append(json).append("\r\n");
      } else {
        statusLine(part, 204, op.contentId());
        if (op.kind() == Kind.INSERT) {
          part.append("Preference-Applied: return-no-content\r\n");
        }
        if (w.etag() != null) {
          part.append("ETag: ").append(w.etag()).append("\r\n");
        }
        part.append("\r\n");
      }
      parts.add(part.toString());
    }
    end(r, parts);
  }

  private void answerFailure(AzureRequest r, OperationFailed f) {
    AzureException e = f.error;
    String message = (f.retrieve ? "" : f.index + ":") + e.azureMessage() + "\nRequestId:" + r.requestId()
        + "\nTime:" + HttpDates.iso7(r.received());
    StringBuilder part = new StringBuilder();
    statusLine(part, e.error().status(), f.contentId);
    part.append("Content-Type: application/json;odata=minimalmetadata;streaming=true;charset=utf-8\r\n\r\n")
        .append("{\"odata.error\":{\"code\":").append(json(e.error().code()))
        .append(",\"message\":{\"lang\":\"en-US\",\"value\":").append(json(message)).append("}}}\r\n");
    if (f.retrieve) {
      endRetrieve(r, part.toString());
    } else {
      end(r, List.of(part.toString()));
    }
  }

  /** A retrieve batch's response: one application/http part straight in the batch, no changeset. */
  private void endRetrieve(AzureRequest r, String part) {
    String batch = "batchresponse_" + new UUID(services.random().nextLong(), services.random().nextLong());
    String body = "--" + batch + "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        + part + "--" + batch + "--\r\n";
    Buffer bytes = Buffer.buffer(body);
    r.response(202)
        .putHeader("Content-Type", "multipart/mixed; boundary=" + batch)
        .putHeader("Cache-Control", "no-cache")
        .putHeader("Content-Length", Integer.toString(bytes.length()))
        .end(bytes);
  }

  private static void statusLine(StringBuilder part, int status, String contentId) {
    part.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
    if (contentId != null) {
      part.append("Content-ID: ").append(contentId).append("\r\n");
    }
    part.append("X-Content-Type-Options: nosniff\r\nCache-Control: no-cache\r\nDataServiceVersion: 3.0;\r\n");
  }

  private void end(AzureRequest r, List<String> parts) {
    String batch = "batchresponse_" + new UUID(services.random().nextLong(), services.random().nextLong());
    String changeset = "changesetresponse_" + new UUID(services.random().nextLong(), services.random().nextLong());
    StringBuilder body = new StringBuilder();
    body.append("--").append(batch).append("\r\n")
        .append("Content-Type: multipart/mixed; boundary=").append(changeset).append("\r\n\r\n");
    for (String part : parts) {
      body.append("--").append(changeset).append("\r\n")
          .append("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n")
          .append(part);
    }
    body.append("--").append(changeset).append("--\r\n--").append(batch).append("--\r\n");
    Buffer bytes = Buffer.buffer(body.toString());
    r.response(202)
        .putHeader("Content-Type", "multipart/mixed; boundary=" + batch)
        .putHeader("Cache-Control", "no-cache")
        .putHeader("Content-Length", Integer.toString(bytes.length()))
        .end(bytes);
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 201 -> "Created";
      case 204 -> "No Content";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 409 -> "Conflict";
      case 412 -> "Precondition Failed";
      case 413 -> "Request Entity Too Large";
      default -> "Error";
    };
  }

  private static String json(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
