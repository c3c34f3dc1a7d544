package io.cobalt.gateway.table;

import com.google.protobuf.ByteString;
import io.cobalt.gateway.encryption.GeneratedKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.table.edm.EdmValue;
import io.cobalt.gateway.table.edm.Entity;
import io.cobalt.gateway.table.json.EntityJsonCodec;
import io.cobalt.gateway.table.json.ODataMetadata;
import io.cobalt.gateway.table.odata.QueryOptions;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.CreateTable;
import io.cobalt.proto.node.v1.DeleteTable;
import io.cobalt.proto.node.v1.ListTables;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PurgeTable;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.TableRecord;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Create Table, Delete Table and Query Tables. A new table gets a fresh DEK from the kms-agent,
 * stored wrapped in its record; every entity key of the table derives from it.
 */
final class TablesHandler {
  private static final Logger LOG = LoggerFactory.getLogger(TablesHandler.class);
  private static final int PAGE = QueryOptions.MAX_PAGE_SIZE;
  private static final String TABLE_NAME = "TableName";

  private final TableServices services;

  TablesHandler(TableServices services) {
    this.services = services;
  }

  Future<Void> create(AzureRequest r) {
    return TableServices.readBody(r).compose(body -> {
      String name;
      try {
        EntityJsonCodec.EntityPayload payload = EntityJsonCodec.parse(body);
        if (!(payload.properties().get(TABLE_NAME) instanceof EdmValue.EdmString s)) {
          throw AzureError.PROPERTIES_NEED_VALUE.exception();
        }
        name = s.value();
      } catch (RuntimeException e) {
        throw TableServices.inputError(e);
      }
      if (!TableServices.validTableName(name)) {
        throw AzureError.INVALID_RESOURCE_NAME.exception();
      }
      String account = r.path().account();
      return Future.fromCompletionStage(services.keys().generate(account, r.requestId()), r.context())
          .compose(key -> {
            byte[] id = new byte[16];
            services.random().nextBytes(id);
            TableRecord table = TableRecord.newBuilder()
                .setAccount(account)
                .setName(name)
                .setTableId(ByteString.copyFrom(id))
                .setCreatedEpochMillis(services.now().toEpochMilli())
                .setDek(key.wrapped())
                .build();
            closeQuietly(key);
            int p = services.metadata().placement().tablePartition(account, name);
            return services.submit(r, MetadataCommand.newBuilder().setPartition(p)
                .setCreateTable(CreateTable.newBuilder().setTable(table)));
          })
          .map(result -> {
            if (result.getStatus() == CommandStatus.ALREADY_EXISTS) {
              throw AzureError.TABLE_ALREADY_EXISTS.exception();
            }
            requireOk(result.getStatus());
            ODataMetadata level = TableServices.metadataLevel(r);
            if (TableServices.returnNoContent(r)) {
              r.response(204).putHeader("Preference-Applied", "return-no-content")
                  .putHeader("Content-Length", "0").end();
            } else {
              TableServices.endJson(r, 201, level, tableJson(r, level, name, true));
            }
            return null;
          });
    });
  }

  Future<Void> delete(AzureRequest r, String name) {
    if (!TableServices.validTableName(name)) {
      throw AzureError.RESOURCE_NOT_FOUND.exception();
    }
    int p = services.metadata().placement().tablePartition(r.path().account(), name);
    return services.submit(r, MetadataCommand.newBuilder().setPartition(p)
            .setDeleteTable(DeleteTable.newBuilder().setAccount(r.path().account()).setName(name)))
        .map(result -> {
          if (result.getStatus() == CommandStatus.NOT_FOUND) {
            throw AzureError.RESOURCE_NOT_FOUND.exception();
          }
          requireOk(result.getStatus());
          return result.getTable().getTableId();
        })
        .compose(tableId -> purgeEntities(r, tableId))
        .map(v -> {
          r.end(204);
          return null;
        });
  }

  /**
   * Removes a deleted table's entities from every partition (entities are placed by PartitionKey):
   * one {@code PurgeTable} per partition, all at once. The table is already gone, so a partition
   * that cannot be reached now does not fail the request: its entities stay unreachable (keyed by
   * the random table id) and are counted in the log.
   */
  private Future<Void> purgeEntities(AzureRequest r, ByteString tableId) {
    String account = r.path().account();
    List<Future<?>> all = new ArrayList<>();
    for (int p = 0; p < services.metadata().placement().partitions(); p++) {
      all.add(services.submit(r, MetadataCommand.newBuilder().setPartition(p)
          .setPurgeTable(PurgeTable.newBuilder().setAccount(account).setTableId(tableId))));
    }
    return Future.join(all).otherwise(e -> {
      long failed = all.stream().filter(Future::failed).count();
      LOG.warn("Delete Table: the entities of a deleted table stay in {} of {} partitions (unreachable): {}",
          failed, all.size(), e.toString());
      return null;
    }).mapEmpty();
  }

