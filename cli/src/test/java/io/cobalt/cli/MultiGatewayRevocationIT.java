package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.GatewayServer;
import io.cobalt.gateway.KeyCacheConfig;
import io.cobalt.gateway.encryption.CachingKeyClient;
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

/**
 * Revocation with warm DEK caches on TWO gateways over the same nodes and kms-agent: both serve reads
 * from their caches (TTL 5 min), the operator disables the account key's version, and the agent's
 * key event stream makes both refuse with 403 KeyVaultEncryptionKeyNotFound within 5 s — cache
 * expiry alone would take minutes. Re-enabling restores every blob on both. Prints the delays.
 */
class MultiGatewayRevocationIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  private static final String ACCOUNT_KEY = "account/" + DevCluster.DEV_ACCOUNT;
  private static final Duration REVOCATION_BOUND = Duration.ofSeconds(5);
  private static final RequestRetryOptions NO_RETRY =
      new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofSeconds(30), null, null, null);

  @TempDir
  static Path data;

  private static DevCluster cluster;
  private static GatewayServer second;
  private static BlobServiceClient viaFirst;
  private static BlobServiceClient viaSecond;

  @BeforeAll
  static void startCluster() throws Exception {
    System.out.println("MultiGatewayRevocationIT seed " + SEED + " (replay with -Dcobalt.seed=" + SEED + ")");
    cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0));
    second = cluster.startAnotherGateway(KeyCacheConfig.defaults());
    viaFirst = new BlobServiceClientBuilder().connectionString(cluster.connectionString()).retryOptions(NO_RETRY)
        .buildClient();
    String secondEndpoint = "http://" + cluster.options().host() + ":" + second.blobPort() + "/" + DevCluster.DEV_ACCOUNT;
    viaSecond = new BlobServiceClientBuilder()
        .connectionString(cluster.connectionString().replace(cluster.blobEndpoint(), secondEndpoint))
        .retryOptions(NO_RETRY).buildClient();
  }

  @AfterAll
  static void stopCluster() {
    if (second != null) {
      second.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static KeyAdminClient admin() throws Exception {
    return KeyAdminClient.connect(cluster.options().host() + ":" + cluster.kmsPort(),
        TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN));
  }

  private static boolean refused(BlobContainerClient c, String blob) {
    try {
      c.getBlobClient(blob).downloadContent();
      return false;
    } catch (BlobStorageException e) {
      assertKeyVaultKeyNotFound(e);
      return true;
    }
  }

  private static void assertKeyVaultKeyNotFound(BlobStorageException e) {
    assertEquals(403, e.getStatusCode(), e.getMessage());
    assertEquals("KeyVaultEncryptionKeyNotFound", e.getErrorCode().toString(), e.getMessage());
  }

  @Test
  void disablingTheKeyReachesBothWarmGatewaysWithin5SecondsAndReEnablingRestoresEverything() throws Exception {
    Random random = new Random(SEED);
    BlobContainerClient a = viaFirst.getBlobContainerClient("multi-revocation");
    a.create();
    BlobContainerClient b = viaSecond.getBlobContainerClient("multi-revocation");
    Map<String, byte[]> blobs = new LinkedHashMap<>();
    int[] sizes = {0, 1, 4096, 64 * 1024 + 7, 5 * 1024 * 1024 + 3};
    for (int i = 0; i < sizes.length; i++) {
      byte[] bytes = new byte[sizes[i]];
      random.nextBytes(bytes);
      blobs.put("blob-" + i, bytes);
      (i % 2 == 0 ? a : b).getBlobClient("blob-" + i).upload(BinaryData.fromBytes(bytes));
    }
    a.getBlobClient("to-delete").upload(BinaryData.fromString("short-lived"));

    // Warm both caches: every blob read twice through each gateway.
    for (int round = 0; round < 2; round++) {
      for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
        assertArrayEquals(e.getValue(), a.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey());
        assertArrayEquals(e.getValue(), b.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey());
      }
    }
    CachingKeyClient.Stats firstWarm = cluster.gatewayKeyCacheStats();
    CachingKeyClient.Stats secondWarm = second.keyCacheStats();
    System.out.println("MultiGatewayRevocationIT: warm caches: first " + firstWarm + ", second " + secondWarm);
    assertNotNull(firstWarm);
    assertTrue(firstWarm.streamHealthy() && secondWarm.streamHealthy(), "both key event streams are up");
    assertTrue(firstWarm.hits() >= blobs.size() && secondWarm.hits() >= blobs.size(),
        "reads were served from the caches: " + firstWarm + " / " + secondWarm);

    int version;
    long start;
    long acknowledged;
    try (KeyAdminClient admin = admin()) {
      version = admin.describe(ACCOUNT_KEY).getPrimaryVersion();
      start = System.nanoTime();
      admin.setVersionState(ACCOUNT_KEY, version, false, true); // revocation of a version in use: force (ADR 0013)
      acknowledged = System.nanoTime();
    }
    long firstRefusedAt = 0;
    long secondRefusedAt = 0;
    int attempts = 0;
    while ((firstRefusedAt == 0 || secondRefusedAt == 0)
        && System.nanoTime() - start < REVOCATION_BOUND.toNanos() * 3) {
      attempts++;
      if (firstRefusedAt == 0 && refused(a, "blob-2")) {
        firstRefusedAt = System.nanoTime();
      }
      if (secondRefusedAt == 0 && refused(b, "blob-2")) {
        secondRefusedAt = System.nanoTime();
      }
    }
    assertTrue(firstRefusedAt != 0, "the first gateway still serves the blob 15 s after the disable");
    assertTrue(secondRefusedAt != 0, "the second gateway still serves the blob 15 s after the disable");
    Duration first = Duration.ofNanos(firstRefusedAt - start);
    Duration secondDelay = Duration.ofNanos(secondRefusedAt - start);
    System.out.printf("MultiGatewayRevocationIT: revocation delay %.1f ms (first gateway), %.1f ms (second gateway)"
            + " from the disable call; the agent acknowledged after %.1f ms; %d round(s) of Get Blob; %d cores,"
            + " load average %.2f%n",
        first.toNanos() / 1e6, secondDelay.toNanos() / 1e6, (acknowledged - start) / 1e6, attempts,
        Runtime.getRuntime().availableProcessors(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    assertTrue(first.compareTo(REVOCATION_BOUND) <= 0, "first gateway: revocation took " + first);
    assertTrue(secondDelay.compareTo(REVOCATION_BOUND) <= 0, "second gateway: revocation took " + secondDelay);

    for (String name : blobs.keySet()) {
      assertTrue(refused(a, name), name);
      assertTrue(refused(b, name), name);
    }
    assertKeyVaultKeyNotFound(assertThrows(BlobStorageException.class,
        () -> b.getBlobClient("written-while-revoked").upload(BinaryData.fromString("x"))));
    List<String> expected = new java.util.ArrayList<>(blobs.keySet());
    expected.add("to-delete");
    expected.sort(null);
    assertEquals(expected, b.listBlobs().stream().map(BlobItem::getName).sorted().collect(Collectors.toList()));
    b.getBlobClient("to-delete").delete();
    assertFalse(a.getBlobClient("to-delete").exists());

    try (KeyAdminClient admin = admin()) {
      admin.setVersionState(ACCOUNT_KEY, version, true);
    }
    for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
      assertArrayEquals(e.getValue(), a.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey() + " seed " + SEED);
      assertArrayEquals(e.getValue(), b.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey() + " seed " + SEED);
    }
    assertFalse(a.getBlobClient("written-while-revoked").exists(), "a refused Put Blob left a blob");
  }
}
