package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.TableServiceClientBuilder;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableServiceException;
import com.azure.data.tables.models.TableTransactionAction;
import com.azure.data.tables.models.TableTransactionActionResponse;
import com.azure.data.tables.models.TableTransactionActionType;
import com.azure.data.tables.models.TableTransactionFailedException;
import com.azure.data.tables.models.TableTransactionResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Entity-group transactions ($batch) with the official SDK (TableClient.submitTransaction) and raw
 * HTTP, against the real partition state machine (FakeMetadataClient) and a fake kms-agent.
 */
class TableBatchTest {
  private static GatewayFixture gateway;
  private static TableServiceClient service;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c.withTablePort(0));
    service = new TableServiceClientBuilder()
        .connectionString("DefaultEndpointsProtocol=http;AccountName=" + GatewayFixture.ACCOUNT + ";AccountKey="
            + GatewayFixture.KEY + ";TableEndpoint=http://127.0.0.1:" + gateway.server.tablePort() + "/"
            + GatewayFixture.ACCOUNT + ";")
        .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
        .buildClient();
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  private static TableClient newTable() {
    return service.createTable("b" + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
  }

  private static TableTransactionAction action(TableTransactionActionType type, TableEntity e) {
    return new TableTransactionAction(type, e);
  }

  private static List<String> rowKeys(TableClient t) {
    return t.listEntities().stream().map(e -> e.getRowKey() + "=" + e.getProperty("V")).toList();
  }

  @Test
  void appliesEveryKindOfOperationTogether() {
    TableClient t = newTable();
    t.createEntity(new TableEntity("p", "update").addProperty("V", "old").addProperty("Keep", 1));
    t.createEntity(new TableEntity("p", "merge").addProperty("V", "old").addProperty("Keep", 2));
    t.createEntity(new TableEntity("p", "delete").addProperty("V", "old"));
    TableEntity forIfMatch = t.getEntity("p", "update");

    TableTransactionResult result = t.submitTransaction(List.of(
        action(TableTransactionActionType.CREATE, new TableEntity("p", "create").addProperty("V", "new")),
        new TableTransactionAction(TableTransactionActionType.UPDATE_REPLACE,
            new TableEntity("p", "update").addProperty("V", "replaced").addProperty("odata.etag", forIfMatch.getETag()),
            true),
        action(TableTransactionActionType.UPDATE_MERGE, new TableEntity("p", "merge").addProperty("V", "merged")),
        action(TableTransactionActionType.DELETE, new TableEntity("p", "delete")),
        action(TableTransactionActionType.UPSERT_REPLACE, new TableEntity("p", "upsertR").addProperty("V", "r")),
        action(TableTransactionActionType.UPSERT_MERGE, new TableEntity("p", "upsertM").addProperty("V", "m"))));

    List<TableTransactionActionResponse> responses = result.getTransactionActionResponses();
    assertEquals(6, responses.size());
    assertEquals(204, responses.get(0).getStatusCode(), "the SDK asks inserts for no content");
    for (TableTransactionActionResponse r : responses) {
      assertTrue(r.getStatusCode() == 204, "status " + r.getStatusCode());
    }
    assertEquals(List.of("create=new", "merge=merged", "update=replaced", "upsertM=m", "upsertR=r"), rowKeys(t));
    assertNull(t.getEntity("p", "update").getProperty("Keep"), "replace drops the other properties");
    assertEquals(2, t.getEntity("p", "merge").getProperty("Keep"), "merge keeps them");
  }

  @Test
  void oneFailingOperationFailsTheWholeBatchAndIsNamed() {
    TableClient t = newTable();
    t.createEntity(new TableEntity("p", "exists").addProperty("V", "old"));
    t.createEntity(new TableEntity("p", "other").addProperty("V", "old"));
    t.createEntity(new TableEntity("p", "third").addProperty("V", "old"));

    TableTransactionFailedException e = assertThrows(TableTransactionFailedException.class, () -> t.submitTransaction(
        List.of(
            action(TableTransactionActionType.CREATE, new TableEntity("p", "a").addProperty("V", "new")),
            action(TableTransactionActionType.UPSERT_MERGE, new TableEntity("p", "other").addProperty("V", "new")),
            action(TableTransactionActionType.CREATE, new TableEntity("p", "exists").addProperty("V", "new")),
            action(TableTransactionActionType.DELETE, new TableEntity("p", "third")))));
    assertEquals(2, e.getFailedTransactionActionIndex());
    assertEquals("EntityAlreadyExists", e.getValue().getErrorCode().toString());
    assertTrue(e.getValue().getErrorMessage().startsWith("2:The specified entity already exists."),
        e.getValue().getErrorMessage());
    assertEquals(List.of("exists=old", "other=old", "third=old"), rowKeys(t), "nothing of the batch was applied");

    // A stale ETag: 412 at its index, nothing applied.
    TableEntity current = t.getEntity("p", "other");
    t.updateEntity(new TableEntity("p", "other").addProperty("V", "changed"));
    TableTransactionFailedException stale = assertThrows(TableTransactionFailedException.class,
        () -> t.submitTransaction(List.of(
            action(TableTransactionActionType.DELETE, new TableEntity("p", "exists")),
            new TableTransactionAction(TableTransactionActionType.DELETE, current, true))));
    assertEquals(1, stale.getFailedTransactionActionIndex());
    assertEquals("UpdateConditionNotSatisfied", stale.getValue().getErrorCode().toString());
    assertEquals(List.of("exists=old", "other=changed", "third=old"), rowKeys(t));

    // Updating a missing entity: 404 ResourceNotFound.
    TableTransactionFailedException missing = assertThrows(TableTransactionFailedException.class,
        () -> t.submitTransaction(List.of(
            action(TableTransactionActionType.UPDATE_MERGE, new TableEntity("p", "nope").addProperty("V", "x")))));
    assertEquals(0, missing.getFailedTransactionActionIndex());
    assertEquals("ResourceNotFound", missing.getValue().getErrorCode().toString());
  }

  @Test
  void enforcesAzuresLimitsOnAGroup() {
    TableClient t = newTable();
    TableTransactionFailedException partitions = assertThrows(TableTransactionFailedException.class,
        () -> t.submitTransaction(List.of(
            action(TableTransactionActionType.CREATE, new TableEntity("p", "a")),
            action(TableTransactionActionType.CREATE, new TableEntity("q", "b")))));
    assertEquals(1, partitions.getFailedTransactionActionIndex());
    assertEquals("CommandsInBatchActOnDifferentPartitions", partitions.getValue().getErrorCode().toString());

    TableTransactionFailedException twice = assertThrows(TableTransactionFailedException.class,
        () -> t.submitTransaction(List.of(
            action(TableTransactionActionType.CREATE, new TableEntity("p", "a")),
            action(TableTransactionActionType.UPSERT_MERGE, new TableEntity("p", "a")))));
    assertEquals(1, twice.getFailedTransactionActionIndex());
    assertEquals("InvalidDuplicateRow", twice.getValue().getErrorCode().toString());

    List<TableTransactionAction> tooMany = new ArrayList<>();
    for (int i = 0; i <= 100; i++) {
      tooMany.add(action(TableTransactionActionType.CREATE, new TableEntity("p", "r" + i).addProperty("V", i)));
    }
    TableTransactionFailedException over = assertThrows(TableTransactionFailedException.class,
        () -> t.submitTransaction(tooMany));
    assertEquals("InvalidInput", over.getValue().getErrorCode().toString());
    assertTrue(rowKeys(t).isEmpty(), "nothing applied");

    TableTransactionResult hundred = t.submitTransaction(tooMany.subList(0, 100));
    assertEquals(100, hundred.getTransactionActionResponses().size());
    assertEquals(100, rowKeys(t).size());

    TableServiceException noTable = assertThrows(TableServiceException.class,
        () -> service.getTableClient("nosuchtable1").submitTransaction(List.of(
            action(TableTransactionActionType.CREATE, new TableEntity("p", "a")))));
    assertEquals("TableNotFound", noTable.getValue().getErrorCode().toString());
  }

  @Test
  void aTransactionLargerThanALogEntryIsStagedInPartsAndStillAllOrNothing() {
    TableClient t = newTable();
    List<TableTransactionAction> large = new ArrayList<>();
    byte[] value = new byte[60_000];
    new java.util.Random(3).nextBytes(value);
    for (int i = 0; i < 45; i++) { // ~3.6 MB of JSON (under Azure's 4 MiB), ~2.7 MB sealed: two log entries
      large.add(action(TableTransactionActionType.CREATE, new TableEntity("p", "big" + i).addProperty("B", value)));
    }
    long partsBefore = stagedParts();
    TableTransactionResult done = t.submitTransaction(large);
    assertEquals(45, done.getTransactionActionResponses().size());
    assertTrue(stagedParts() > partsBefore, "the transaction went ahead in parts (ADR 0025)");
    assertEquals(45, rowKeys(t).size());
    assertTrue(java.util.Arrays.equals(value, (byte[]) t.getEntity("p", "big44").getProperty("B")));

    // All or nothing across the parts: the last operation is refused, so none of the 45 is applied.
    List<TableTransactionAction> again = new ArrayList<>();
    for (int i = 0; i < 44; i++) {
      again.add(action(TableTransactionActionType.CREATE, new TableEntity("p", "more" + i).addProperty("B", value)));
    }
    again.add(action(TableTransactionActionType.CREATE, new TableEntity("p", "big0").addProperty("B", value)));
    TableTransactionFailedException refused = assertThrows(TableTransactionFailedException.class,
        () -> t.submitTransaction(again));
    assertEquals("EntityAlreadyExists", refused.getValue().getErrorCode().toString());
    assertEquals(44, refused.getFailedTransactionActionIndex());
    assertEquals(45, rowKeys(t).size(), "nothing of the refused transaction applied");
  }

  private static long stagedParts() {
    return gateway.metadata.commands().stream()
        .filter(c -> c.getCommandCase() == io.cobalt.proto.node.v1.MetadataCommand.CommandCase.ENTITY_BATCH_PART)
        .count();
  }

  // ------------------------------------------------------------------ raw HTTP

  private static HttpResponse<String> postBatch(String contentType, String body) throws Exception {
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(OffsetDateTime.now(ZoneOffset.UTC));
    String rawPath = "/" + GatewayFixture.ACCOUNT + "/$batch";
    String toSign = "POST\n\n" + contentType + "\n" + date + "\n/" + GatewayFixture.ACCOUNT + rawPath;
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(GatewayFixture.KEY), "HmacSHA256"));
    String sig = Base64.getEncoder().encodeToString(mac.doFinal(toSign.getBytes(StandardCharsets.UTF_8)));
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.server.tablePort() + rawPath))
        .header("x-ms-date", date)
        .header("x-ms-version", "2019-02-02")
        .header("Content-Type", contentType)
        .header("Authorization", "SharedKey " + GatewayFixture.ACCOUNT + ":" + sig)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String batchBody(String table, String... requests) {
    StringBuilder changeset = new StringBuilder();
    for (String r : requests) {
      changeset.append("--changeset_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n")
          .append(r.replace("{table}", table)).append("\r\n");
    }
    changeset.append("--changeset_1--\r\n");
    return "--batch_1\r\nContent-Type: multipart/mixed; boundary=changeset_1\r\n\r\n" + changeset + "--batch_1--\r\n";
  }

  private static void assertError(HttpResponse<String> resp, int status, String code) {
    assertEquals(status, resp.statusCode(), resp.body());
    assertEquals(code, resp.headers().firstValue("x-ms-error-code").orElse(null), resp.body());
  }

  @Test
  void answersMalformedBatchesWithAzures4xx() throws Exception {
    TableClient t = newTable();
    String insert = "POST http://h/" + GatewayFixture.ACCOUNT + "/{table} HTTP/1.1\r\nContent-Type: application/json\r\n"
        + "Accept: application/json;odata=minimalmetadata\r\n\r\n{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"V\":1}";

    assertError(postBatch("application/json", "{}"), 400, "InvalidInput");
    assertError(postBatch("multipart/mixed", "x"), 400, "InvalidInput");
    assertError(postBatch("multipart/mixed; boundary=batch_1", "no delimiter here"), 400, "InvalidInput");
    assertError(postBatch("multipart/mixed; boundary=batch_1",
        "--batch_1\r\nContent-Type: multipart/mixed; boundary=changeset_1\r\n\r\n--changeset_1\r\n"), 400,
        "InvalidInput");
    assertError(postBatch("multipart/mixed; boundary=batch_1", batchBody(t.getTableName(), "GARBAGE")), 400,
        "InvalidInput");
    String huge = batchBody(t.getTableName(), insert.replace("\"V\":1", "\"V\":\"" + "x".repeat(4 * 1024 * 1024) + "\""));
    assertError(postBatch("multipart/mixed; boundary=batch_1", huge), 413, "RequestBodyTooLarge");

    // A bad entity inside: 202 with the operation's error, indexed.
    HttpResponse<String> badKey = postBatch("multipart/mixed; boundary=batch_1", batchBody(t.getTableName(), insert,
        insert.replace("\"RowKey\":\"r\"", "\"RowKey\":\"a/b\"")));
    assertEquals(202, badKey.statusCode(), badKey.body());
    assertTrue(badKey.body().startsWith("--batchresponse_"), badKey.body());
    assertTrue(badKey.body().contains("HTTP/1.1 400 Bad Request"), badKey.body());
    assertTrue(badKey.body().contains("\"value\":\"1:"), badKey.body());
    assertTrue(rowKeys(t).isEmpty());

    // The same insert alone, asking for content: 201 with the entity, as Insert Entity answers.
    HttpResponse<String> ok = postBatch("multipart/mixed; boundary=batch_1", batchBody(t.getTableName(), insert));
    assertEquals(202, ok.statusCode(), ok.body());
    assertTrue(ok.body().contains("HTTP/1.1 201 Created"), ok.body());
    assertTrue(ok.body().contains("\"RowKey\":\"r\""), ok.body());
    assertTrue(ok.body().contains("ETag: W/\"datetime'"), ok.body());
    assertEquals(List.of("r=1"), rowKeys(t));
  }

  private static String retrieveBody(String request) {
    return "--batch_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n" + request
        + "\r\n--batch_1--\r\n";
  }

  @Test
  void aBatchOfOneRetrieveAnswersTheEntityInAzuresRetrieveFormat() throws Exception {
    TableClient t = newTable();
    t.createEntity(new TableEntity("p", "r'1").addProperty("V", 7L).addProperty("S", "text"));
    String etag = t.getEntity("p", "r'1").getETag();
    String get = "GET http://h/" + GatewayFixture.ACCOUNT + "/" + t.getTableName()
        + "(PartitionKey='p',RowKey='r''1')?$select=V HTTP/1.1\r\nAccept: application/json;odata=minimalmetadata\r\n"
        + "DataServiceVersion: 3.0;\r\n";
    HttpResponse<String> ok = postBatch("multipart/mixed; boundary=batch_1", retrieveBody(get));
    assertEquals(202, ok.statusCode(), ok.body());
    String boundary = ok.headers().firstValue("Content-Type").orElse("").replaceAll(".*boundary=", "");
    assertTrue(boundary.startsWith("batchresponse_"), boundary);
    assertTrue(ok.body().startsWith("--" + boundary + "\r\nContent-Type: application/http\r\n"), ok.body());
    assertTrue(ok.body().endsWith("--" + boundary + "--\r\n"), ok.body());
    assertTrue(!ok.body().contains("changesetresponse"), ok.body());     // no changeset around a retrieve
    assertTrue(ok.body().contains("HTTP/1.1 200 OK\r\n"), ok.body());
    assertTrue(ok.body().contains("ETag: " + etag + "\r\n"), ok.body());
    assertTrue(ok.body().contains("\"V@odata.type\":\"Edm.Int64\",\"V\":\"7\""), ok.body());
    assertTrue(!ok.body().contains("\"S\""), ok.body());                  // $select applied

    HttpResponse<String> missing = postBatch("multipart/mixed; boundary=batch_1",
        retrieveBody(get.replace("r''1", "nope")));
    assertEquals(202, missing.statusCode(), missing.body());
    assertTrue(missing.body().contains("HTTP/1.1 404 Not Found"), missing.body());
    assertTrue(missing.body().contains("\"code\":\"ResourceNotFound\""), missing.body());
    assertTrue(!missing.body().contains("\"value\":\"0:"), missing.body());

    HttpResponse<String> noTable = postBatch("multipart/mixed; boundary=batch_1",
        retrieveBody(get.replace(t.getTableName(), "nosuchtable1")));
    assertEquals(202, noTable.statusCode(), noTable.body());
    assertTrue(noTable.body().contains("\"code\":\"TableNotFound\""), noTable.body());
  }

  @Test
  void aRetrieveMixedWithAChangesetOrAnotherRetrieveOrNotAGetIsInvalidInput() throws Exception {
    TableClient t = newTable();
    t.createEntity(new TableEntity("p", "r").addProperty("V", 1));
    String get = "GET http://h/" + GatewayFixture.ACCOUNT + "/" + t.getTableName()
        + "(PartitionKey='p',RowKey='r') HTTP/1.1\r\nAccept: application/json;odata=nometadata\r\n";
    String insert = "POST http://h/" + GatewayFixture.ACCOUNT + "/" + t.getTableName() + " HTTP/1.1\r\n"
        + "Content-Type: application/json\r\n\r\n{\"PartitionKey\":\"p\",\"RowKey\":\"s\"}";
    String changeset = batchBody(t.getTableName(), insert);
    String retrievePart = "--batch_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        + get + "\r\n";
    // A changeset and a retrieve in one batch.
    assertError(postBatch("multipart/mixed; boundary=batch_1", retrievePart + changeset), 400, "InvalidInput");
    // Two retrieves.
    assertError(postBatch("multipart/mixed; boundary=batch_1", retrievePart + retrievePart + "--batch_1--\r\n"),
        400, "InvalidInput");
    // A change operation outside a changeset.
    assertError(postBatch("multipart/mixed; boundary=batch_1", retrieveBody(insert)), 400, "InvalidInput");
    // A retrieve that is a query, not one entity: the batch's one part fails with InvalidInput.
    HttpResponse<String> query = postBatch("multipart/mixed; boundary=batch_1", retrieveBody(
        "GET http://h/" + GatewayFixture.ACCOUNT + "/" + t.getTableName() + "() HTTP/1.1\r\n"));
    assertEquals(202, query.statusCode(), query.body());
    assertTrue(query.body().contains("HTTP/1.1 400 Bad Request"), query.body());
    assertTrue(query.body().contains("\"code\":\"InvalidInput\""), query.body());
    // A GET inside a changeset fails the changeset at its index, and nothing of it is applied.
    HttpResponse<String> inChangeset = postBatch("multipart/mixed; boundary=batch_1",
        batchBody(t.getTableName(), insert, get));
    assertEquals(202, inChangeset.statusCode(), inChangeset.body());
    assertTrue(inChangeset.body().contains("HTTP/1.1 400 Bad Request"), inChangeset.body());
    assertTrue(inChangeset.body().contains("\"code\":\"InvalidInput\""), inChangeset.body());
    assertTrue(inChangeset.body().contains("\"value\":\"1:"), inChangeset.body());
    assertEquals(List.of("r=1"), rowKeys(t));
  }
}
