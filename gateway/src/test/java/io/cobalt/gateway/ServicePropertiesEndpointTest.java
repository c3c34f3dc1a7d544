package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobCorsRule;
import com.azure.storage.blob.models.BlobRetentionPolicy;
import com.azure.storage.blob.models.BlobServiceProperties;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.common.sas.AccountSasPermission;
import com.azure.storage.common.sas.AccountSasResourceType;
import com.azure.storage.common.sas.AccountSasService;
import com.azure.storage.common.sas.AccountSasSignatureValues;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Set / Get Blob Service Properties through the SDK, CORS preflights (allowed, refused, no auth
 * needed), CORS headers on a normal request, and bad input (400, nothing changed).
 */
class ServicePropertiesEndpointTest {
  static GatewayFixture gateway;
  static BlobServiceClient client;
  static BlobContainerClient box;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c);
    client = gateway.keyClient();
    box = client.createBlobContainer("cors");
    box.getBlobClient("b").upload(BinaryData.fromString("hello"), true);
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  static BlobCorsRule rule(String origins, String methods, String allowed, String exposed, int maxAge) {
    return new BlobCorsRule().setAllowedOrigins(origins).setAllowedMethods(methods).setAllowedHeaders(allowed)
        .setExposedHeaders(exposed).setMaxAgeInSeconds(maxAge);
  }

  @BeforeEach
  void setRules() {
    client.setProperties(new BlobServiceProperties().setCors(List.of(
        rule("https://app.example.com,https://other.example.com", "GET,PUT", "x-ms-meta-*,content-type",
            "x-ms-request-id,etag", 600),
        rule("*", "HEAD", "", "", 30))));
  }

  private static HttpResponse<String> send(String method, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.httpEndpoint() + path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> putXml(String xml) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(gateway.httpEndpoint() + "?restype=service&comp=properties&"
            + accountSas("rw"))).header("x-ms-version", "2025-11-05")
        .PUT(HttpRequest.BodyPublishers.ofString(xml)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String accountSas(String permissions) {
    return client.generateAccountSas(new AccountSasSignatureValues(OffsetDateTime.now().plusHours(1),
        AccountSasPermission.parse(permissions), AccountSasService.parse("b"), AccountSasResourceType.parse("s")));
  }

  @Test
  void sdkRoundTripsCorsAndKeepsOtherElements() {
    BlobServiceProperties p = client.getProperties();
    assertEquals(2, p.getCors().size());
    BlobCorsRule first = p.getCors().get(0);
    assertEquals("https://app.example.com,https://other.example.com", first.getAllowedOrigins());
    assertEquals("GET,PUT", first.getAllowedMethods());
    assertEquals("x-ms-meta-*,content-type", first.getAllowedHeaders());
    assertEquals("x-ms-request-id,etag", first.getExposedHeaders());
    assertEquals(600, first.getMaxAgeInSeconds());
    assertEquals("*", p.getCors().get(1).getAllowedOrigins());
    assertFalse(p.getDeleteRetentionPolicy().isEnabled());

    // The inert elements are stored and returned (this SDK always sends Cors: it keeps the rules).
    client.setProperties(new BlobServiceProperties()
        .setCors(p.getCors())
        .setDeleteRetentionPolicy(new BlobRetentionPolicy().setEnabled(true).setDays(7))
        .setDefaultServiceVersion("2020-10-02"));
    BlobServiceProperties after = client.getProperties();
    assertEquals(2, after.getCors().size());
    assertTrue(after.getDeleteRetentionPolicy().isEnabled());
    assertEquals(7, after.getDeleteRetentionPolicy().getDays());
    assertEquals("2020-10-02", after.getDefaultServiceVersion());

    // An empty Cors removes every rule.
    client.setProperties(new BlobServiceProperties().setCors(List.of()));
    assertEquals(0, client.getProperties().getCors().size());
  }

  @Test
  void setAnswers202KeepsElementsLeftOutAndNeedsAnAccountSasForTheService() throws Exception {
    HttpResponse<String> kept = putXml("<StorageServiceProperties><DefaultServiceVersion>2021-08-06"
        + "</DefaultServiceVersion></StorageServiceProperties>");
    assertEquals(202, kept.statusCode(), kept.body());
    assertEquals(2, client.getProperties().getCors().size()); // no Cors element: the rules stay
    assertEquals("2021-08-06", client.getProperties().getDefaultServiceVersion());
    HttpResponse<String> ok = putXml("<StorageServiceProperties><Cors/></StorageServiceProperties>");
    assertEquals(202, ok.statusCode(), ok.body());
    assertEquals(0, client.getProperties().getCors().size());
    String containerOnly = client.generateAccountSas(new AccountSasSignatureValues(OffsetDateTime.now().plusHours(1),
        AccountSasPermission.parse("rw"), AccountSasService.parse("b"), AccountSasResourceType.parse("c")));
    HttpResponse<String> refused = send("GET", "?restype=service&comp=properties&" + containerOnly,
        "x-ms-version", "2025-11-05");
    assertEquals(403, refused.statusCode());
  }

  @Test
  void preflightIsAllowedByAMatchingRuleWithoutAuthentication() throws Exception {
    HttpResponse<String> r = send("OPTIONS", "/cors/b", "Origin", "https://app.example.com",
        "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "x-ms-meta-color, Content-Type");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("https://app.example.com", r.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertEquals("PUT", r.headers().firstValue("Access-Control-Allow-Methods").orElse(""));
    assertEquals("x-ms-meta-color,Content-Type", r.headers().firstValue("Access-Control-Allow-Headers").orElse(""));
    assertEquals("600", r.headers().firstValue("Access-Control-Max-Age").orElse(""));

    HttpResponse<String> noAccount = HTTP.send(HttpRequest.newBuilder(URI.create(
            gateway.httpEndpoint().replaceAll("/[^/]*$", "/")))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "GET").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, noAccount.statusCode(), noAccount.body()); // no account, no rules: InvalidUri
    assertTrue(noAccount.headers().firstValue("Access-Control-Allow-Origin").isEmpty());

    HttpResponse<String> any = send("OPTIONS", "/no-such-container", "Origin", "https://anyone.example",
        "Access-Control-Request-Method", "HEAD");
    assertEquals(200, any.statusCode());
    assertEquals("*", any.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertEquals("30", any.headers().firstValue("Access-Control-Max-Age").orElse(""));
  }

  @ParameterizedTest
  @CsvSource({
      "https://evil.example.com, GET, ''",          // origin in no rule (and not HEAD)
      "https://app.example.com, DELETE, ''",        // method not allowed
      "https://app.example.com, PUT, x-custom"})    // header not allowed
  void preflightWithoutAMatchingRuleIs403CorsPreflightFailure(String origin, String method, String headers)
      throws Exception {
    List<String> h = new java.util.ArrayList<>(List.of("Access-Control-Request-Method", method));
    if (!origin.isEmpty()) {
      h.addAll(List.of("Origin", origin));
    }
    if (!headers.isEmpty()) {
      h.addAll(List.of("Access-Control-Request-Headers", headers));
    }
    HttpResponse<String> r = send("OPTIONS", "/cors/b", h.toArray(String[]::new));
    assertEquals(403, r.statusCode());
    assertEquals("CorsPreflightFailure", r.headers().firstValue("x-ms-error-code").orElse(""));
    assertTrue(r.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
  }

  @Test
  void preflightWithoutOriginOrRequestMethodIs400() throws Exception {
    HttpResponse<String> noOrigin = send("OPTIONS", "/cors/b", "Access-Control-Request-Method", "GET");
    assertEquals(400, noOrigin.statusCode());
    assertEquals("InvalidHeaderValue", noOrigin.headers().firstValue("x-ms-error-code").orElse(""));
    HttpResponse<String> noMethod = send("OPTIONS", "/cors/b", "Origin", "https://app.example.com");
    assertEquals(400, noMethod.statusCode());
  }

  @Test
  void aNormalRequestFromAnAllowedOriginGetsTheCorsHeaders() throws Exception {
    String sas = accountSasForObjects();
    HttpResponse<String> r = send("GET", "/cors/b?" + sas, "x-ms-version", "2025-11-05",
        "Origin", "https://other.example.com");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("hello", r.body());
    assertEquals("https://other.example.com", r.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertEquals("x-ms-request-id,etag", r.headers().firstValue("Access-Control-Expose-Headers").orElse(""));
    assertEquals("Origin", r.headers().firstValue("Vary").orElse(""));

    HttpResponse<String> other = send("GET", "/cors/b?" + sas, "x-ms-version", "2025-11-05",
        "Origin", "https://evil.example.com");
    assertEquals(200, other.statusCode());
    assertTrue(other.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
  }

  private static String accountSasForObjects() {
    return client.generateAccountSas(new AccountSasSignatureValues(OffsetDateTime.now().plusHours(1),
        AccountSasPermission.parse("r"), AccountSasService.parse("b"), AccountSasResourceType.parse("o")));
  }

  static final String RULE = "<CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET</AllowedMethods>"
      + "<AllowedHeaders></AllowedHeaders><ExposedHeaders></ExposedHeaders><MaxAgeInSeconds>5</MaxAgeInSeconds>"
      + "</CorsRule>";

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "<StorageServiceProperties><Cors>|InvalidXmlDocument",
      "not xml|InvalidXmlDocument",
      "<Other/>|InvalidXmlDocument",
      "<StorageServiceProperties><Unknown/></StorageServiceProperties>|InvalidXmlDocument",
      "<StorageServiceProperties><Cors>" + RULE + RULE + RULE + RULE + RULE + RULE
          + "</Cors></StorageServiceProperties>|InvalidXmlDocument",
      "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>TRACE"
          + "</AllowedMethods><MaxAgeInSeconds>5</MaxAgeInSeconds></CorsRule></Cors></StorageServiceProperties>"
          + "|InvalidXmlNodeValue",
      "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET"
          + "</AllowedMethods><MaxAgeInSeconds>-1</MaxAgeInSeconds></CorsRule></Cors></StorageServiceProperties>"
          + "|InvalidXmlNodeValue",
      "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET"
          + "</AllowedMethods></CorsRule></Cors></StorageServiceProperties>|InvalidXmlDocument",
      "<!DOCTYPE x [<!ENTITY e 'y'>]><StorageServiceProperties/>|InvalidXmlDocument"})
  void badInputIs400AndChangesNothing(String xml, String code) throws Exception {
    HttpResponse<String> r = putXml(xml);
    assertEquals(400, r.statusCode(), r.body());
    assertEquals(code, r.headers().firstValue("x-ms-error-code").orElse(""));
    assertEquals(2, client.getProperties().getCors().size());
  }

  @Test
  void tooManyOriginsOrTooLongCorsSettingsAre400() throws Exception {
    String origins = String.join(",", java.util.Collections.nCopies(65, "https://a.example"));
    HttpResponse<String> many = putXml("<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>" + origins
        + "</AllowedOrigins><AllowedMethods>GET</AllowedMethods><MaxAgeInSeconds>5</MaxAgeInSeconds></CorsRule>"
        + "</Cors></StorageServiceProperties>");
    assertEquals(400, many.statusCode());
    assertEquals("InvalidXmlNodeValue", many.headers().firstValue("x-ms-error-code").orElse(""));

    String long1 = String.join(",", java.util.Collections.nCopies(40, "https://" + "a".repeat(50) + ".example"));
    BlobStorageException e = org.junit.jupiter.api.Assertions.assertThrows(BlobStorageException.class,
        () -> client.setProperties(new BlobServiceProperties().setCors(List.of(rule(long1, "GET", "", "", 5)))));
    assertEquals(400, e.getStatusCode());
    assertEquals(2, client.getProperties().getCors().size());
  }
}
