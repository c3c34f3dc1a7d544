package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.http.rest.PagedResponse;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.TableServiceClientBuilder;
import com.azure.data.tables.models.ListEntitiesOptions;
import com.azure.data.tables.models.ListTablesOptions;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.data.tables.models.TableItem;
import com.azure.data.tables.models.TableServiceException;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
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
import java.util.Locale;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Table endpoint with the official SDK (azure-data-tables) and raw HTTP, against the real
 * partition state machine (FakeMetadataClient) and a fake kms-agent.
 */
class TableEndpointTest {
  private static GatewayFixture gateway;
  private static TableServiceClient service;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c.withTablePort(0));
    service = new TableServiceClientBuilder()
        .connectionString("DefaultEndpointsProtocol=http;AccountName=" + GatewayFixture.ACCOUNT + ";AccountKey="
            + GatewayFixture.KEY + ";TableEndpoint=" + endpoint() + ";")
        .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
        .buildClient();
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  private static String endpoint() {
    return "http://127.0.0.1:" + gateway.server.tablePort() + "/" + GatewayFixture.ACCOUNT;
  }

  private static String uniqueTable() {
    return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  @Test
  void createsListsAndDeletesTablesWithTheSdk() {
    String a = uniqueTable();
    String b = uniqueTable().toUpperCase(Locale.ROOT).replace('T', 'Q');
    service.createTable(a);
    service.createTable(b);
    List<String> names = service.listTables().stream().map(TableItem::getName).toList();
    assertTrue(names.contains(a) && names.contains(b), names.toString());
    assertEquals(List.of(a), service.listTables(new ListTablesOptions().setFilter("TableName eq '" + a + "'"),
        null, null).stream().map(TableItem::getName).toList());
    TableServiceException dup = assertThrows(TableServiceException.class,
        () -> service.createTable(a.toUpperCase(Locale.ROOT)));
    assertEquals(409, dup.getResponse().getStatusCode());
    assertEquals("TableAlreadyExists", dup.getValue().getErrorCode().toString());
    service.deleteTable(a);
    assertFalse(service.listTables().stream().map(TableItem::getName).toList().contains(a));
    service.deleteTable(b);
  }

  @Test
  void deletingATableRemovesItsEntitiesFromEveryPartition() {
    String name = uniqueTable();
    TableClient table = service.createTable(name);
    String keep = uniqueTable();
    TableClient other = service.createTable(keep);
    for (int i = 0; i < 40; i++) { // 40 PartitionKeys: spread over the partitions
      table.createEntity(new TableEntity("pk-" + i, "rk").addProperty("N", i));
      other.createEntity(new TableEntity("pk-" + i, "rk").addProperty("N", i));
    }
    java.util.Set<com.google.protobuf.ByteString> before = new java.util.HashSet<>();
    gateway.metadata.allEntities().forEach(e -> before.add(e.getTableId()));

    service.deleteTable(name);

    java.util.Map<com.google.protobuf.ByteString, Long> after = new java.util.HashMap<>();
    gateway.metadata.allEntities().forEach(e -> after.merge(e.getTableId(), 1L, Long::sum));
    assertEquals(before.size() - 1, after.size(), "exactly one table's entities are gone, from every partition");
    assertTrue(after.containsValue(40L), "the other table keeps its 40 entities");
    // A new table of the same name starts empty.
    TableClient again = service.createTable(name);
    assertEquals(0, again.listEntities().stream().count());
    assertEquals(40, other.listEntities().stream().count());
    service.deleteTable(name);
    service.deleteTable(keep);
  }

  @Test
  void listsTablesAcrossPagesWithContinuation() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      created.add(uniqueTable());
      service.createTable(created.get(i));
    }
    List<String> seen = new ArrayList<>();
    int pages = 0;
    for (PagedResponse<TableItem> page : service.listTables(new ListTablesOptions().setTop(2), null, null)
        .iterableByPage()) {
      pages++;
      page.getValue().forEach(t -> seen.add(t.getName()));
    }
    assertTrue(pages >= 3, "pages: " + pages);
    assertTrue(seen.containsAll(created), seen.toString());
    assertEquals(seen.size(), seen.stream().distinct().count(), "no table twice: " + seen);
  }

  @Test
  void entityLifecycleWithTheSdk() {
    String name = uniqueTable();
    TableClient table = service.createTable(name);
    OffsetDateTime when = OffsetDateTime.of(2024, 2, 29, 12, 30, 15, 123_456_700, ZoneOffset.UTC);
    UUID guid = UUID.randomUUID();
    TableEntity e = new TableEntity("pk", "rk")
        .addProperty("Name", "Ada")
        .addProperty("Age", 36)
        .addProperty("Big", 1L << 40)
        .addProperty("Ratio", 2.5)
        .addProperty("Ok", true)
        .addProperty("When", when)
        .addProperty("Id", guid)
        .addProperty("Bytes", new byte[] {0, 1, 2, (byte) 255});
    table.createEntity(e);
    TableEntity got = table.getEntity("pk", "rk");
    assertEquals("Ada", got.getProperty("Name"));
    assertEquals(36, got.getProperty("Age"));
    assertEquals(1L << 40, got.getProperty("Big"));
    assertEquals(2.5, got.getProperty("Ratio"));
    assertEquals(true, got.getProperty("Ok"));
    assertEquals(when, got.getProperty("When"));
    assertEquals(guid, got.getProperty("Id"));
    assertArrayEquals(new byte[] {0, 1, 2, (byte) 255}, (byte[]) got.getProperty("Bytes"));
    assertTrue(got.getTimestamp() != null && got.getETag() != null);

    TableServiceException dup = assertThrows(TableServiceException.class, () -> table.createEntity(e));
    assertEquals(409, dup.getResponse().getStatusCode());
    assertEquals("EntityAlreadyExists", dup.getValue().getErrorCode().toString());

    // Merge keeps the other properties; replace drops them.
    table.updateEntity(new TableEntity("pk", "rk").addProperty("Age", 37), TableEntityUpdateMode.MERGE);
    TableEntity merged = table.getEntity("pk", "rk");
    assertEquals(37, merged.getProperty("Age"));
    assertEquals("Ada", merged.getProperty("Name"));
    assertNotEquals(got.getETag(), merged.getETag());
    table.updateEntity(new TableEntity("pk", "rk").addProperty("Only", "this"), TableEntityUpdateMode.REPLACE);
    TableEntity replaced = table.getEntity("pk", "rk");
    assertEquals("this", replaced.getProperty("Only"));
    assertNull(replaced.getProperty("Name"));

    // With the ETag of an older version: 412.
    TableServiceException stale = assertThrows(TableServiceException.class, () -> table.updateEntityWithResponse(
        new TableEntity("pk", "rk").addProperty("X", 1).addProperty("odata.etag", merged.getETag()),
        TableEntityUpdateMode.REPLACE, true, null, null));
    assertEquals(412, stale.getResponse().getStatusCode());
    assertEquals("UpdateConditionNotSatisfied", stale.getValue().getErrorCode().toString());

    // Upsert: inserts, then merges or replaces.
    table.upsertEntity(new TableEntity("pk", "new").addProperty("A", "1"));
    table.upsertEntityWithResponse(new TableEntity("pk", "new").addProperty("B", "2"), TableEntityUpdateMode.MERGE,
        null, null);
    TableEntity upserted = table.getEntity("pk", "new");
    assertEquals("1", upserted.getProperty("A"));
    assertEquals("2", upserted.getProperty("B"));
    table.upsertEntityWithResponse(new TableEntity("pk", "new").addProperty("C", "3"), TableEntityUpdateMode.REPLACE,
        null, null);
    assertNull(table.getEntity("pk", "new").getProperty("A"));

    table.deleteEntity("pk", "new");
    TableServiceException gone = assertThrows(TableServiceException.class, () -> table.getEntity("pk", "new"));
    assertEquals(404, gone.getResponse().getStatusCode());
    assertEquals("ResourceNotFound", gone.getValue().getErrorCode().toString());
    service.deleteTable(name);
  }

  @Test
  void queriesEntitiesWithAFilterSelectAndPagesAcrossAContinuation() {
    String name = uniqueTable();
    TableClient table = service.createTable(name);
    for (int p = 0; p < 4; p++) {
      for (int r = 0; r < 5; r++) {
        table.createEntity(new TableEntity("p" + p, "r" + r).addProperty("N", p * 10 + r).addProperty("S", "x" + r));
      }
    }
    List<TableEntity> one = table.listEntities(new ListEntitiesOptions().setFilter("PartitionKey eq 'p2' and N ge 22"),
        null, null).stream().toList();
    assertEquals(List.of("r2", "r3", "r4"), one.stream().map(TableEntity::getRowKey).toList());

    List<TableEntity> all = table.listEntities(new ListEntitiesOptions().setFilter("N lt 100"), null, null)
        .stream().toList();
    assertEquals(20, all.size());
    List<String> keys = all.stream().map(x -> x.getPartitionKey() + "/" + x.getRowKey()).toList();
    List<String> sorted = new ArrayList<>(keys);
    sorted.sort(null);
    assertEquals(sorted, keys, "fan-out results come back in key order");

    List<TableEntity> selected = table.listEntities(new ListEntitiesOptions().setFilter("PartitionKey eq 'p1'")
        .setSelect(List.of("S")), null, null).stream().toList();
    assertEquals(5, selected.size());
    assertEquals("x0", selected.get(0).getProperty("S"));
    assertNull(selected.get(0).getProperty("N"), "not selected");

    int pages = 0;
    List<String> paged = new ArrayList<>();
    for (PagedResponse<TableEntity> page : table.listEntities(new ListEntitiesOptions().setTop(3), null, null)
        .iterableByPage()) {
      pages++;
      assertTrue(page.getValue().size() <= 3);
      page.getValue().forEach(x -> paged.add(x.getPartitionKey() + "/" + x.getRowKey()));
    }
    assertEquals(7, pages, "20 entities, 3 a page");
    assertEquals(sorted, paged);
    service.deleteTable(name);
  }

  @Test
  void noPropertyValueReachesTheNodesInPlaintext() {
    String name = uniqueTable();
    TableClient table = service.createTable(name);
    String marker = "PLAINTEXT-MARKER-" + UUID.randomUUID();
    table.createEntity(new TableEntity("visible-pk", "visible-rk").addProperty("Secret", marker)
        .addProperty("SecretName" + "Z", 42));
    table.updateEntity(new TableEntity("visible-pk", "visible-rk").addProperty("Other", marker),
        TableEntityUpdateMode.MERGE);
    byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
    byte[] nameNeedle = "SecretNameZ".getBytes(StandardCharsets.UTF_8);
    int seen = 0;
    for (MetadataCommand c : gateway.metadata.commands()) {
      byte[] wire = c.toByteArray();
      assertFalse(contains(wire, needle), "a property value reached a node in a command: " + c.getCommandCase());
      assertFalse(contains(wire, nameNeedle), "a property name reached a node in a command");
    }
    for (EntityRecord r : gateway.metadata.allEntities()) {
      if (r.getPartitionKey().equals("visible-pk")) {
        seen++;
        assertFalse(contains(r.toByteArray(), needle));
        assertTrue(r.getProperties().size() > needle.length, "the properties are stored, sealed");
      }
    }
    assertEquals(1, seen);
    assertEquals(marker, table.getEntity("visible-pk", "visible-rk").getProperty("Other"));
    service.deleteTable(name);
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ raw HTTP errors

  private static HttpResponse<String> raw(String method, String path, String body, String... headers)
      throws Exception {
    return raw(false, method, path, body, headers);
  }

  /** A request signed with Shared Key (Table form) or, with {@code lite}, Shared Key Lite (Table form). */
  private static HttpResponse<String> raw(boolean lite, String method, String path, String body, String... headers)
      throws Exception {
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(OffsetDateTime.now(ZoneOffset.UTC));
    String contentType = body == null ? "" : "application/json";
    String rawPath = "/" + GatewayFixture.ACCOUNT + path.replaceAll("\\?.*", "");
    String toSign = lite
        ? date + "\n/" + GatewayFixture.ACCOUNT + rawPath
        : method + "\n\n" + contentType + "\n" + date + "\n/" + GatewayFixture.ACCOUNT + rawPath;
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(GatewayFixture.KEY), "HmacSHA256"));
    String sig = Base64.getEncoder().encodeToString(mac.doFinal(toSign.getBytes(StandardCharsets.UTF_8)));
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.server.tablePort()
            + "/" + GatewayFixture.ACCOUNT + path))
        .header("x-ms-date", date)
        .header("x-ms-version", "2019-02-02")
        .header("Accept", "application/json;odata=minimalmetadata")
        .header("Authorization", (lite ? "SharedKeyLite " : "SharedKey ") + GatewayFixture.ACCOUNT + ":" + sig)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(HttpResponse<String> resp, int status, String code) {
    assertEquals(status, resp.statusCode(), resp.body());
    assertEquals(code, resp.headers().firstValue("x-ms-error-code").orElse(null));
    assertTrue(resp.body().startsWith("{\"odata.error\":{\"code\":\"" + code + "\",\"message\":{\"lang\":\"en-US\""),
        resp.body());
  }

  @Test
  void answersAzureTableErrorsOverRawHttp() throws Exception {
    String name = uniqueTable();
    assertEquals(201, raw("POST", "/Tables", "{\"TableName\":\"" + name + "\"}").statusCode());
    assertError(raw("POST", "/Tables", "{\"TableName\":\"" + name + "\"}"), 409, "TableAlreadyExists");
    assertError(raw("GET", "/nosuchtable(PartitionKey='a',RowKey='b')", null), 404, "TableNotFound");
    assertError(raw("POST", "/nosuchtable", "{\"PartitionKey\":\"a\",\"RowKey\":\"b\"}"), 404, "TableNotFound");
    assertError(raw("GET", "/" + name + "(PartitionKey='a',RowKey='b')", null), 404, "ResourceNotFound");
    assertEquals(201, raw("POST", "/" + name, "{\"PartitionKey\":\"a\",\"RowKey\":\"b\",\"V\":1}").statusCode());
    assertError(raw("POST", "/" + name, "{\"PartitionKey\":\"a\",\"RowKey\":\"b\",\"V\":1}"), 409,
        "EntityAlreadyExists");
    assertError(raw("PUT", "/" + name + "(PartitionKey='a',RowKey='b')", "{\"V\":2}", "If-Match", "W/\"nope\""),
        412, "UpdateConditionNotSatisfied");
    assertError(raw("DELETE", "/" + name + "(PartitionKey='a',RowKey='b')", null, "If-Match", "W/\"nope\""),
        412, "UpdateConditionNotSatisfied");
    assertError(raw("GET", "/" + name + "()?$filter=V%20eq%20", null), 400, "InvalidInput");
    assertError(raw("GET", "/" + name + "()?$filter=V%20eqq%201", null), 400, "InvalidInput");
    assertError(raw("POST", "/" + name, "{\"PartitionKey\":\"a\",\"RowKey\":\"c\",\"V\":"), 400, "InvalidInput");
    assertError(raw("POST", "/" + name, "{\"PartitionKey\":\"a\",\"RowKey\":\"c\",\"bad-name\":1}"), 400,
        "PropertyNameInvalid");
    assertError(raw("DELETE", "/" + name + "(PartitionKey='a',RowKey='b')", null), 400, "MissingRequiredHeader");
    assertError(raw("DELETE", "/Tables('" + uniqueTable() + "')", null), 404, "ResourceNotFound");
    assertError(raw("POST", "/Tables", "{\"TableName\":\"a-b\"}"), 400, "InvalidResourceName");
    assertError(raw("POST", "/Tables", "{\"TableName\":\"Tables\"}"), 400, "InvalidResourceName");
    assertError(raw("POST", "/Tables", "{\"Name\":\"x\"}"), 400, "PropertiesNeedValue");
    assertError(raw("GET", "/nosuchtable()", null), 404, "TableNotFound");
    assertError(raw("GET", "/" + name + "(PartitionKey='a%23',RowKey='b')", null), 400, "OutOfRangeInput");
    assertError(raw("GET", "/" + name + "()?NextPartitionKey=bogus", null), 400, "InvalidInput");
    assertError(raw("GET", "/" + name + "()?$top=0", null), 400, "InvalidInput");
    StringBuilder many = new StringBuilder("{\"PartitionKey\":\"a\",\"RowKey\":\"many\"");
    for (int i = 0; i < 253; i++) {
      many.append(",\"P").append(i).append("\":1");
    }
    assertError(raw("POST", "/" + name, many.append('}').toString()), 400, "TooManyProperties");
    assertError(raw("PATCH", "/" + name + "(PartitionKey='none',RowKey='x')", "{\"V\":1}", "If-Match", "*"), 404,
        "ResourceNotFound");
    assertError(raw("GET", "/" + name + "(PartitionKey='a')", null), 400, "InvalidUri");
    HttpResponse<String> bad = HTTP.send(HttpRequest.newBuilder(URI.create(endpoint() + "/Tables"))
        .header("x-ms-date", DateTimeFormatter.RFC_1123_DATE_TIME.format(OffsetDateTime.now(ZoneOffset.UTC)))
        .header("Authorization", "SharedKey " + GatewayFixture.ACCOUNT + ":AAAA").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertError(bad, 403, "AuthenticationFailed");
    HttpResponse<String> ok = raw("GET", "/" + name + "(PartitionKey='a',RowKey='b')", null);
    assertEquals(200, ok.statusCode());
    assertTrue(ok.body().contains("\"V\":1"), ok.body());
    assertEquals(204, raw("DELETE", "/Tables('" + name + "')", null).statusCode());
  }

  @Test
  void acceptsSharedKeyLiteInItsTableForm() throws Exception {
    String name = uniqueTable();
    assertEquals(201, raw(true, "POST", "/Tables", "{\"TableName\":\"" + name + "\"}").statusCode());
    HttpResponse<String> got = raw(true, "GET", "/Tables('" + name + "')", null);
    assertEquals(200, got.statusCode(), got.body());
    assertTrue(got.body().contains("\"TableName\":\"" + name + "\""), got.body());
    assertEquals(204, raw(true, "DELETE", "/Tables('" + name + "')", null).statusCode());
  }

  @Test
  void ofTwoUpdatesWithTheSameETagOnlyOneTakesEffect() throws Exception {
    String name = uniqueTable();
    TableClient table = service.createTable(name);
    table.createEntity(new TableEntity("p", "r").addProperty("V", 0));
    String etag = table.getEntity("p", "r").getETag();
    List<java.util.concurrent.CompletableFuture<Integer>> updates = new ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      String body = "{\"V\":" + i + "}";
      updates.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return raw("PUT", "/" + name + "(PartitionKey='p',RowKey='r')", body, "If-Match", etag).statusCode();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    List<Integer> statuses = updates.stream().map(java.util.concurrent.CompletableFuture::join).toList();
    assertEquals(1, statuses.stream().filter(s -> s == 204).count(), statuses.toString());
    assertEquals(7, statuses.stream().filter(s -> s == 412).count(), statuses.toString());
    assertNotEquals(0, table.getEntity("p", "r").getProperty("V"));
    service.deleteTable(name);
  }
}
