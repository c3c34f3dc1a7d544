package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cobalt.cli.admin.http.AdminApiConfig;
import io.cobalt.cli.admin.http.AdminApiServer;
import io.cobalt.cli.admin.http.authz.ReloadingAdminPolicy;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.crypto.tls.ClusterTls;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.KmsAgentConfig;
import io.cobalt.kms.KmsAgentServer;
import io.cobalt.kms.MasterKeyFile;
import io.cobalt.kms.policy.CallerGrant;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Per-identity permissions of the HTTPS admin API (ADR 0041) with real HTTPS, a real kms-agent and
 * client certificates of one cluster CA: a read-only identity reads but gets 403 naming the
 * operation on every POST/PUT/DELETE (and nothing changes), the operator may do everything, a
 * stranger with a trusted certificate gets 403 whatever it asks, each denial is logged without key
 * ids, and a grant added to the policy file takes effect without a restart.
 */
class AdminApiPolicyIT {
  private static final String KEY = "cmk/policy-main";
  private static final String KEY_PATH = "/v1/keys/cmk%2Fpolicy-main";

  @TempDir Path dir;

  private record Answer(int status, JsonObject body) {}

  private static HttpClient client(Path tlsDir, String name) throws Exception {
    TlsMaterial tls = TlsMaterial.load(tlsDir, name);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(tls.keyManagers(), tls.trustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(60)).build();
  }

