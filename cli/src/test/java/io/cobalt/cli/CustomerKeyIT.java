package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobContainerEncryptionScope;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.CustomerProvidedKey;
import com.azure.storage.blob.models.ParallelTransferOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.cobalt.cli.admin.AdminCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Customer-provided keys and encryption scopes (ADR 0023) on a dev cluster with a real kms-agent,
 * through the official SDK over HTTPS: {@code getCustomerProvidedKeyClient} (single-shot and
 * chunked uploads, reads, a read without the key), a scope created with
 * {@code cobalt admin scopes create} as a container default ({@code BlobContainerEncryptionScope})
 * and per client ({@code encryptionScope}), and a key sent over plain HTTP refused.
 */
class CustomerKeyIT {
  private static final RequestRetryOptions NO_RETRY =
      new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofSeconds(30), null, null, null);
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir
  static Path data;

  private static DevCluster cluster;
  private static BlobServiceClient service;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0).withHttps(0));
    service = sdk().buildClient();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static BlobServiceClientBuilder sdk() throws Exception {
    return new BlobServiceClientBuilder().connectionString(cluster.connectionString())
        .httpClient(DevHttpsIT.trusting(cluster.caCertificate())).retryOptions(NO_RETRY);
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static String admin(String... args) {
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.addAll(List.of("--kms", cluster.options().host() + ":" + cluster.kmsPort(), "--tls-dir", cluster.tlsDir().toString()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = AdminCommand.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(all.toArray(new String[0]));
    assertEquals(0, exit, "cobalt admin " + String.join(" ", args) + ": " + err);
    return out.toString();
  }

  @Test
  void customerProvidedKeysOverHttpsWithTheSdk() {
    BlobContainerClient c = service.createBlobContainer("cpk");
    CustomerProvidedKey key = new CustomerProvidedKey(random(32));
    BlobClient plain = c.getBlobClient("secret.bin");
    BlobClient withKey = plain.getCustomerProvidedKeyClient(key);

    byte[] small = random(200_000);
    assertEquals(key.getKeySha256(), withKey.getBlockBlobClient().upload(BinaryData.fromBytes(small), true)
        .getEncryptionKeySha256());
    assertArrayEquals(small, withKey.downloadContent().toBytes());
    assertEquals(key.getKeySha256(), withKey.getProperties().getEncryptionKeySha256());

    BlobStorageException noKey = assertThrows(BlobStorageException.class, () -> plain.downloadContent());
    assertEquals(409, noKey.getStatusCode());
    assertEquals(BlobErrorCode.BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION, noKey.getErrorCode());
    BlobStorageException wrong = assertThrows(BlobStorageException.class,
        () -> plain.getCustomerProvidedKeyClient(new CustomerProvidedKey(random(32))).downloadContent());
    assertEquals(409, wrong.getStatusCode());
    assertEquals("BlobCustomerSpecifiedEncryptionMismatch", wrong.getErrorCode().toString());

    // Chunked upload: Put Block with the key for every block, Put Block List with the key.
    byte[] big = random(9 * 1024 * 1024 + 17);
    BlobClient chunked = c.getBlobClient("big.bin").getCustomerProvidedKeyClient(key);
    chunked.uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromBytes(big)).setParallelTransferOptions(
        new ParallelTransferOptions().setBlockSizeLong(4L * 1024 * 1024).setMaxSingleUploadSizeLong(4L * 1024 * 1024)),
        null, null);
    assertArrayEquals(big, chunked.downloadContent().toBytes());
    assertEquals(409, assertThrows(BlobStorageException.class,
        () -> c.getBlobClient("big.bin").downloadContent()).getStatusCode());
  }

  @Test
  void aKeyOverPlainHttpIsRefused() throws Exception {
    BlobServiceClient overHttp = new BlobServiceClientBuilder().connectionString(
        "DefaultEndpointsProtocol=http;AccountName=" + DevCluster.DEV_ACCOUNT + ";AccountKey=" + DevCluster.DEV_ACCOUNT_KEY
            + ";BlobEndpoint=http://127.0.0.1:" + cluster.httpPort() + "/" + DevCluster.DEV_ACCOUNT + ";")
        .retryOptions(NO_RETRY).buildClient();
    BlobContainerClient c = overHttp.createBlobContainer("cpk-http");
    String sas = c.generateSas(new BlobServiceSasSignatureValues(
        OffsetDateTime.now(ZoneOffset.UTC).plusHours(1), BlobContainerSasPermission.parse("rcw")));
    byte[] key = random(32);
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + cluster.httpPort() + "/" + DevCluster.DEV_ACCOUNT + "/cpk-http/b?" + sas))
        .header("x-ms-version", "2025-11-05").header("x-ms-blob-type", "BlockBlob")
        .header("x-ms-encryption-key", Base64.getEncoder().encodeToString(key))
        .header("x-ms-encryption-key-sha256",
            Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(key)))
        .header("x-ms-encryption-algorithm", "AES256")
        .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, r.statusCode(), r.body());
    assertFalse(c.getBlobClient("b").exists());
  }

  @Test
  void encryptionScopesCreatedByTheOperator() throws Exception {
    String created = admin("scopes", "create", "--account", DevCluster.DEV_ACCOUNT, "finance");
    assertTrue(created.contains("account/" + DevCluster.DEV_ACCOUNT + "/scope/finance"), created);
    assertTrue(admin("scopes", "list", "--account", DevCluster.DEV_ACCOUNT).contains("/scope/finance"));

    sdk().blobContainerEncryptionScope(new BlobContainerEncryptionScope().setDefaultEncryptionScope("finance")
        .setEncryptionScopeOverridePrevented(true)).buildClient().getBlobContainerClient("ledger").create();
    BlobContainerClient ledger = service.getBlobContainerClient("ledger");
    assertEquals("finance", ledger.getProperties().getDefaultEncryptionScope());
    assertTrue(ledger.getProperties().isEncryptionScopeOverridePrevented());
    ledger.getBlobClient("q1").upload(BinaryData.fromString("numbers"));
    assertEquals("finance", ledger.getBlobClient("q1").getProperties().getEncryptionScope());
    assertEquals("numbers", ledger.getBlobClient("q1").downloadContent().toString());

    // The account key is another scope: refused on a container that denies overrides, with the
    // code a recorded service response gives (ADR 0023).
    BlobStorageException denied = assertThrows(BlobStorageException.class, () -> sdk()
        .encryptionScope("$account-encryption-key").buildClient().getBlobContainerClient("ledger")
        .getBlobClient("q2").upload(BinaryData.fromString("x")));
    assertEquals(403, denied.getStatusCode());
    assertEquals("RequestForbiddenByContainerEncryptionPolicy", denied.getErrorCode().toString());

    // Per client, on an ordinary container; an unknown scope is refused.
    BlobContainerClient open = service.createBlobContainer("open");
    BlobClient scoped = sdk().encryptionScope("finance").buildClient().getBlobContainerClient("open").getBlobClient("s");
    scoped.upload(BinaryData.fromString("scoped"));
    assertEquals("finance", open.getBlobClient("s").getProperties().getEncryptionScope());
    assertEquals("scoped", open.getBlobClient("s").downloadContent().toString());
    BlobStorageException unknown = assertThrows(BlobStorageException.class, () -> sdk().encryptionScope("nope-scope")
        .buildClient().getBlobContainerClient("open").getBlobClient("u").upload(BinaryData.fromString("u")));
    assertEquals(400, unknown.getStatusCode());

    // A disabled scope refuses its data (403), as a revoked key does; enabling restores it.
    admin("keys", "disable", "account/" + DevCluster.DEV_ACCOUNT + "/scope/finance", "--version", "1", "--force");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    BlobStorageException revoked = null;
    while (revoked == null && System.nanoTime() < deadline) {
      try {
        open.getBlobClient("s").downloadContent();
        Thread.sleep(100);
      } catch (BlobStorageException e) {
        revoked = e;
      }
    }
    assertTrue(revoked != null, "a disabled scope's data stays readable");
    assertEquals(403, revoked.getStatusCode());
    admin("keys", "enable", "account/" + DevCluster.DEV_ACCOUNT + "/scope/finance", "--version", "1");
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    String back = null;
    while (back == null && System.nanoTime() < until) {
      try {
        back = open.getBlobClient("s").downloadContent().toString();
      } catch (BlobStorageException e) {
        Thread.sleep(100);
      }
    }
    assertEquals("scoped", back);
  }
}
