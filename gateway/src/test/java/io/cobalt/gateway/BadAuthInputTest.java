package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Malformed or wrong credentials, sent raw: each gets Azure's 4xx and error code, never a 500, and
 * the error body and headers an SDK can parse.
 */
class BadAuthInputTest {
  static GatewayFixture gateway;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String SE = "2999-01-01T00:00:00Z";
  static final String SIG32 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c);
    gateway.keyClient().createBlobContainer("box").getBlobClient("a").upload(BinaryData.fromString("x"));
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  record Case(String name, String query, Map<String, String> headers, int status, String code, String detail) {}

  static String now(int minutesFromNow) {
    return DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.US)
        .format(ZonedDateTime.now(ZoneOffset.UTC).plusMinutes(minutesFromNow));
  }

  static String enc(String v) {
    return java.net.URLEncoder.encode(v, java.nio.charset.StandardCharsets.UTF_8);
  }

  static String serviceSas(String ses) throws Exception {
    String toSign = String.join("\n", "r", "", SE, "/blob/" + GatewayFixture.ACCOUNT + "/box/a", "", "", "",
        "2026-06-06", "b", "", ses, "", "", "", "", "");
    return "sv=2026-06-06&sr=b&sp=r&se=" + SE + "&ses=" + ses + "&sig=" + enc(SasEndpointTest.hmac(toSign));
  }

  static List<Case> table() throws Exception {
    String date = now(0);
    List<Case> t = new ArrayList<>();
    t.add(new Case("scheme only", null, Map.of("Authorization", "SharedKey", "x-ms-date", date),
        400, "InvalidAuthenticationInfo", null));
    t.add(new Case("no colon", null, Map.of("Authorization", "SharedKey devstoreaccount1", "x-ms-date", date),
        400, "InvalidAuthenticationInfo", null));
    t.add(new Case("unknown scheme", null, Map.of("Authorization", "Bearer eyJhbGciOi.x.y", "x-ms-date", date),
        400, "InvalidAuthenticationInfo", null));
    t.add(new Case("unknown scheme with colon", null, Map.of("Authorization", "Basic devstoreaccount1:" + SIG32, "x-ms-date", date),
        400, "InvalidAuthenticationInfo", null));
    t.add(new Case("bad base64 signature", null,
        Map.of("Authorization", "SharedKey devstoreaccount1:%%%not-base64%%%", "x-ms-date", date),
        403, "AuthenticationFailed", null));
    t.add(new Case("wrong signature", null, Map.of("Authorization", "SharedKey devstoreaccount1:" + SIG32, "x-ms-date", date),
        403, "AuthenticationFailed", "The MAC signature found in the HTTP request is not the same as any computed signature."));
    t.add(new Case("other account as signer", null, Map.of("Authorization", "SharedKey other:" + SIG32, "x-ms-date", date),
        403, "AuthenticationFailed", null));
    t.add(new Case("missing x-ms-date and Date", null, Map.of("Authorization", "SharedKey devstoreaccount1:" + SIG32),
        403, "AuthenticationFailed", "Request date header not specified."));
    t.add(new Case("unparseable x-ms-date", null, Map.of("Authorization", "SharedKey devstoreaccount1:" + SIG32, "x-ms-date", "yesterday"),
        403, "AuthenticationFailed", null));
    t.add(new Case("x-ms-date 16 minutes old", null, Map.of("Authorization", "SharedKey devstoreaccount1:" + SIG32, "x-ms-date", now(-16)),
        403, "AuthenticationFailed", "Request date header too old or too far in the future."));
    t.add(new Case("SAS without se", "sv=2026-06-06&sr=b&sp=r&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", "se is mandatory. Cannot be empty"));
    t.add(new Case("SAS without sp", "sv=2026-06-06&sr=b&se=" + SE + "&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", "sp is mandatory. Cannot be empty"));
    t.add(new Case("SAS without sv", "sr=b&sp=r&se=" + SE + "&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", "sv is mandatory. Cannot be empty"));
    t.add(new Case("SAS with garbage sv", "sv=banana&sr=b&sp=r&se=" + SE + "&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", "Signature fields not well formed."));
    t.add(new Case("SAS with a bad date", "sv=2026-06-06&sr=b&sp=r&se=tomorrow&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", "Signature fields not well formed."));
    t.add(new Case("SAS with a non-UTC date", "sv=2026-06-06&sr=b&sp=r&se=2999-01-01T00:00:00%2B01:00&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", "Signature fields not well formed."));
    t.add(new Case("SAS sig not base64", "sv=2026-06-06&sr=b&sp=r&se=" + SE + "&sig=***", Map.of(),
        403, "AuthenticationFailed", "Signature fields not well formed."));
    t.add(new Case("SAS with unknown permission", "sv=2026-06-06&sr=b&sp=rz&se=" + SE + "&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", "Signature fields not well formed."));
    t.add(new Case("SAS with bad sip", "sv=2026-06-06&sr=b&sp=r&se=" + SE + "&sip=300.1.1.1&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", "Signature fields not well formed."));
    t.add(new Case("SAS with bad spr", "sv=2026-06-06&sr=b&sp=r&se=" + SE + "&spr=ftp&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", "Signature fields not well formed."));
    t.add(new Case("SAS with unknown sr", "sv=2026-06-06&sr=x&sp=r&se=" + SE + "&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", null));
    t.add(new Case("SAS with two sig", "sv=2026-06-06&sr=b&sp=r&se=" + SE + "&sig=" + enc(SIG32) + "&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", "Signature fields not well formed."));
    t.add(new Case("SAS with neither sr nor ss/srt", "sv=2026-06-06&sp=r&se=" + SE + "&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", null));
    t.add(new Case("account SAS with bad srt", "sv=2026-06-06&ss=b&srt=x&sp=r&se=" + SE + "&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", "Signature fields not well formed."));
    t.add(new Case("user delegation SAS", "sv=2026-06-06&sr=b&sp=r&se=" + SE + "&skoid=a&sktid=b&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", null));
    t.add(new Case("SAS older than 2015-04-05", "sv=2013-08-15&sr=b&sp=r&se=" + SE + "&sig=" + enc(SIG32), Map.of(),
        403, "AuthenticationFailed", null));
    t.add(new Case("valid SAS, ses differs from x-ms-encryption-scope", serviceSas("scope-a"),
        Map.of("x-ms-encryption-scope", "scope-b"), 400, "InvalidHeaderValue", null));
    t.add(new Case("valid SAS, same encryption scope (control)", serviceSas("scope-a"),
        Map.of("x-ms-encryption-scope", "scope-a"), 200, null, null));
    t.add(new Case("expired SAS names its times", "sv=2026-06-06&sr=b&sp=r&se=2001-01-01&sig=" + enc(expiredSig()), Map.of(),
        403, "AuthenticationFailed", "Signed expiry time [Mon, 01 Jan 2001 00:00:00 GMT] must be after signed start time ["));
    return t;
  }

  static String expiredSig() throws Exception {
    return SasEndpointTest.hmac(String.join("\n", "r", "", "2001-01-01", "/blob/" + GatewayFixture.ACCOUNT + "/box/a",
        "", "", "", "2026-06-06", "b", "", "", "", "", "", "", ""));
  }

  @Test
  void answersEveryBadCredentialWithAzuresCodeNever500() throws Exception {
    List<Executable> checks = new ArrayList<>();
    for (Case c : table()) {
      String uri = gateway.httpEndpoint() + "/box/a" + (c.query() == null ? "" : "?" + c.query());
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri)).header("x-ms-version", "2026-06-06").GET();
      c.headers().forEach(b::header);
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      checks.add(() -> {
        assertEquals(c.status(), r.statusCode(), c.name() + ": " + r.body());
        if (c.code() != null) {
          assertEquals(c.code(), r.headers().firstValue("x-ms-error-code").orElse(null), c.name());
          assertTrue(r.body().contains("<Code>" + c.code() + "</Code>"), c.name() + ": " + r.body());
          assertTrue(r.headers().firstValue("x-ms-request-id").isPresent(), c.name());
        }
        if (c.detail() != null) {
          assertTrue(r.body().contains("<AuthenticationErrorDetail>" + c.detail()), c.name() + ": " + r.body());
        }
      });
    }
    assertAll(checks);
  }
}
