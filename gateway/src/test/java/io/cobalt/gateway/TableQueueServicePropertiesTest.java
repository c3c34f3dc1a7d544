package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.TableServiceClientBuilder;
import com.azure.data.tables.models.TableServiceCorsRule;
import com.azure.data.tables.models.TableServiceLogging;
import com.azure.data.tables.models.TableServiceMetrics;
import com.azure.data.tables.models.TableServiceProperties;
import com.azure.data.tables.models.TableServiceRetentionPolicy;
import com.azure.data.tables.sas.TableAccountSasPermission;
import com.azure.data.tables.sas.TableAccountSasResourceType;
import com.azure.data.tables.sas.TableAccountSasService;
import com.azure.data.tables.sas.TableAccountSasSignatureValues;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.queue.QueueServiceClient;
import com.azure.storage.queue.QueueServiceClientBuilder;
import com.azure.storage.queue.models.QueueAnalyticsLogging;
import com.azure.storage.queue.models.QueueCorsRule;
import com.azure.storage.queue.models.QueueMetrics;
import com.azure.storage.queue.models.QueueRetentionPolicy;
import com.azure.storage.queue.models.QueueServiceProperties;
import com.azure.storage.queue.models.QueueStorageException;
import com.azure.storage.common.sas.AccountSasPermission;
import com.azure.storage.common.sas.AccountSasResourceType;
import com.azure.storage.common.sas.AccountSasService;
import com.azure.storage.common.sas.AccountSasSignatureValues;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Get / Set Table and Queue Service Properties with the official SDKs (azure-data-tables,
 * azure-storage-queue), each service's properties kept apart from the others' (and the Blob
 * service's), CORS preflights and CORS headers on the Table and Queue endpoints, and bad input.
 */
class TableQueueServicePropertiesTest {
  static GatewayFixture gateway;
  static TableServiceClient tables;
  static QueueServiceClient queues;
  static BlobServiceClient blobs;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c.withTablePort(0).withQueuePort(0));
    tables = new TableServiceClientBuilder()
        .connectionString("DefaultEndpointsProtocol=http;AccountName=" + GatewayFixture.ACCOUNT + ";AccountKey="
            + GatewayFixture.KEY + ";TableEndpoint=" + tableEndpoint() + ";")
        .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
        .buildClient();
    queues = new QueueServiceClientBuilder()
        .connectionString("DefaultEndpointsProtocol=http;AccountName=" + GatewayFixture.ACCOUNT + ";AccountKey="
            + GatewayFixture.KEY + ";QueueEndpoint=" + queueEndpoint() + ";")
        .retryOptions(GatewayFixture.NO_RETRY)
        .buildClient();
    blobs = gateway.keyClient();
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  static String tableEndpoint() {
    return "http://127.0.0.1:" + gateway.server.tablePort() + "/" + GatewayFixture.ACCOUNT;
  }

  static String queueEndpoint() {
    return "http://127.0.0.1:" + gateway.server.queuePort() + "/" + GatewayFixture.ACCOUNT;
  }

  private static TableServiceCorsRule tableRule(String origins, String methods, String allowed, String exposed,
      int maxAge) {
    return new TableServiceCorsRule().setAllowedOrigins(origins).setAllowedMethods(methods)
        .setAllowedHeaders(allowed).setExposedHeaders(exposed).setMaxAgeInSeconds(maxAge);
  }

  private static QueueCorsRule queueRule(String origins, String methods, String allowed, String exposed, int maxAge) {
    return new QueueCorsRule().setAllowedOrigins(origins).setAllowedMethods(methods).setAllowedHeaders(allowed)
        .setExposedHeaders(exposed).setMaxAgeInSeconds(maxAge);
  }

  private static HttpResponse<String> send(String base, String method, String path, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String tableAccountSas(String permissions, boolean service) {
    return tables.generateAccountSas(new TableAccountSasSignatureValues(OffsetDateTime.now().plusHours(1),
        TableAccountSasPermission.parse(permissions), new TableAccountSasService().setTableAccess(true),
        new TableAccountSasResourceType().setService(service).setContainer(true).setObject(true)));
  }

  private static String queueAccountSas(String permissions) {
    return queues.generateAccountSas(new AccountSasSignatureValues(OffsetDateTime.now().plusHours(1),
        AccountSasPermission.parse(permissions), AccountSasService.parse("q"), AccountSasResourceType.parse("sco")));
  }

  @Test
  void tableSdkRoundTripsLoggingMetricsAndCorsApartFromTheOtherServices() {
    tables.setProperties(new TableServiceProperties()
        .setLogging(new TableServiceLogging().setAnalyticsVersion("1.0").setReadLogged(true).setWriteLogged(true)
            .setDeleteLogged(false).setRetentionPolicy(new TableServiceRetentionPolicy().setEnabled(true)
                .setDaysToRetain(5)))
        .setHourMetrics(new TableServiceMetrics().setVersion("1.0").setEnabled(true).setIncludeApis(true)
            .setRetentionPolicy(new TableServiceRetentionPolicy().setEnabled(true).setDaysToRetain(3)))
        .setMinuteMetrics(new TableServiceMetrics().setVersion("1.0").setEnabled(false)
            .setRetentionPolicy(new TableServiceRetentionPolicy().setEnabled(false)))
        .setCorsRules(List.of(tableRule("https://tables.example.com", "GET,POST,OPTIONS", "x-ms-*,content-type",
            "x-ms-request-id", 120))));
    TableServiceProperties p = tables.getProperties();
    assertTrue(p.getLogging().isReadLogged());
    assertTrue(p.getLogging().isWriteLogged());
    assertFalse(p.getLogging().isDeleteLogged());
    assertEquals(5, p.getLogging().getRetentionPolicy().getDaysToRetain());
    assertTrue(p.getHourMetrics().isEnabled());
    assertEquals(Boolean.TRUE, p.getHourMetrics().isIncludeApis());
    assertEquals(3, p.getHourMetrics().getTableServiceRetentionPolicy().getDaysToRetain());
    assertFalse(p.getMinuteMetrics().isEnabled());
    assertEquals(1, p.getCorsRules().size());
    TableServiceCorsRule rule = p.getCorsRules().get(0);
    assertEquals("https://tables.example.com", rule.getAllowedOrigins());
    assertEquals("GET,POST,OPTIONS", rule.getAllowedMethods());
    assertEquals("x-ms-*,content-type", rule.getAllowedHeaders());
    assertEquals("x-ms-request-id", rule.getExposedHeaders());
    assertEquals(120, rule.getMaxAgeInSeconds());

    // Queue and Blob properties are their own records: the Table rules are not theirs.
    assertTrue(queues.getProperties().getCors().stream()
        .noneMatch(r -> r.getAllowedOrigins().contains("tables.example.com")));
    assertTrue(blobs.getProperties().getCors().stream()
        .noneMatch(r -> r.getAllowedOrigins().contains("tables.example.com")));
  }

  @Test
  void queueSdkRoundTripsLoggingMetricsAndCors() {
    queues.setProperties(new QueueServiceProperties()
        .setAnalyticsLogging(new QueueAnalyticsLogging().setVersion("1.0").setDelete(true).setRead(false)
            .setWrite(true).setRetentionPolicy(new QueueRetentionPolicy().setEnabled(false)))
        .setHourMetrics(new QueueMetrics().setVersion("1.0").setEnabled(false)
            .setRetentionPolicy(new QueueRetentionPolicy().setEnabled(false)))
        .setMinuteMetrics(new QueueMetrics().setVersion("1.0").setEnabled(true).setIncludeApis(false)
            .setRetentionPolicy(new QueueRetentionPolicy().setEnabled(true).setDays(2)))
        .setCors(List.of(
            queueRule("https://queues.example.com", "GET,POST,PUT,DELETE", "x-ms-meta-*", "x-ms-request-id,etag", 60),
            queueRule("*", "GET", "", "", 7))));
    QueueServiceProperties p = queues.getProperties();
    assertTrue(p.getAnalyticsLogging().isDelete());
    assertFalse(p.getAnalyticsLogging().isRead());
    assertTrue(p.getAnalyticsLogging().isWrite());
    assertFalse(p.getHourMetrics().isEnabled());
    assertTrue(p.getMinuteMetrics().isEnabled());
    assertEquals(2, p.getMinuteMetrics().getRetentionPolicy().getDays());
    assertEquals(2, p.getCors().size());
    assertEquals("https://queues.example.com", p.getCors().get(0).getAllowedOrigins());
    assertEquals("x-ms-request-id,etag", p.getCors().get(0).getExposedHeaders());
    assertEquals(7, p.getCors().get(1).getMaxAgeInSeconds());
  }

  @Test
  void tablePreflightAndCorsHeadersOnAnActualRequest() throws Exception {
    tables.setProperties(new TableServiceProperties().setCorsRules(List.of(
        tableRule("https://tables.example.com", "GET,POST", "x-ms-*,content-type", "x-ms-request-id", 120))));
    HttpResponse<String> ok = send(tableEndpoint(), "OPTIONS", "/Tables", "Origin", "https://tables.example.com",
        "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-ms-version,content-type");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("https://tables.example.com", ok.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertEquals("POST", ok.headers().firstValue("Access-Control-Allow-Methods").orElse(""));
    assertEquals("x-ms-version,content-type", ok.headers().firstValue("Access-Control-Allow-Headers").orElse(""));
    assertEquals("120", ok.headers().firstValue("Access-Control-Max-Age").orElse(""));

    HttpResponse<String> refused = send(tableEndpoint(), "OPTIONS", "/Tables", "Origin", "https://evil.example.com",
        "Access-Control-Request-Method", "POST");
    assertEquals(403, refused.statusCode());
    assertEquals("CorsPreflightFailure", refused.headers().firstValue("x-ms-error-code").orElse(""));
    assertTrue(refused.headers().firstValue("Access-Control-Allow-Origin").isEmpty());

    String sas = tableAccountSas("rl", true);
    HttpResponse<String> actual = send(tableEndpoint(), "GET", "/Tables?" + sas, "x-ms-version", "2019-02-02",
        "Accept", "application/json;odata=nometadata", "Origin", "https://tables.example.com");
    assertEquals(200, actual.statusCode(), actual.body());
    assertEquals("https://tables.example.com", actual.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertEquals("x-ms-request-id", actual.headers().firstValue("Access-Control-Expose-Headers").orElse(""));
    assertEquals("Origin", actual.headers().firstValue("Vary").orElse(""));
    assertEquals("true", actual.headers().firstValue("Access-Control-Allow-Credentials").orElse(""));

    HttpResponse<String> other = send(tableEndpoint(), "GET", "/Tables?" + sas, "x-ms-version", "2019-02-02",
        "Accept", "application/json;odata=nometadata", "Origin", "https://evil.example.com");
    assertEquals(200, other.statusCode());
    assertTrue(other.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
  }

  @Test
  void queuePreflightAndCorsHeadersOnAnActualRequest() throws Exception {
    queues.setProperties(new QueueServiceProperties().setCors(List.of(
        queueRule("https://queues.example.com", "GET,POST,PUT,DELETE", "x-ms-meta-*", "x-ms-request-id,etag", 60),
        queueRule("*", "GET", "", "", 7))));
    HttpResponse<String> named = send(queueEndpoint(), "OPTIONS", "/some-queue/messages", "Origin",
        "https://queues.example.com", "Access-Control-Request-Method", "DELETE");
    assertEquals(200, named.statusCode(), named.body());
    assertEquals("https://queues.example.com", named.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertEquals("60", named.headers().firstValue("Access-Control-Max-Age").orElse(""));
    assertEquals("Origin", named.headers().firstValue("Vary").orElse(""));

    HttpResponse<String> any = send(queueEndpoint(), "OPTIONS", "/some-queue", "Origin", "https://anyone.example",
        "Access-Control-Request-Method", "GET");
    assertEquals(200, any.statusCode());
    assertEquals("*", any.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertTrue(any.headers().firstValue("Vary").isEmpty());

    HttpResponse<String> wrongHeader = send(queueEndpoint(), "OPTIONS", "/some-queue", "Origin",
        "https://queues.example.com", "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers",
        "x-custom");
    assertEquals(403, wrongHeader.statusCode());
    assertEquals("CorsPreflightFailure", wrongHeader.headers().firstValue("x-ms-error-code").orElse(""));

    HttpResponse<String> noOrigin = send(queueEndpoint(), "OPTIONS", "/some-queue",
        "Access-Control-Request-Method", "GET");
    assertEquals(400, noOrigin.statusCode());

    HttpResponse<String> actual = send(queueEndpoint(), "GET", "?comp=list&" + queueAccountSas("l"),
        "x-ms-version", "2025-11-05", "Origin", "https://queues.example.com");
    assertEquals(200, actual.statusCode(), actual.body());
    assertEquals("https://queues.example.com", actual.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertEquals("x-ms-request-id,etag", actual.headers().firstValue("Access-Control-Expose-Headers").orElse(""));

    // The Blob endpoint has its own rules: the Queue rules allow nothing there.
    HttpResponse<String> blobPreflight = send(gateway.httpEndpoint(), "OPTIONS", "/c/b", "Origin",
        "https://queues.example.com", "Access-Control-Request-Method", "DELETE");
    assertEquals(403, blobPreflight.statusCode());
  }

  @Test
  void accountSasNeedsTheServiceResourceTypeAndReadOrWrite() throws Exception {
    HttpResponse<String> get = send(tableEndpoint(), "GET", "?restype=service&comp=properties&"
        + tableAccountSas("r", true), "x-ms-version", "2019-02-02");
    assertEquals(200, get.statusCode(), get.body());
    assertTrue(get.body().contains("<StorageServiceProperties>"), get.body());
    assertTrue(get.headers().firstValue("Content-Type").orElse("").startsWith("application/xml"));

    HttpResponse<String> noService = send(tableEndpoint(), "GET", "?restype=service&comp=properties&"
        + tableAccountSas("r", false), "x-ms-version", "2019-02-02");
    assertEquals(403, noService.statusCode());
    assertEquals("AuthorizationResourceTypeMismatch", noService.headers().firstValue("x-ms-error-code").orElse(""));

    HttpResponse<String> readOnly = HTTP.send(HttpRequest.newBuilder(URI.create(queueEndpoint()
            + "?restype=service&comp=properties&" + queueAccountSas("r"))).header("x-ms-version", "2025-11-05")
        .PUT(HttpRequest.BodyPublishers.ofString("<StorageServiceProperties><Cors/></StorageServiceProperties>"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, readOnly.statusCode());
    assertEquals("AuthorizationPermissionMismatch", readOnly.headers().firstValue("x-ms-error-code").orElse(""));

    HttpResponse<String> stats = send(queueEndpoint(), "GET", "?restype=service&comp=stats&" + queueAccountSas("r"),
        "x-ms-version", "2025-11-05");
    assertEquals(501, stats.statusCode());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // Table and Queue service properties have no Blob-only elements.
      "<StorageServiceProperties><DefaultServiceVersion>2020-10-02</DefaultServiceVersion>"
          + "</StorageServiceProperties>|InvalidXmlDocument",
      "<StorageServiceProperties><StaticWebsite><Enabled>false</Enabled></StaticWebsite>"
          + "</StorageServiceProperties>|InvalidXmlDocument",
      "<StorageServiceProperties><Cors>|InvalidXmlDocument",
      "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>TRACE"
          + "</AllowedMethods><MaxAgeInSeconds>5</MaxAgeInSeconds></CorsRule></Cors></StorageServiceProperties>"
          + "|InvalidXmlNodeValue"})
  void badInputIs400WithAnXmlErrorOnBothEndpointsAndChangesNothing(String xml, String code) throws Exception {
    tables.setProperties(new TableServiceProperties().setCorsRules(List.of(tableRule("*", "GET", "", "", 1))));
    for (String base : List.of(tableEndpoint(), queueEndpoint())) {
      String sas = base.equals(tableEndpoint()) ? tableAccountSas("rw", true) : queueAccountSas("rw");
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base
              + "?restype=service&comp=properties&" + sas)).header("x-ms-version", "2025-11-05")
          .PUT(HttpRequest.BodyPublishers.ofString(xml)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(400, r.statusCode(), r.body());
      assertEquals(code, r.headers().firstValue("x-ms-error-code").orElse(""));
      assertTrue(r.body().contains("<Code>" + code + "</Code>"), r.body());
    }
    assertEquals(1, tables.getProperties().getCorsRules().size());
  }

  @Test
  void sdkErrorsForBadRulesAre400() {
    List<TableServiceCorsRule> six = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      six.add(tableRule("*", "GET", "", "", i));
    }
    // This SDK maps no error type for service-level calls: a plain HttpResponseException.
    HttpResponseException e = assertThrows(HttpResponseException.class,
        () -> tables.setProperties(new TableServiceProperties().setCorsRules(six)));
    assertEquals(400, e.getResponse().getStatusCode());
    assertEquals("InvalidXmlDocument", e.getResponse().getHeaderValue("x-ms-error-code"));
    QueueStorageException q = assertThrows(QueueStorageException.class, () -> queues.setProperties(
        new QueueServiceProperties().setCors(List.of(queueRule("*", "TRACE", "", "", 1)))));
    assertEquals(400, q.getStatusCode());
    assertEquals("InvalidXmlNodeValue", q.getErrorCode().toString());
  }
}
