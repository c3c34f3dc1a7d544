package io.cobalt.gateway.table;

import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.table.edm.Entity;
import io.cobalt.gateway.table.json.EntityJsonCodec;
import io.cobalt.gateway.table.json.ODataLinks;
import io.cobalt.gateway.table.json.ODataMetadata;
import io.cobalt.gateway.table.odata.KeyRange;
import io.cobalt.gateway.table.odata.QueryOptions;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.ScanEntities;
import io.cobalt.proto.node.v1.TableRecord;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Query Entities. The filter's PartitionKey range picks the partitions: one when it pins a single
 * PartitionKey, else all of them (fan-out). Each partition scans its entities of the table in
 * (PartitionKey, RowKey) order from the continuation (or the range's lower bound) and returns up
 * to page + 1; the gateway merges them, opens the first page's worth on the crypto pool, evaluates
 * the filter on the plaintext and answers those that match, with
 * {@code x-ms-continuation-NextPartitionKey}/{@code NextRowKey} naming the first entity not
 * examined. A page may hold fewer than {@code $top} matches and still continue (Azure does too).
 * Keys order as UTF-8 bytes (= code points), the nodes' order.
 */
final class QueryEntitiesHandler {
  /** UTF-8 byte order, i.e. code point order (String.compareTo is UTF-16 order). */
  static final Comparator<String> UTF8_ORDER = (a, b) -> {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  };
  private static final Comparator<EntityRecord> KEY_ORDER = Comparator
      .comparing(EntityRecord::getPartitionKey, UTF8_ORDER).thenComparing(EntityRecord::getRowKey, UTF8_ORDER);
  private static final String MARKER_PREFIX = "1!";

  private final TableServices services;

  QueryEntitiesHandler(TableServices services) {
    this.services = services;
  }

  Future<Void> query(AzureRequest r, String tableName) {
    QueryOptions options;
    String fromPk;
    String fromRk;
    try {
      String filter = r.sas() == null ? r.queryParam("$filter") : r.sas().restrictFilter(r.queryParam("$filter"));
      options = QueryOptions.parse(filter, r.queryParam("$select"), r.queryParam("$top"));
      fromPk = decodeMarker(r.queryParam("nextpartitionkey"));
      fromRk = decodeMarker(r.queryParam("nextrowkey"));
    } catch (RuntimeException e) {
      throw TableServices.inputError(e);
    }
    int limit = options.top() == null ? QueryOptions.MAX_PAGE_SIZE : options.top();
    Optional<KeyRange> pkRange = options.filter() == null ? Optional.empty() : options.filter().partitionKeyRange();
    return services.requireTable(r, tableName).compose(table -> {
      if (pkRange.isPresent() && pkRange.get().isEmpty()) {
        return answer(r, table, options, List.of(), null);
      }
      String start = fromPk;
      String startRk = fromRk;
      if (start == null) {
        start = pkRange.map(KeyRange::lower).orElse("");
        startRk = "";
      }
      String upper = pkRange.map(KeyRange::upper).orElse(null);
      ScanEntities.Builder scan = ScanEntities.newBuilder().setAccount(table.getAccount())
          .setTableId(table.getTableId()).setFromPartitionKey(start).setFromRowKey(startRk == null ? "" : startRk)
          .setMaxResults(limit + 1);
      if (upper != null) {
        scan.setHasToPartitionKey(true).setToPartitionKey(upper);
      }
      Future<List<QueryResult>> results;
      Optional<String> exact = pkRange.flatMap(KeyRange::exact);
      if (exact.isPresent()) {
        int p = services.entityPartition(table, exact.get());
        results = services.metadata().query(r.context(), p,
            MetadataQuery.newBuilder().setPartition(p).setScanEntities(scan).build()).map(List::of);
      } else {
        results = services.metadata().fanOut(r.context(),
            p -> MetadataQuery.newBuilder().setPartition(p).setScanEntities(scan).build());
      }
      return results.compose(all -> {
        List<EntityRecord> candidates = new ArrayList<>();
        for (QueryResult q : all) {
          candidates.addAll(q.getEntitiesList());
        }
        candidates.sort(KEY_ORDER);
        EntityRecord next = candidates.size() > limit ? candidates.get(limit) : null;
        List<EntityRecord> page = candidates.subList(0, Math.min(limit, candidates.size()));
        if (page.isEmpty()) {
          return answer(r, table, options, List.of(), next);
        }
        return services.dek(r, table).compose(dek -> services.onCryptoPool(() -> open(dek, table, page, options))
            .andThen(x -> dek.close()))
            .compose(matches -> answer(r, table, options, matches, next));
      });
    });
  }

  private List<Opened> open(DataKey dek, TableRecord table, List<EntityRecord> page, QueryOptions options) {
    List<Opened> out = new ArrayList<>();
    for (EntityRecord record : page) {
      Entity e = services.open(dek, table, record);
      if (options.filter() == null || options.filter().matches(e)) {
        out.add(new Opened(e, record.getEtag()));
      }
    }
    return out;
  }

  private record Opened(Entity entity, String etag) {}

  private Future<Void> answer(
      AzureRequest r, TableRecord table, QueryOptions options, List<Opened> matches, EntityRecord next) {
    ODataMetadata level = TableServices.metadataLevel(r);
    Map<Entity, String> etags = new IdentityHashMap<>();
    List<Entity> entities = new ArrayList<>();
    for (Opened o : matches) {
      entities.add(o.entity());
      etags.put(o.entity(), o.etag());
    }
    if (next != null) {
      r.http().response()
          .putHeader("x-ms-continuation-NextPartitionKey", encodeMarker(next.getPartitionKey()))
          .putHeader("x-ms-continuation-NextRowKey", encodeMarker(next.getRowKey()));
    }
    String json = EntityJsonCodec.writeQueryPage(entities, etags::get, level,
        new ODataLinks(TableServices.serviceUrl(r), r.path().account(), table.getName()),
        options.select());
    TableServices.endJson(r, 200, level, json);
    return Future.succeededFuture();
  }

  /** Continuation values are opaque to clients: "1!" then the key, base64url (keys need not be ASCII). */
  static String encodeMarker(String key) {
    return MARKER_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
  }

  /** null when absent; InvalidInput when not a marker this gateway wrote. */
  static String decodeMarker(String marker) {
    if (marker == null) {
      return null;
    }
    if (!marker.startsWith(MARKER_PREFIX)) {
      throw AzureError.INVALID_INPUT.exception();
    }
    try {
      String key = new String(Base64.getUrlDecoder().decode(marker.substring(MARKER_PREFIX.length())),
          StandardCharsets.UTF_8);
      if (key.length() > Entity.MAX_KEY_CHARS || key.indexOf('\0') >= 0) {
        throw AzureError.INVALID_INPUT.exception();
      }
      return key;
    } catch (IllegalArgumentException e) {
      throw AzureError.INVALID_INPUT.exception();
    }
  }
}
