package io.cobalt.gateway.table;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.EntityCipher;
import io.cobalt.gateway.encryption.KeyClient;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.placement.MetadataRouter;
import io.cobalt.gateway.table.edm.EdmValue;
import io.cobalt.gateway.table.edm.Entity;
import io.cobalt.gateway.table.edm.TableInputException;
import io.cobalt.gateway.table.json.EntityJsonCodec;
import io.cobalt.gateway.table.json.ODataLinks;
import io.cobalt.gateway.table.json.ODataMetadata;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.GetTable;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.TableRecord;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * What the Table handlers work with: metadata routing, the kms-agent, the entity cipher on the
 * crypto pool, the clock and randomness; and the steps they share (find the table, read a body,
 * seal and open an entity, answer JSON).
 */
public final class TableServices {
  /** Azure's table names: 3..63 alphanumerics starting with a letter. */
  static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9]{2,62}");
  /** A request body (one entity, or a table name) is at most this long: 1 MiB entity, JSON overhead. */
  static final int MAX_BODY_BYTES = 4 * 1024 * 1024;
  /** The links of the plaintext that gets sealed: never sent anywhere, so fixed. */
  private static final ODataLinks SEALED_LINKS = new ODataLinks("cobalt:", "a", "t");

  private final MetadataRouter metadata;
  private final KeyClient keys;
  private final EntityCipher cipher;
  private final WorkerExecutor workers;
  private final Clock clock;
  private final SecureRandom random;

  public TableServices(
      MetadataRouter metadata, KeyClient keys, EntityCipher cipher, WorkerExecutor workers, Clock clock,
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

  SecureRandom random() {
    return random;
  }

  static boolean validTableName(String name) {
    return name != null && TABLE_NAME.matcher(name).matches() && !name.equalsIgnoreCase("tables");
  }

  /** The table's record (with its wrapped DEK), or null. */
  Future<TableRecord> table(AzureRequest r, String name) {
    if (!validTableName(name)) {
      return Future.succeededFuture(null);
    }
    int p = metadata.placement().tablePartition(r.path().account(), name);
    return metadata.query(r.context(), p, MetadataQuery.newBuilder().setPartition(p)
            .setGetTable(GetTable.newBuilder().setAccount(r.path().account()).setName(name)).build())
        .map(q -> q.getTablesCount() == 0 ? null : q.getTables(0));
  }

  /** The table, failing with 404 TableNotFound. */
  Future<TableRecord> requireTable(AzureRequest r, String name) {
    return table(r, name).map(t -> {
      if (t == null) {
        throw AzureError.TABLE_NOT_FOUND.exception();
      }
      return t;
    });
  }

  /** The table's DEK in plaintext (the caller closes it). */
  Future<DataKey> dek(AzureRequest r, TableRecord t) {
    return Future.fromCompletionStage(keys.unwrap(t.getAccount(), t.getDek(), r.requestId()), r.context());
  }

  int entityPartition(TableRecord t, String partitionKey) {
    return metadata.placement().entityPartition(t.getAccount(), t.getName(), partitionKey);
  }

  Future<CommandResult> submit(AzureRequest r, MetadataCommand.Builder command) {
    return metadata.submit(r.context(), command.setRequestId(r.requestId()).build());
  }

  <T> Future<T> onCryptoPool(Callable<T> work) {
    return workers.executeBlocking(work, false);
  }

  /** Now, at Azure's 100 ns precision: the Timestamp of a write. */
  Instant now() {
    return EdmValue.EdmDateTime.of(clock.instant()).value();
  }

  /**
   * The ETag of a write at {@code timestamp}: Azure's shape ({@code W/"datetime'…'"}) plus 8
   * random hex digits, so two writes in one 100 ns tick never share an ETag (If-Match would
   * otherwise not tell them apart). Clients treat ETags as opaque.
   */
  String etag(Instant timestamp) {
    String ts = EdmValue.EdmDateTime.of(timestamp).format().replace(":", "%3A");
    byte[] suffix = new byte[4];
    random.nextBytes(suffix);
    return "W/\"datetime'" + ts + "'." + HexFormat.of().formatHex(suffix) + "\"";
  }

  /** Seals {@code entity}'s properties for {@code table} (on the crypto pool): the record to store. */
  Future<EntityRecord> seal(DataKey dek, TableRecord table, Entity entity, Instant timestamp, String etag) {
    return onCryptoPool(() -> {
      byte[] plaintext = EntityJsonCodec.writeEntity(entity, "", ODataMetadata.MINIMAL_METADATA, SEALED_LINKS, null)
          .getBytes(StandardCharsets.UTF_8);
      byte[] sealed = cipher.seal(dek, identity(table, entity.partitionKey(), entity.rowKey()), plaintext);
      return EntityRecord.newBuilder()
          .setAccount(table.getAccount())
          .setTableId(table.getTableId())
          .setPartitionKey(entity.partitionKey())
          .setRowKey(entity.rowKey())
          .setTimestampEpochNanos(timestamp.getEpochSecond() * 1_000_000_000L + timestamp.getNano())
          .setEtag(etag)
          .setProperties(ByteString.copyFrom(sealed))
          .build();
    });
  }

  /** Opens a stored entity (synchronously: call on the crypto pool). */
  Entity open(DataKey dek, TableRecord table, EntityRecord record) {
    byte[] plaintext = cipher.open(dek, identity(table, record.getPartitionKey(), record.getRowKey()),
        record.getProperties().toByteArray());
    EntityJsonCodec.EntityPayload payload = EntityJsonCodec.parse(new String(plaintext, StandardCharsets.UTF_8));
    Instant ts = Instant.ofEpochSecond(0, record.getTimestampEpochNanos());
    return Entity.stored(record.getPartitionKey(), record.getRowKey(), EdmValue.EdmDateTime.of(ts),
        payload.properties());
  }

  private static EntityCipher.EntityIdentity identity(TableRecord t, String pk, String rk) {
    return new EntityCipher.EntityIdentity(t.getAccount(), t.getTableId().toByteArray(), pk, rk);
  }

  /** The request body as text, at most {@link #MAX_BODY_BYTES} (413 beyond). */
  static Future<String> readBody(AzureRequest r) {
    Promise<String> done = Promise.promise();
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
    req.endHandler(v -> done.tryComplete(body.toString(StandardCharsets.UTF_8)));
    req.exceptionHandler(done::tryFail);
    req.resume();
    return done.future();
  }

  static void requireOkStatus(io.cobalt.proto.node.v1.CommandStatus status) {
    if (status != io.cobalt.proto.node.v1.CommandStatus.OK) {
      throw new IllegalStateException("unexpected command status " + status);
    }
  }

  /** A TableInputException (bad entity, filter, $select, $top) as Azure's 400 with its code. */
  static RuntimeException inputError(Throwable t) {
    if (t instanceof TableInputException e) {
      return AzureError.ofTableInputCode(e.code()).exceptionWithMessage(e.getMessage());
    }
    return t instanceof RuntimeException re ? re : new RuntimeException(t);
  }

  /** The metadata level the client asked for ({@code $format} or Accept); minimal by default. */
  static ODataMetadata metadataLevel(AzureRequest r) {
    String format = r.queryParam("$format");
    if (format != null) {
      return ODataMetadata.fromMediaType(format).orElse(ODataMetadata.MINIMAL_METADATA);
    }
    return ODataMetadata.fromMediaType(r.header("Accept")).orElse(ODataMetadata.MINIMAL_METADATA);
  }

  /** The service URL as the client addressed it: scheme://host[:port]/account. */
  static String serviceUrl(AzureRequest r) {
    String host = r.header("Host");
    return (r.secure() ? "https" : "http") + "://" + (host == null ? "localhost" : host) + "/" + r.path().account();
  }

  static boolean returnNoContent(AzureRequest r) {
    return returnNoContent(r.header("Prefer"));
  }

  /** Whether a Prefer header asks for no content. */
  static boolean returnNoContent(String prefer) {
    return prefer != null && prefer.toLowerCase(Locale.ROOT).contains("return-no-content");
  }

  /** Ends with a JSON body in the given metadata level's content type. */
  static void endJson(AzureRequest r, int status, ODataMetadata level, String json) {
    Buffer body = Buffer.buffer(json);
    r.response(status)
        .putHeader("Content-Type", level.contentType())
        .putHeader("Content-Length", Integer.toString(body.length()))
        .end(body);
  }
}
