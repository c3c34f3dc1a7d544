package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import io.cobalt.cli.admin.http.AdminApiConfig;
import io.cobalt.cli.admin.http.AdminApiServer;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.MetadataPartitionsClient;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.NodeEndpoint;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTPS admin API (ADR 0033) in front of a real dev cluster (kms-agent, 3 Raft nodes, gateway),
 * called with java.net.http and the operator's cluster certificate: key lifecycle, stable JSON
 * errors, refusal of callers without a certificate or with one that is not allowed, and a rewrap job
 * as a resource (202, progress, completion; resumed after the server restarts).
 */
class AdminApiIT {
  private static final String ACCOUNT_KEY = "account/" + DevCluster.DEV_ACCOUNT;

  @TempDir Path data;
  @TempDir Path jobs;

  private record Answer(int status, JsonObject body, HttpResponse<String> raw) {}

  private static HttpClient client(TlsMaterial tls) throws Exception {
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
    return new Answer(r.statusCode(), new JsonObject(r.body()), r);
  }

  private static String enc(String keyId) {
    return keyId.replace("/", "%2F");
  }

  private static void assertError(Answer a, int status, String code) {
    assertEquals(status, a.status(), a.body().encode());
    assertEquals(code, a.body().getJsonObject("error").getString("code"), a.body().encode());
    assertNotNull(a.body().getString("requestId"));
  }

  private static JsonObject version(JsonObject key, int v) {
    JsonArray versions = key.getJsonArray("versions");
    for (int i = 0; i < versions.size(); i++) {
      if (versions.getJsonObject(i).getInteger("version") == v) {
        return versions.getJsonObject(i);
      }
    }
    throw new AssertionError("no version " + v + " in " + key.encode());
  }