  /**
   * Query Tables (or Get Table, when {@code single} names one): every partition's tables in
   * lower-case name order, merged; {@code $filter} on TableName evaluated here; a page of at most
   * {@code $top} (1,000) candidates, {@code x-ms-continuation-NextTableName} when more follow.
   */
  Future<Void> query(AzureRequest r, String single) {
    QueryOptions options;
    try {
      options = QueryOptions.parse(r.queryParam("$filter"), r.queryParam("$select"), r.queryParam("$top"));
    } catch (RuntimeException e) {
      throw TableServices.inputError(e);
    }
    ODataMetadata level = TableServices.metadataLevel(r);
    if (single != null) {
      return services.table(r, single).map(t -> {
        if (t == null) {
          throw AzureError.RESOURCE_NOT_FOUND.exception();
        }
        TableServices.endJson(r, 200, level, tableJson(r, level, t.getName(), true));
        return null;
      });
    }
    int limit = options.top() == null ? PAGE : options.top();
    String marker = decodeMarker(r.queryParam("nexttablename"));
    String account = r.path().account();
    return services.metadata().fanOut(r.context(), p -> MetadataQuery.newBuilder().setPartition(p)
            .setListTables(ListTables.newBuilder().setAccount(account).setMarker(marker).setMaxResults(limit + 1))
            .build())
        .map(results -> {
          List<TableRecord> all = new ArrayList<>();
          for (QueryResult q : results) {
            all.addAll(q.getTablesList());
          }
          all.sort(Comparator.comparing(t -> t.getName().toLowerCase(Locale.ROOT), QueryEntitiesHandler.UTF8_ORDER));
          List<TableRecord> page = all.subList(0, Math.min(limit, all.size()));
          StringBuilder json = new StringBuilder("{");
          if (level != ODataMetadata.NO_METADATA) {
            json.append("\"odata.metadata\":").append(quote(TableServices.serviceUrl(r) + "/$metadata#Tables"))
                .append(',');
          }
          json.append("\"value\":[");
          boolean first = true;
          for (TableRecord t : page) {
            if (options.filter() != null && !options.filter().matches(
                Entity.of("", "", Map.of(TABLE_NAME, new EdmValue.EdmString(t.getName()))))) {
              continue;
            }
            json.append(first ? "" : ",").append(tableJson(r, level, t.getName(), false));
            first = false;
          }
          json.append("]}");
          if (all.size() > limit) {
            r.http().response().putHeader("x-ms-continuation-NextTableName",
                encodeMarker(page.get(page.size() - 1).getName().toLowerCase(Locale.ROOT)));
          }
          TableServices.endJson(r, 200, level, json.toString());
          return null;
        });
  }

  private static String tableJson(AzureRequest r, ODataMetadata level, String name, boolean element) {
    StringBuilder s = new StringBuilder("{");
    String service = TableServices.serviceUrl(r);
    if (element && level != ODataMetadata.NO_METADATA) {
      s.append("\"odata.metadata\":").append(quote(service + "/$metadata#Tables/@Element")).append(',');
    }
    if (level == ODataMetadata.FULL_METADATA) {
      s.append("\"odata.type\":").append(quote(r.path().account() + ".Tables")).append(',')
          .append("\"odata.id\":").append(quote(service + "/Tables('" + name + "')")).append(',')
          .append("\"odata.editLink\":").append(quote("Tables('" + name + "')")).append(',');
    }
    return s.append('"').append(TABLE_NAME).append("\":").append(quote(name)).append('}').toString();
  }

  /** Table names are alphanumeric, so quoting needs no escapes; service URLs come from the Host header. */
  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  /** Continuation markers are opaque to clients: "1!" then the lower-case name (alphanumeric). */
  private static String encodeMarker(String name) {
    return "1!" + name;
  }

  private static String decodeMarker(String marker) {
    if (marker == null || marker.isEmpty()) {
      return "";
    }
    if (!marker.startsWith("1!") || !TableServices.validTableName(marker.substring(2))) {
      throw AzureError.INVALID_INPUT.exception();
    }
    return marker.substring(2);
  }

  static void requireOk(CommandStatus status) {
    if (status != CommandStatus.OK) {
      throw new IllegalStateException("unexpected command status " + status);
    }
  }

  private static void closeQuietly(GeneratedKey key) {
    key.close();
  }
}
