package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.cobalt.cli.admin.AdminCommand;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Revocation as an Azure SDK client sees it, on a real dev cluster: the operator disables the
 * account key's version with {@code cobalt admin keys disable} → within 5 s Get Blob and Put Blob
 * answer 403 KeyVaultEncryptionKeyNotFound while List Blobs (no metadata), Delete Blob and
 * container operations proceed → {@code cobalt admin keys enable} → every blob reads back
 * byte-equal. Prints the measured delay.
 */
class KeyRevocationIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  private static final String ACCOUNT_KEY = "account/" + DevCluster.DEV_ACCOUNT;
  private static final Duration REVOCATION_BOUND = Duration.ofSeconds(5);
  /** One try: a refused request must be seen as it is, not retried away. */
  private static final RequestRetryOptions NO_RETRY =
      new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofSeconds(30), null, null, null);

  @TempDir
  static Path data;

  private static DevCluster cluster;
  private static BlobServiceClient service;

  @BeforeAll
  static void startCluster() throws Exception {
    System.out.println("KeyRevocationIT seed " + SEED + " (replay with -Dcobalt.seed=" + SEED + ")");
    cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0));
    service = new BlobServiceClientBuilder().connectionString(cluster.connectionString()).retryOptions(NO_RETRY)
        .buildClient();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** {@code cobalt admin keys ARGS --kms … --tls-dir <data>/tls} in-process (identity admin); its exit code. */
  private static int adminKeys(String... args) {
    List<String> all = new java.util.ArrayList<>(List.of("keys"));
    all.addAll(List.of(args));
    all.addAll(List.of("--kms", cluster.options().host() + ":" + cluster.kmsPort(),
        "--tls-dir", cluster.tlsDir().toString()));
    StringWriter err = new StringWriter();
    CommandLine cl = AdminCommand.commandLine();
    cl.setOut(new PrintWriter(new StringWriter(), true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(all.toArray(new String[0]));
    assertEquals(0, exit, "cobalt admin keys " + String.join(" ", args) + ": " + err);
    return exit;
  }

  private static GetKeyResponse describeAccountKey() throws Exception {
    try (KeyAdminClient admin = KeyAdminClient.connect(cluster.options().host() + ":" + cluster.kmsPort(),
        TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN))) {
      return admin.describe(ACCOUNT_KEY);
    }
  }

  private static void assertKeyVaultKeyNotFound(BlobStorageException e) {
    assertEquals(403, e.getStatusCode(), e.getMessage());
    assertEquals("KeyVaultEncryptionKeyNotFound", e.getErrorCode().toString(), e.getMessage());
  }

  @Test
  void disablingTheAccountKeyRefusesDataWithin5SecondsAndReEnablingRestoresEverything() throws Exception {
    Random random = new Random(SEED);
    BlobContainerClient c = service.getBlobContainerClient("revocation");
    c.create();
    Map<String, byte[]> blobs = new LinkedHashMap<>();
    int[] sizes = {0, 1, 4096, 64 * 1024 + 7, 3 * 1024 * 1024 + 11, 9 * 1024 * 1024};
    for (int i = 0; i < sizes.length; i++) {
      byte[] b = new byte[sizes[i]];
      random.nextBytes(b);
      blobs.put("blob-" + i, b);
      c.getBlobClient("blob-" + i).upload(BinaryData.fromBytes(b));
    }
    c.getBlobClient("to-delete").upload(BinaryData.fromString("short-lived"));

    GetKeyResponse key = describeAccountKey();
    int version = key.getPrimaryVersion();
    assertTrue(version >= 1, "the account key exists after the uploads: " + key);

    // Disable the version, then ask for a blob as fast as we can until the gateway refuses.
    long start = System.nanoTime();
    adminKeys("disable", ACCOUNT_KEY, "--version", Integer.toString(version), "--force"); // revocation of a version in use
    long acknowledged = System.nanoTime();
    BlobStorageException refused = null;
    int attempts = 0;
    while (refused == null && System.nanoTime() - start < REVOCATION_BOUND.toNanos() * 2) {
      attempts++;
      try {
        c.getBlobClient("blob-2").downloadContent();
      } catch (BlobStorageException e) {
        refused = e;
      }
    }
    long refusedAt = System.nanoTime();
    Duration delay = Duration.ofNanos(refusedAt - start);
    System.out.printf("KeyRevocationIT: revocation delay %.1f ms from the disable command (%.1f ms after the agent"
            + " acknowledged it), %d Get Blob attempt(s) until the first 403%n",
        delay.toNanos() / 1e6, (refusedAt - acknowledged) / 1e6, attempts);
    assertTrue(refused != null, "Get Blob still succeeds " + delay + " after the key was disabled");
    assertKeyVaultKeyNotFound(refused);
    assertTrue(delay.compareTo(REVOCATION_BOUND) <= 0, "revocation took " + delay);

    // Reads and writes of data are refused ...
    for (String name : blobs.keySet()) {
      assertKeyVaultKeyNotFound(assertThrows(BlobStorageException.class,
          () -> c.getBlobClient(name).downloadContent(), name));
    }
    assertKeyVaultKeyNotFound(assertThrows(BlobStorageException.class,
        () -> c.getBlobClient("blob-1").upload(BinaryData.fromString("overwrite"), true)));
    assertKeyVaultKeyNotFound(assertThrows(BlobStorageException.class,
        () -> c.getBlobClient("written-while-revoked").upload(BinaryData.fromBytes(new byte[100_000]))));

    // ... what needs no key proceeds.
    List<String> names = c.listBlobs().stream().map(BlobItem::getName).sorted().collect(Collectors.toList());
    List<String> expected = new java.util.ArrayList<>(blobs.keySet());
    expected.add("to-delete");
    expected.sort(null);
    assertEquals(expected, names);
    c.getBlobClient("to-delete").delete();
    assertFalse(c.getBlobClient("to-delete").exists());
    BlobContainerClient other = service.getBlobContainerClient("created-while-revoked");
    other.create();
    assertTrue(other.exists());
    other.delete();
    assertFalse(other.exists());

    // Re-enable: everything is back, nothing lost, nothing half-written.
    adminKeys("enable", ACCOUNT_KEY, "--version", Integer.toString(version));
    for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
      assertArrayEquals(e.getValue(), c.getBlobClient(e.getKey()).downloadContent().toBytes(),
          e.getKey() + " seed " + SEED);
    }
    assertFalse(c.getBlobClient("written-while-revoked").exists(), "a refused Put Blob left a blob");
    c.getBlobClient("after").upload(BinaryData.fromString("after re-enable"));
    assertEquals("after re-enable", c.getBlobClient("after").downloadContent().toString());
  }
}