  private static AdminApiServer startServer(DevCluster cluster, KeyAdminClient agent, MetadataPartitionsClient nodes,
      Path jobsDir) throws Exception {
    TlsMaterial admin = TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN);
    return AdminApiServer.start(AdminApiConfig.of("127.0.0.1", 0, admin,
        Set.of(TlsMaterial.identityOf(admin.certificate())), jobsDir, cluster.dataDir().resolve("kms/audit.log")),
        agent, nodes, Clock.systemUTC());
  }

  private static JsonObject awaitJob(HttpClient http, int port, String id, String status) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (true) {
      Answer job = call(http, port, "GET", "/v1/jobs/" + id, null);
      assertEquals(200, job.status(), job.body().encode());
      String now = job.body().getString("status");
      if (now.equals(status)) {
        return job.body();
      }
      assertFalse(now.equals("failed") || now.equals("succeeded"), "job ended " + job.body().encode());
      assertTrue(System.nanoTime() < deadline, "job did not reach " + status + ": " + job.body().encode());
      Thread.sleep(200);
    }
  }

  @Test
  void managesKeysRefusesStrangersAndRunsARewrapJobToCompletion() throws Exception {
    DevCluster.Options options = DevCluster.Options.defaults(data).withBlobPort(0).withTablePort(0).withQueuePort(0);
    try (DevCluster cluster = DevCluster.start(options);
        KeyAdminClient agent = KeyAdminClient.connect(cluster.options().host() + ":" + cluster.kmsPort(),
            TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN));
        MetadataPartitionsClient nodes = new MetadataPartitionsClient(cluster.nodeEndpoints().stream()
            .map((NodeEndpoint n) -> new MetadataPartitionsClient.Node(n.nodeId(), n.host(), n.port())).toList(),
            cluster.options().partitions(), TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN))) {
      AdminApiServer server = startServer(cluster, agent, nodes, jobs);
      int port = server.port();
      HttpClient http = client(TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN));
      try {
        // Key lifecycle: create, rotate, list, disable, enable.
        Answer created = call(http, port, "POST", "/v1/keys", "{\"id\":\"cmk/adminapi\"}");
        assertEquals(201, created.status(), created.body().encode());
        assertEquals("cmk/adminapi", created.body().getString("id"));
        assertEquals(1, created.body().getInteger("primaryVersion"));
        assertEquals("/v1/keys/cmk%2Fadminapi", created.raw().headers().firstValue("Location").orElse(""));
        assertError(call(http, port, "POST", "/v1/keys", "{\"id\":\"cmk/adminapi\"}"), 409, "KEY_EXISTS");

        Answer rotated = call(http, port, "POST", "/v1/keys/" + enc("cmk/adminapi") + "/rotate", null);
        assertEquals(200, rotated.status(), rotated.body().encode());
        assertEquals(2, rotated.body().getInteger("primaryVersion"));
        assertEquals(2, rotated.body().getJsonArray("versions").size());

        Answer listed = call(http, port, "GET", "/v1/keys?prefix=cmk/", null);
        assertEquals(200, listed.status());
        JsonArray keys = listed.body().getJsonArray("keys");
        assertEquals(1, keys.size(), keys.encode());
        assertEquals("cmk/adminapi", keys.getJsonObject(0).getString("id"));
        assertEquals(2, keys.getJsonObject(0).getJsonArray("versions").size());

        Answer disabled = call(http, port, "POST", "/v1/keys/" + enc("cmk/adminapi") + "/versions/1/disable", null);
        assertEquals(200, disabled.status(), disabled.body().encode());
        assertEquals("DISABLED", version(disabled.body(), 1).getString("state"));
        Answer described = call(http, port, "GET", "/v1/keys/" + enc("cmk/adminapi"), null);
        assertEquals("DISABLED", version(described.body(), 1).getString("state"));
        Answer enabled = call(http, port, "POST", "/v1/keys/" + enc("cmk/adminapi") + "/versions/1/enable", null);
        assertEquals(200, enabled.status(), enabled.body().encode());
        assertEquals("ENABLED", version(enabled.body(), 1).getString("state"));

        Answer policy = call(http, port, "PUT", "/v1/keys/" + enc("cmk/adminapi") + "/rotation-policy",
            "{\"periodSeconds\":86400}");
        assertEquals(200, policy.status(), policy.body().encode());
        assertEquals(86_400L, policy.body().getLong("rotationPeriodSeconds"));

        Answer scope = call(http, port, "POST", "/v1/accounts/" + DevCluster.DEV_ACCOUNT + "/scopes",
            "{\"name\":\"ledger\"}");
        assertEquals(201, scope.status(), scope.body().encode());
        Answer scopes = call(http, port, "GET", "/v1/accounts/" + DevCluster.DEV_ACCOUNT + "/scopes", null);
        assertEquals("ledger", scopes.body().getJsonArray("scopes").getJsonObject(0).getString("scope"));

        // Stable JSON errors.
        assertError(call(http, port, "GET", "/v1/keys/" + enc("cmk/nosuch"), null), 404, "UNKNOWN_KEY");
        assertError(call(http, port, "POST", "/v1/keys", "{\"id\":"), 400, "INVALID_JSON");
        assertError(call(http, port, "POST", "/v1/keys", "{\"id\":42}"), 400, "INVALID_REQUEST");
        assertError(call(http, port, "POST", "/v1/keys", "{}"), 400, "INVALID_REQUEST");
        assertError(call(http, port, "GET", "/v1/nothing", null), 404, "NOT_FOUND");
        assertError(call(http, port, "DELETE", "/v1/keys", null), 405, "METHOD_NOT_ALLOWED");
        assertError(call(http, port, "GET", "/v1/jobs/not-a-job", null), 404, "JOB_NOT_FOUND");
        char[] big = new char[AdminApiConfig.DEFAULT_MAX_BODY_BYTES + 1];
        Arrays.fill(big, 'x');
        // Repeated: the 413 must reach the client every time, not be lost to a connection reset
        // (the server closed while the body was still arriving; a CI run saw "no bytes").
        for (int i = 0; i < 20; i++) {
          assertError(call(http, port, "POST", "/v1/keys", "{\"id\":\"" + new String(big) + "\"}"), 413,
              "BODY_TOO_LARGE");
        }

        // No client certificate: the TLS handshake is refused. A cluster certificate that is not allowed: 403.
        HttpClient anonymous = HttpClient.newBuilder().sslContext(anonymousContext(cluster)).build();
        URI keysUri = URI.create("https://127.0.0.1:" + port + "/v1/keys");
        assertThrows(IOException.class, () -> anonymous.send(HttpRequest.newBuilder(keysUri).build(),
            HttpResponse.BodyHandlers.ofString()));
        HttpClient gateway = client(TlsMaterial.load(cluster.tlsDir(), "gateway"));
        assertError(call(gateway, port, "GET", "/v1/keys", null), 403, "IDENTITY_NOT_ALLOWED");

        // Audit verify over the agent's real log.
        Answer audit = call(http, port, "GET", "/v1/audit/verify", null);
        assertEquals(200, audit.status(), audit.body().encode());
        assertTrue(audit.body().getBoolean("intact"), audit.body().encode());
        assertTrue(audit.body().getLong("records") > 5, audit.body().encode());

        // A rewrap job after a rotation of the account key, as a resource.
        BlobContainerClient c = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
            .buildClient().getBlobContainerClient("adminapi");
        c.create();
        int blobs = 12;
        for (int i = 0; i < blobs; i++) {
          c.getBlobClient("b" + i).upload(BinaryData.fromString("written under version 1: " + i));
        }
        Answer rotatedAccount = call(http, port, "POST", "/v1/keys/" + enc(ACCOUNT_KEY) + "/rotate", null);
        assertEquals(2, rotatedAccount.body().getInteger("primaryVersion"), rotatedAccount.body().encode());
        Thread.sleep(1100);  // the walk must begin after the last second version 1 wrapped a DEK
        assertError(call(http, port, "PUT", "/v1/keys/" + enc(ACCOUNT_KEY) + "/min-decryption-version",
            "{\"version\":2}"), 409, "VERSION_IN_USE");

        Answer started = call(http, port, "POST", "/v1/jobs/rewrap", "{\"key\":\"" + ACCOUNT_KEY + "\"}");
        assertEquals(202, started.status(), started.body().encode());
        String id = started.body().getString("id");
        assertEquals("/v1/jobs/" + id, started.raw().headers().firstValue("Location").orElse(""));
        JsonObject done = awaitJob(http, port, id, "succeeded");
        JsonObject progress = done.getJsonObject("progress");
        assertTrue(progress.getLong("rewrapped") >= blobs, done.encode());
        assertEquals(0L, progress.getLong("failed"), done.encode());
        assertEquals(progress.getInteger("partitions"), progress.getInteger("partitionsDone"), done.encode());
        JsonObject perVersion = done.getJsonObject("report").getJsonObject("liveDeksPerVersion");
        assertEquals(Set.of("2"), perVersion.fieldNames(), done.encode());
        assertTrue(done.getJsonObject("report").getBoolean("censusReported"), done.encode());
        System.out.println("AdminApiIT: rewrap job " + done.encode());

        // The census it reported lets version 1 retire now; old blobs still read.
        Answer retired = call(http, port, "PUT", "/v1/keys/" + enc(ACCOUNT_KEY) + "/min-decryption-version",
            "{\"version\":2}");
        assertEquals(200, retired.status(), retired.body().encode());
        assertEquals("written under version 1: 3", c.getBlobClient("b3").downloadContent().toString());
        Answer census = call(http, port, "GET", "/v1/keys/" + enc(ACCOUNT_KEY) + "/census", null);
        assertEquals(200, census.status(), census.body().encode());
        assertNotNull(census.body().getString("censusStarted"));

        // A job the server was running when it stopped resumes at the next start from its state file.
        server.close();
        Path record = jobs.resolve(id + ".json");
        JsonObject r = new JsonObject(Files.readString(record));
        Files.writeString(record, r.put("status", "running").encode());
        server = startServer(cluster, agent, nodes, jobs);
        port = server.port();
        JsonObject resumed = awaitJob(http, port, id, "succeeded");
        assertEquals(1, resumed.getInteger("resumed"), resumed.encode());
        assertEquals(0L, resumed.getJsonObject("progress").getLong("rewrappedThisRun"), resumed.encode());
        assertEquals(200, call(http, port, "DELETE", "/v1/jobs/" + id, null).status());
        assertFalse(Files.exists(record));
      } finally {
        server.close();
      }
    }
  }

  /**
   * Key sources over the API (ADR 0031, ADR 0033 addendum): show the account's service-managed source,
   * refusals of a switch to a missing, disabled or deleted customer key as 4xx with the agent's code
   * (and nothing changed), a scope pinned to a version, then the account switched to a customer key
   * with {@code "rewrap":true}: the owner-mode rewrap job runs to completion and its census, the
   * agent's census and the stored records all show every DEK of the account on the customer key.
   */
  @Test
  void setsAndShowsKeySourcesRefusesUnusableKeysAndRewrapsAfterASwitch() throws Exception {
    DevCluster.Options options = DevCluster.Options.defaults(data).withBlobPort(0).withTablePort(0).withQueuePort(0);
    try (DevCluster cluster = DevCluster.start(options);
        KeyAdminClient agent = StoredDeks.agent(cluster);
        MetadataPartitionsClient nodes = StoredDeks.nodes(cluster);
        AdminApiServer server = startServer(cluster, agent, nodes, jobs)) {
      int port = server.port();
      HttpClient http = client(TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN));
      String account = DevCluster.DEV_ACCOUNT;
      String sourcePath = "/v1/accounts/" + account + "/key-source";

      BlobContainerClient c = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .buildClient().getBlobContainerClient("keysource");
      c.create();
      int blobs = 10;
      for (int i = 0; i < blobs; i++) {
        c.getBlobClient("b" + i).upload(BinaryData.fromString("written under the service key: " + i));
      }

      Answer shown = call(http, port, "GET", sourcePath, null);
      assertEquals(200, shown.status(), shown.body().encode());
      assertTrue(shown.body().getBoolean("serviceManaged"), shown.body().encode());
      assertEquals(ACCOUNT_KEY, shown.body().getString("owner"));
      assertEquals(ACCOUNT_KEY, shown.body().getString("effectiveKey"), shown.body().encode());

      // Refusals: 4xx with the agent's code, and the source stays as it was.
      assertError(call(http, port, "PUT", sourcePath, "{\"backend\":\"local\",\"key\":\"cmk/nosuch\"}"), 404,
          "UNKNOWN_KEY");
      assertEquals(201, call(http, port, "POST", "/v1/keys", "{\"id\":\"cmk/disabledks\"}").status());
      assertEquals(200, call(http, port, "POST", "/v1/keys/" + enc("cmk/disabledks") + "/versions/1/disable",
          null).status());
      assertError(call(http, port, "PUT", sourcePath, "{\"backend\":\"local\",\"key\":\"cmk/disabledks\"}"),
          409, "KEY_DISABLED");
      assertEquals(201, call(http, port, "POST", "/v1/keys", "{\"id\":\"cmk/deletedks\"}").status());
      assertEquals(200, call(http, port, "DELETE", "/v1/keys/" + enc("cmk/deletedks"), null).status());
      assertError(call(http, port, "PUT", sourcePath, "{\"backend\":\"local\",\"key\":\"cmk/deletedks\"}"),
          409, "KEY_DELETED");
      assertError(call(http, port, "PUT", sourcePath, "{\"backend\":\"local\"}"), 400, "INVALID_REQUEST");
      assertError(call(http, port, "PUT", sourcePath, "{\"serviceManaged\":true,\"key\":\"cmk/x\"}"), 400,
          "INVALID_REQUEST");
      assertError(call(http, port, "PUT", sourcePath, "{\"backend\":\"local\",\"key\":\"cmk/x\",\"version\":0}"),
          400, "INVALID_REQUEST");
      assertError(call(http, port, "PUT", "/v1/accounts/NOPE/key-source", "{\"serviceManaged\":true}"), 400,
          "INVALID_REQUEST");
      assertError(call(http, port, "POST", sourcePath, null), 405, "METHOD_NOT_ALLOWED");
      assertError(call(http, port, "POST", "/v1/jobs/rewrap", "{\"key\":\"" + ACCOUNT_KEY + "\",\"account\":\""
          + account + "\"}"), 400, "INVALID_REQUEST");
      assertTrue(call(http, port, "GET", sourcePath, null).body().getBoolean("serviceManaged"));

      // A scope's own source, pinned to a version.
      assertEquals(201, call(http, port, "POST", "/v1/keys", "{\"id\":\"cmk/ledgerks\"}").status());
      assertEquals(200, call(http, port, "POST", "/v1/keys/" + enc("cmk/ledgerks") + "/rotate", null).status());
      assertEquals(201, call(http, port, "POST", "/v1/accounts/" + account + "/scopes", "{\"name\":\"ledger\"}")
          .status());
      String scopePath = "/v1/accounts/" + account + "/scopes/ledger/key-source";
      Answer pinned = call(http, port, "PUT", scopePath,
          "{\"backend\":\"local\",\"key\":\"cmk/ledgerks\",\"version\":1}");
      assertEquals(200, pinned.status(), pinned.body().encode());
      assertEquals(1, pinned.body().getInteger("version"), pinned.body().encode());
      assertEquals("cmk/ledgerks", pinned.body().getString("effectiveKey"));
      assertEquals(1, pinned.body().getInteger("effectiveVersion"));
      Answer scopeShown = call(http, port, "GET", scopePath, null);
      assertEquals("ledger", scopeShown.body().getString("scope"), scopeShown.body().encode());
      assertFalse(scopeShown.body().getBoolean("serviceManaged"));
      assertTrue(call(http, port, "GET", sourcePath, null).body().getBoolean("serviceManaged"),
          "the scope's source is its own, not the account's");

      // The switch, with its rewrap job.
      assertEquals(201, call(http, port, "POST", "/v1/keys", "{\"id\":\"cmk/contosoks\"}").status());
      Thread.sleep(1100);  // the census walk must begin after the last second the service key wrapped a DEK
      Answer switched = call(http, port, "PUT", sourcePath,
          "{\"backend\":\"local\",\"key\":\"cmk/contosoks\",\"version\":\"latest\",\"rewrap\":true}");
      assertEquals(200, switched.status(), switched.body().encode());
      assertFalse(switched.body().getBoolean("serviceManaged"));
      assertEquals("latest", switched.body().getString("version"));
      assertEquals("cmk/contosoks", switched.body().getString("key"));
      assertEquals("local", switched.body().getString("backend"));
      assertNotNull(switched.body().getString("changed"));
      JsonObject started = switched.body().getJsonObject("job");
      assertEquals(account, started.getString("account"), started.encode());
      JsonObject done = awaitJob(http, port, started.getString("id"), "succeeded");
      System.out.println("AdminApiIT: rewrap job after a key-source switch " + done.encode());
      JsonObject report = done.getJsonObject("report");
      assertEquals("cmk/contosoks", report.getString("targetKey"), done.encode());
      assertEquals(new JsonObject().put("1", (long) blobs), report.getJsonObject("liveDeksPerVersion"), done.encode());
      assertEquals(new JsonObject(), report.getJsonObject("liveDeksPerKey").getJsonObject(ACCOUNT_KEY), done.encode());
      assertEquals((long) blobs, done.getJsonObject("progress").getLong("rewrapped"), done.encode());

      Answer census = call(http, port, "GET", "/v1/keys/" + enc("cmk/contosoks") + "/census", null);
      assertEquals(blobs, census.body().getJsonArray("versions").getJsonObject(0).getLong("censusDeks"),
          census.body().encode());
      Answer serviceCensus = call(http, port, "GET", "/v1/keys/" + enc(ACCOUNT_KEY) + "/census", null);
      JsonArray serviceVersions = serviceCensus.body().getJsonArray("versions");
      for (int i = 0; i < serviceVersions.size(); i++) {
        assertEquals(0L, serviceVersions.getJsonObject(i).getLong("censusDeks"), serviceCensus.body().encode());
      }
      assertEquals(Map.of("cmk/contosoks v1", (long) blobs), StoredDeks.byKeyVersion(nodes, account));
      assertEquals("written under the service key: 7", c.getBlobClient("b7").downloadContent().toString());

      // Back to service-managed (no job asked for: the DEKs stay where they are until one runs).
      Answer back = call(http, port, "PUT", sourcePath, "{\"serviceManaged\":true}");
      assertEquals(200, back.status(), back.body().encode());
      assertTrue(back.body().getBoolean("serviceManaged"));
      assertNull(back.body().getValue("job"));
    }
  }

  private static SSLContext anonymousContext(DevCluster cluster) throws Exception {
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN).trustManagers(), null);
    return ssl;
  }
}