  private static Answer call(HttpClient http, int port, String method, String path, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(60));
    if (json == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.toString());
    return new Answer(r.statusCode(), new JsonObject(r.body()));
  }

  private static void assertRefused(Answer a, String code, String operation) {
    assertEquals(403, a.status(), a.body().encode());
    JsonObject error = a.body().getJsonObject("error");
    assertEquals(code, error.getString("code"), a.body().encode());
    assertEquals(operation, error.getString("operation"), a.body().encode());
    assertNotNull(a.body().getString("requestId"));
  }

  private static List<String> ids(Answer listing) {
    assertEquals(200, listing.status(), listing.body().encode());
    JsonArray keys = listing.body().getJsonArray("keys");
    List<String> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      out.add(keys.getJsonObject(i).getString("id"));
    }
    return out;
  }

  @Test
  void readOnlyReadsOperatorManagesStrangerIsRefusedAndAGrantAddedToTheFileTakesEffect() throws Exception {
    Path tlsDir = dir.resolve("tls");
    ClusterTls.ensure(tlsDir, "policy-it", List.of("kms-agent", "admin-api", "gateway", "reader", "operator",
        "stranger"), new SecureRandom());
    Path masterKey = dir.resolve("kms/master.key");
    Files.createDirectories(masterKey.getParent());
    MasterKeyFile.createIfAbsent(masterKey, new SecureRandom());
    TlsMaterial serverTls = TlsMaterial.load(tlsDir, "admin-api");
    String serverIdentity = TlsMaterial.identityOf(serverTls.certificate());
    Path policyFile = dir.resolve("admin-policy.conf");
    Files.writeString(policyFile, """
        grant reader cert=reader operations=read
        grant operator cert=operator operations=*
        """);

    ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(AdminApiServer.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    log.addAppender(logged);
    try (KmsAgentServer kms = KmsAgentServer.start(new KmsAgentConfig(dir.resolve("kms"), masterKey, "127.0.0.1", 0,
            TlsMaterial.load(tlsDir, "kms-agent"),
            Set.of(TlsMaterial.identityOf(TlsMaterial.load(tlsDir, "gateway").certificate())))
            .withGrants(List.of(CallerGrant.admin("admin-api", serverIdentity, List.of("*")))));
        KeyAdminClient agent = KeyAdminClient.connect("127.0.0.1:" + kms.port(), serverTls);
        AdminApiServer server = AdminApiServer.start(AdminApiConfig.of("127.0.0.1", 0, serverTls,
            ReloadingAdminPolicy.load(policyFile, name -> TlsMaterial.identityOf(
                TlsMaterial.load(tlsDir, name).certificate())), dir.resolve("jobs"), null)
            .withPolicyReloadCheckMillis(1_000), agent, null, Clock.systemUTC())) {
      int port = server.port();
      HttpClient operator = client(tlsDir, "operator");
      HttpClient reader = client(tlsDir, "reader");
      HttpClient stranger = client(tlsDir, "stranger");

      // The operator (every operation) manages keys.
      assertEquals(201, call(operator, port, "POST", "/v1/keys", "{\"id\":\"" + KEY + "\"}").status());
      assertEquals(201, call(operator, port, "POST", "/v1/keys", "{\"id\":\"cmk/other\"}").status());
      Answer rotated = call(operator, port, "POST", KEY_PATH + "/rotate", null);
      assertEquals(200, rotated.status(), rotated.body().encode());
      assertEquals(2, rotated.body().getInteger("primaryVersion"));
      assertEquals(200, call(operator, port, "PUT", KEY_PATH + "/rotation-policy", "{\"periodSeconds\":86400}")
          .status());

      // The read-only identity reads ...
      assertEquals(Set.of(KEY, "cmk/other"), Set.copyOf(ids(call(reader, port, "GET", "/v1/keys?prefix=cmk/", null))));
      assertEquals(200, call(reader, port, "GET", KEY_PATH, null).status());
      assertEquals(200, call(reader, port, "GET", KEY_PATH + "/census", null).status());
      assertEquals(200, call(reader, port, "GET", "/v1/jobs", null).status());
      assertEquals(200, call(reader, port, "GET", "/v1/import-key", null).status());
      // ... and is refused every change, with the operation named; nothing changes.
      assertRefused(call(reader, port, "POST", "/v1/keys", "{\"id\":\"cmk/by-reader\"}"), "OPERATION_NOT_ALLOWED",
          "keys.create");
      assertRefused(call(reader, port, "POST", KEY_PATH + "/rotate", null), "OPERATION_NOT_ALLOWED", "keys.rotate");
      assertRefused(call(reader, port, "PUT", KEY_PATH + "/rotation-policy", "{\"periodSeconds\":0}"),
          "OPERATION_NOT_ALLOWED", "keys.rotate");
      assertRefused(call(reader, port, "POST", KEY_PATH + "/versions/1/disable", null), "OPERATION_NOT_ALLOWED",
          "keys.disable");
      assertRefused(call(reader, port, "DELETE", KEY_PATH, null), "OPERATION_NOT_ALLOWED", "keys.delete");
      assertRefused(call(reader, port, "PUT", "/v1/accounts/acct/key-source", "{\"serviceManaged\":true}"),
          "OPERATION_NOT_ALLOWED", "key-sources.set");
      assertRefused(call(reader, port, "POST", "/v1/jobs/rewrap", "{\"key\":\"" + KEY + "\"}"),
          "OPERATION_NOT_ALLOWED", "jobs.rewrap");
      assertRefused(call(reader, port, "DELETE", "/v1/jobs/some-job", null), "OPERATION_NOT_ALLOWED", "jobs.rewrap");
      Answer unchanged = call(operator, port, "GET", KEY_PATH, null);
      assertEquals(2, unchanged.body().getInteger("primaryVersion"), unchanged.body().encode());
      assertEquals(86_400L, unchanged.body().getLong("rotationPeriodSeconds"), unchanged.body().encode());
      assertEquals("active", unchanged.body().getString("state"), unchanged.body().encode());
      assertEquals(404, call(operator, port, "GET", "/v1/keys/cmk%2Fby-reader", null).status());

      // A stranger (trusted CA, no grant) gets 403 naming the operation, never 500 nor a hint about routes.
      assertRefused(call(stranger, port, "GET", "/v1/keys", null), "IDENTITY_NOT_ALLOWED", "keys.read");
      assertRefused(call(stranger, port, "DELETE", KEY_PATH, null), "IDENTITY_NOT_ALLOWED", "keys.delete");
      assertRefused(call(stranger, port, "GET", "/v1/audit/verify", null), "IDENTITY_NOT_ALLOWED", "audit.verify");
      Answer nowhere = call(stranger, port, "GET", "/v1/nothing", null);
      assertEquals(403, nowhere.status(), nowhere.body().encode());
      assertNull(nowhere.body().getJsonObject("error").getString("operation"));

      // The operator's own management still works after all that: soft delete.
      Answer deleted = call(operator, port, "DELETE", "/v1/keys/cmk%2Fother", null);
      assertEquals(200, deleted.status(), deleted.body().encode());

      // Each denial was logged (operation, route template, identity prefix), never a key id.
      List<String> denials = logged.list.stream().map(ILoggingEvent::getFormattedMessage)
          .filter(m -> m.contains(" denied ")).toList();
      assertEquals(12, denials.size(), String.join("\n", denials));
      assertTrue(denials.stream().anyMatch(m -> m.contains("denied keys.create POST /v1/keys to identity")), denials
          .toString());
      assertTrue(logged.list.stream().map(ILoggingEvent::getFormattedMessage)
          .noneMatch(m -> m.contains("policy-main") || m.contains("by-reader")), "a key id in the log");

      // A grant added to the file takes effect while the server runs: the stranger may now read and
      // rotate keys under cmk/policy-*, and only those.
      Files.writeString(policyFile, "grant newcomer cert=stranger operations=read,keys.rotate keys=cmk/policy-*\n",
          StandardOpenOption.APPEND);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      Answer listing = call(stranger, port, "GET", "/v1/keys?prefix=cmk/", null);
      while (listing.status() == 403 && System.nanoTime() < deadline) {
        Thread.sleep(200);
        listing = call(stranger, port, "GET", "/v1/keys?prefix=cmk/", null);
      }
      assertEquals(List.of(KEY), ids(listing), "the listing holds only the keys the grant covers");
      Answer byNewcomer = call(stranger, port, "POST", KEY_PATH + "/rotate", null);
      assertEquals(200, byNewcomer.status(), byNewcomer.body().encode());
      assertEquals(3, byNewcomer.body().getInteger("primaryVersion"));
      assertRefused(call(stranger, port, "POST", "/v1/keys/cmk%2Fother/rotate", null), "OPERATION_NOT_ALLOWED",
          "keys.rotate");
      assertRefused(call(stranger, port, "POST", "/v1/keys", "{\"id\":\"cmk/policy-new\"}"), "OPERATION_NOT_ALLOWED",
          "keys.create");
      assertFalse(server.reloadPolicy(), "the file did not change again");
    } finally {
      log.detachAppender(logged);
    }
  }
}
