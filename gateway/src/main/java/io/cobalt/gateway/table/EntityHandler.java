package io.cobalt.gateway.table;

import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
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
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.GetEntity;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutEntity;
import io.cobalt.proto.node.v1.TableRecord;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Insert, Get, Update (replace), Merge, Insert-or-Replace, Insert-or-Merge and Delete Entity.
 * Conditions (If-Match, "must not exist") are evaluated by the partition at apply. Merge reads the
 * stored entity, opens it, merges the properties here and writes the result under If-Match of the
 * ETag it read, so a concurrent change makes it retry (with If-Match "*" or none) or fail 412
 * (with the client's ETag).
 */
final class EntityHandler {
  /** Read-modify-write attempts of a Merge whose entity keeps changing underneath. */
  static final int MERGE_ATTEMPTS = 5;

  private final TableServices services;

  EntityHandler(TableServices services) {
    this.services = services;
  }

  /** Insert Entity: POST to the table; 409 EntityAlreadyExists if the keys are taken. */
  Future<Void> insert(AzureRequest r, String tableName) {
    return services.requireTable(r, tableName).compose(table -> TableServices.readBody(r).compose(body -> {
      Entity entity = parse(body, null, null);
      if (r.sas() != null) {
        r.sas().requireEntity(entity.partitionKey(), entity.rowKey()); // the keys are in the body
      }
      return write(r, table, entity, Condition.newBuilder().setIfNoneMatch("*").build()).map(written -> {
        if (written.status() == CommandStatus.ALREADY_EXISTS) {
          throw AzureError.ENTITY_ALREADY_EXISTS.exception();
        }
        TableServices.requireOkStatus(written.status());
        ODataMetadata level = TableServices.metadataLevel(r);
        if (TableServices.returnNoContent(r)) {
          r.response(204).putHeader("ETag", written.etag()).putHeader("Preference-Applied", "return-no-content")
              .putHeader("Content-Length", "0").end();
        } else {
          r.http().response().putHeader("ETag", written.etag());
          TableServices.endJson(r, 201, level, EntityJsonCodec.writeEntity(written.entity(), written.etag(), level,
              new ODataLinks(TableServices.serviceUrl(r), r.path().account(), table.getName()), null));
        }
        return null;
      });
    }));
  }

  Future<Void> get(AzureRequest r, TableResource res) {
    List<String> select;
    try {
      String raw = r.queryParam("$select");
      select = raw == null ? null : QueryOptions.parseSelect(raw);
    } catch (RuntimeException e) {
      throw TableServices.inputError(e);
    }
    return services.requireTable(r, res.table()).compose(table -> read(r, table, res).compose(record -> {
      if (record == null) {
        throw AzureError.RESOURCE_NOT_FOUND.exception();
      }
      return withDek(r, table, dek -> services.onCryptoPool(() -> services.open(dek, table, record))).map(entity -> {
        ODataMetadata level = TableServices.metadataLevel(r);
        r.http().response().putHeader("ETag", record.getEtag());
        TableServices.endJson(r, 200, level, EntityJsonCodec.writeEntity(entity, record.getEtag(), level,
            new ODataLinks(TableServices.serviceUrl(r), r.path().account(), table.getName()), select));
        return null;
      });
    }));
  }

  /** Update Entity (If-Match) or Insert-or-Replace (no If-Match): PUT. */
  Future<Void> replace(AzureRequest r, TableResource res) {
    String ifMatch = r.header("If-Match");
    return services.requireTable(r, res.table()).compose(table -> TableServices.readBody(r).compose(body -> {
      Entity entity = parse(body, res.partitionKey(), res.rowKey());
      Condition c = ifMatch == null ? Condition.getDefaultInstance() : Condition.newBuilder().setIfMatch(ifMatch).build();
      return write(r, table, entity, c).map(written -> {
        answerUpdate(r, written.status(), written.etag());
        return null;
      });
    }));
  }

  /** Merge Entity (If-Match) or Insert-or-Merge (no If-Match): MERGE, PATCH or tunnelled POST. */
  Future<Void> merge(AzureRequest r, TableResource res) {
    String ifMatch = r.header("If-Match");
    return services.requireTable(r, res.table()).compose(table -> TableServices.readBody(r).compose(body -> {
      Entity update = parse(body, res.partitionKey(), res.rowKey());
      return withDek(r, table, dek -> mergeAttempt(r, table, dek, update, ifMatch, MERGE_ATTEMPTS)).map(written -> {
        answerUpdate(r, written.status(), written.etag());
        return null;
      });
    }));
  }

  private Future<Written> mergeAttempt(
      AzureRequest r, TableRecord table, DataKey dek, Entity update, String ifMatch, int attemptsLeft) {
    TableResource res = new TableResource(TableResource.Kind.ENTITY, table.getName(), update.partitionKey(),
        update.rowKey());
    return read(r, table, res).compose(current -> {
      if (current == null) {
        if (ifMatch != null) {
          return Future.succeededFuture(new Written(CommandStatus.NOT_FOUND, null, null));
        }
        return seal(r, table, dek, update, Condition.newBuilder().setIfNoneMatch("*").build());
      }
      if (ifMatch != null && !etagMatches(ifMatch, current.getEtag())) {
        return Future.succeededFuture(new Written(CommandStatus.CONDITION_NOT_MET, null, null));
      }
      return services.onCryptoPool(() -> services.open(dek, table, current)).compose(old -> {
        Map<String, EdmValue> merged = new LinkedHashMap<>(old.properties());
        merged.putAll(update.properties());
        Entity entity;
        try {
          entity = Entity.of(update.partitionKey(), update.rowKey(), merged);
        } catch (RuntimeException e) {
          throw TableServices.inputError(e);
        }
        return seal(r, table, dek, entity, Condition.newBuilder().setIfMatch(current.getEtag()).build());
      });
    }).compose(written -> {
      boolean raced = written.status() == CommandStatus.ALREADY_EXISTS
          || (written.status() == CommandStatus.CONDITION_NOT_MET || written.status() == CommandStatus.NOT_FOUND)
              && (ifMatch == null || ifMatch.trim().equals("*")) && written.etag() != null;
      if (raced && attemptsLeft > 1) {
        return mergeAttempt(r, table, dek, update, ifMatch, attemptsLeft - 1);
      }
      if (raced && written.status() == CommandStatus.ALREADY_EXISTS) {
        return Future.succeededFuture(new Written(CommandStatus.CONDITION_NOT_MET, null, null));
      }
      return Future.succeededFuture(written);
    });
  }

  /** Delete Entity: If-Match ("*" or an ETag) is required, as Azure requires it. */
  Future<Void> delete(AzureRequest r, TableResource res) {
    String ifMatch = r.header("If-Match");
    if (ifMatch == null || ifMatch.isBlank()) {
      throw AzureError.MISSING_REQUIRED_HEADER.exception("HeaderName", "If-Match");
    }
    return services.requireTable(r, res.table()).compose(table -> {
      int p = services.entityPartition(table, res.partitionKey());
      checkKeys(res.partitionKey(), res.rowKey());
      return services.submit(r, MetadataCommand.newBuilder().setPartition(p).setDeleteEntity(DeleteEntity.newBuilder()
              .setAccount(table.getAccount()).setTableId(table.getTableId()).setPartitionKey(res.partitionKey())
              .setRowKey(res.rowKey()).setCondition(Condition.newBuilder().setIfMatch(ifMatch))))
          .map(result -> {
            switch (result.getStatus()) {
              case OK -> r.end(204);
              case NOT_FOUND -> throw AzureError.RESOURCE_NOT_FOUND.exception();
              case CONDITION_NOT_MET -> throw AzureError.UPDATE_CONDITION_NOT_SATISFIED.exception();
              default -> TableServices.requireOkStatus(result.getStatus());
            }
            return null;
          });
    });
  }

  private static void answerUpdate(AzureRequest r, CommandStatus status, String etag) {
    switch (status) {
      case OK -> r.response(204).putHeader("ETag", etag).putHeader("Content-Length", "0").end();
      case NOT_FOUND -> throw AzureError.RESOURCE_NOT_FOUND.exception();
      case CONDITION_NOT_MET -> throw AzureError.UPDATE_CONDITION_NOT_SATISFIED.exception();
      default -> TableServices.requireOkStatus(status);
    }
  }

  /** The outcome of a write: its status, and the entity and ETag stored when it took effect. */
  record Written(CommandStatus status, Entity entity, String etag) {}

  private Future<Written> write(AzureRequest r, TableRecord table, Entity entity, Condition c) {
    return withDek(r, table, dek -> seal(r, table, dek, entity, c));
  }

  private Future<Written> seal(AzureRequest r, TableRecord table, DataKey dek, Entity entity, Condition c) {
    Instant now = services.now();
    String etag = services.etag(now);
    Entity stored = Entity.stored(entity.partitionKey(), entity.rowKey(), EdmValue.EdmDateTime.of(now),
        entity.properties());
    return services.seal(dek, table, entity, now, etag).compose(record -> {
      int p = services.entityPartition(table, entity.partitionKey());
      return services.submit(r, MetadataCommand.newBuilder().setPartition(p)
          .setPutEntity(PutEntity.newBuilder().setEntity(record).setCondition(c)));
    }).map((CommandResult result) -> new Written(result.getStatus(), stored, etag));
  }

  private Future<EntityRecord> read(AzureRequest r, TableRecord table, TableResource res) {
    checkKeys(res.partitionKey(), res.rowKey());
    int p = services.entityPartition(table, res.partitionKey());
    return services.metadata().query(r.context(), p, MetadataQuery.newBuilder().setPartition(p)
            .setGetEntity(GetEntity.newBuilder().setAccount(table.getAccount()).setTableId(table.getTableId())
                .setPartitionKey(res.partitionKey()).setRowKey(res.rowKey())).build())
        .map(q -> q.getEntitiesCount() == 0 ? null : q.getEntities(0));
  }

  /** Runs {@code work} with the table's DEK, closing it afterwards, whatever the outcome. */
  private <T> Future<T> withDek(AzureRequest r, TableRecord table, java.util.function.Function<DataKey, Future<T>> work) {
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

  private static void checkKeys(String pk, String rk) {
    try {
      Entity.checkKey(Entity.PARTITION_KEY, pk);
      Entity.checkKey(Entity.ROW_KEY, rk);
    } catch (RuntimeException e) {
      throw TableServices.inputError(e);
    }
  }

  /** Parses and checks an entity body; the URL's keys (when given) are the entity's. */
  private static Entity parse(String body, String urlPk, String urlRk) {
    try {
      EntityJsonCodec.EntityPayload payload = EntityJsonCodec.parse(body);
      return urlPk == null ? payload.toEntity() : payload.toEntity(urlPk, urlRk);
    } catch (RuntimeException e) {
      throw TableServices.inputError(e);
    }
  }

  static boolean etagMatches(String header, String etag) {
    for (String candidate : header.split(",")) {
      String t = candidate.trim();
      if (t.equals("*") || t.equals(etag)) {
        return true;
      }
    }
    return false;
  }
}
