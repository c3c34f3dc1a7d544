package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobContainerEncryptionScope;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.models.ParallelTransferOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.cobalt.cli.admin.AdminCommand;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.MetadataPartitionsClient;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.NodeEndpoint;
import io.cobalt.proto.kms.v1.DekCensusResponse;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.DekHolder;
import io.cobalt.proto.node.v1.QueryResult;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 4 point 7: an account whose data keys are wrapped by a key in an HSM (a SoftHSM2 token over
 * PKCS#11) and an encryption scope whose data keys are wrapped by a key on a KMIP server (PyKMIP) store
 * and read blobs through the gateway, judged by the Azure SDK for Java. One dev cluster, configured as
 * {@code cobalt dev --key-backends FILE} configures it; the keys are created and assigned with
 * {@code cobalt admin}; the nodes' stored records and the agent's census show which key wraps each DEK;
 * disabling a key refuses its data (403 KeyVaultEncryptionKeyNotFound) and only its data; enabling it
 * again restores reads.
 */
class HsmAndKmipAccountIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  private static final String ACCOUNT = DevCluster.DEV_ACCOUNT;
  private static final String HSM_KEY = "cmk/hsm-contoso";
  private static final String KMIP_KEY = "cmk/kmip-fabrikam";
  private static final String SCOPE = "kmip-scope";
  /**
   * 0 B, 1 B, some KiB, one single-shot upload of two chunks (a chunk holds 4 MiB), and one staged in
   * four blocks of 2 MiB or less.
   */
  private static final int[] SIZES = {0, 1, 70_003, 5 * 1024 * 1024 + 7, 6 * 1024 * 1024 + 11};
  private static final RequestRetryOptions NO_RETRY =
      new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofSeconds(60), null, null, null);

  @TempDir static Path tmp;
  private static KeyBackendServers.PyKmip kmip;
  private static DevCluster cluster;
  private static long startMillis;

  record Cli(int exit, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    KeyBackendServers.requireInstalled();
    long t0 = System.nanoTime();
    Path pinFile = KeyBackendServers.softHsm(Files.createDirectories(tmp.resolve("softhsm")), "cobalt-it");
    kmip = KeyBackendServers.PyKmip.start(Files.createDirectories(tmp.resolve("kmip")));
    Path backends = tmp.resolve("key-backends.properties");
    Files.writeString(backends, String.join("\n",
        "pkcs11.library=" + KeyBackendServers.SOFTHSM_LIBRARY,
        "pkcs11.slot.index=0",
        "pkcs11.pin.file=" + pinFile,
        "kmip.host=127.0.0.1",
        "kmip.port=" + kmip.port,
        "kmip.cert.file=" + kmip.dir.resolve("client.pem"),
        "kmip.key.file=" + kmip.dir.resolve("client.key"),
        "kmip.ca.file=" + kmip.dir.resolve("ca.pem"),
        ""), StandardCharsets.UTF_8);
    // The options exactly as `cobalt dev --key-backends FILE` builds them; 4 partitions start faster than 16.
    DevCluster.Options options = DevCommandOptionsTest.parse("--data", tmp.resolve("data").toString(),
        "--key-backends", backends.toString(), "--blob-port", "0", "--table-port", "-1", "--queue-port", "-1",
        "--partitions", "4");
    assertEquals(List.of("pkcs11", "kmip"), options.keyBackends().stream().map(b -> b.name()).toList());
    cluster = DevCluster.start(options);
    startMillis = (System.nanoTime() - t0) / 1_000_000;
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (kmip != null) {
      kmip.close();
    }
  }

  private static Cli admin(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--kms", cluster.options().host() + ":" + cluster.kmsPort(),
        "--tls-dir", cluster.tlsDir().toString()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = AdminCommand.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(all.toArray(new String[0]));
    return new Cli(exit, out.toString(), err.toString());
  }

  private static Cli ok(String... args) {
    Cli c = admin(args);
    assertEquals(0, c.exit(), String.join(" ", args) + ": " + c.out() + c.err());
    return c;
  }

  /** Every wrapped DEK of the account stored in the cluster: "keyId v<version>" → count. */
  private static Map<String, Long> storedKeys(MetadataPartitionsClient nodes) throws Exception {
    Map<String, Long> keys = new HashMap<>();
    for (int p = 0; p < nodes.count(); p++) {
      com.google.protobuf.ByteString after = com.google.protobuf.ByteString.EMPTY;
      QueryResult r;
      do {
        r = nodes.scan(p, after, 1000);
        for (DekHolder h : r.getDekHoldersList()) {
          if (h.getAccount().equals(ACCOUNT)) {
            for (WrappedKey k : h.getDeksList()) {
              keys.merge(k.getKeyId() + " v" + k.getKeyVersion(), 1L, Long::sum);
            }
          }
          after = h.getPosition();
        }
      } while (r.getTruncated());
    }
    return keys;
  }

  private static void write(BlobContainerClient c, Map<String, byte[]> written, Random random, String prefix) {
    for (int size : SIZES) {
      byte[] content = new byte[size];
      random.nextBytes(content);
      BlobClient b = c.getBlobClient(prefix + "-" + size);
      if (size > 6 * 1024 * 1024) {
        // Several Put Block calls and a Put Block List: 2 MiB blocks, never one shot.
        b.uploadWithResponse(new BlobParallelUploadOptions(new ByteArrayInputStream(content))
            .setParallelTransferOptions(new ParallelTransferOptions().setBlockSizeLong(2L * 1024 * 1024)
                .setMaxSingleUploadSizeLong(2L * 1024 * 1024).setMaxConcurrency(2)), null, null);
      } else {
        b.upload(BinaryData.fromBytes(content));
      }
      written.put(b.getBlobName(), content);
    }
  }

  private static void assertReads(BlobContainerClient c, Map<String, byte[]> written) {
    for (Map.Entry<String, byte[]> e : written.entrySet()) {
      assertArrayEquals(e.getValue(), c.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey());
    }
  }

  private static ListBlobsOptions withMetadata() {
    return new ListBlobsOptions().setDetails(new BlobListDetails().setRetrieveMetadata(true));
  }

  /** The count a listing answers once it answers (within 5 s of the key's enabling, the push bound). */
  private static long awaitListed(java.util.function.LongSupplier listing) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (true) {
      try {
        return listing.getAsLong();
      } catch (BlobStorageException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  @Test
  void anHsmBackedAccountAndAKmipBackedScopeStoreAndReadBlobs() throws Exception {
    System.out.println("HsmAndKmipAccountIT seed " + SEED + " (replay with -Dcobalt.seed=" + SEED + "); token,"
        + " PyKMIP server and dev cluster up in " + startMillis + " ms");
    long t0 = System.nanoTime();
    // A key in each backend; the account on the HSM key, a scope of it on the KMIP key.
    assertTrue(ok("keys", "create", HSM_KEY, "--backend", "pkcs11").out().contains("pkcs11"));
    assertTrue(ok("keys", "create", KMIP_KEY, "--backend", "kmip").out().contains("kmip"));
    Cli setAccount = ok("accounts", "set-key", "--account", ACCOUNT, "--backend", "pkcs11", "--key", HSM_KEY);
    assertTrue(setAccount.out().contains("customer-managed key " + HSM_KEY + " on pkcs11"), setAccount.out());
    ok("scopes", "create", "--account", ACCOUNT, SCOPE);
    Cli setScope = ok("scopes", "set-key", "--account", ACCOUNT, "--scope", SCOPE, "--backend", "kmip",
        "--key", KMIP_KEY);
    assertTrue(setScope.out().contains("customer-managed key " + KMIP_KEY + " on kmip"), setScope.out());
    System.out.println("HsmAndKmipAccountIT: " + setAccount.out().strip() + " / " + setScope.out().strip());

    BlobServiceClient service = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
        .retryOptions(NO_RETRY).buildClient();
    BlobContainerClient hsm = service.createBlobContainer("hsm");
    new BlobServiceClientBuilder().connectionString(cluster.connectionString()).retryOptions(NO_RETRY)
        .blobContainerEncryptionScope(new BlobContainerEncryptionScope().setDefaultEncryptionScope(SCOPE)
            .setEncryptionScopeOverridePrevented(true))
        .buildClient().createBlobContainer("kmip");
    BlobContainerClient kmipContainer = service.getBlobContainerClient("kmip");
    Random random = new Random(SEED);
    Map<String, byte[]> hsmBlobs = new LinkedHashMap<>();
    Map<String, byte[]> kmipBlobs = new LinkedHashMap<>();
    write(hsm, hsmBlobs, random, "hsm");
    write(kmipContainer, kmipBlobs, random, "kmip");
    assertReads(hsm, hsmBlobs);
    assertReads(kmipContainer, kmipBlobs);
    for (String name : kmipBlobs.keySet()) {
      assertEquals(SCOPE, kmipContainer.getBlobClient(name).getProperties().getEncryptionScope(), name);
    }
    long ioMillis = (System.nanoTime() - t0) / 1_000_000;

    // Which key wraps each stored DEK: the nodes' records, and the agent's count of DEKs it generated.
    try (KeyAdminClient agent = KeyAdminClient.connect(cluster.options().host() + ":" + cluster.kmsPort(),
            TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN));
        MetadataPartitionsClient nodes = new MetadataPartitionsClient(cluster.nodeEndpoints().stream()
            .map((NodeEndpoint n) -> new MetadataPartitionsClient.Node(n.nodeId(), n.host(), n.port())).toList(),
            cluster.options().partitions(), TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN))) {
      Map<String, Long> stored = storedKeys(nodes);
      System.out.println("HsmAndKmipAccountIT: stored DEKs of " + ACCOUNT + " by wrapping key: " + stored);
      assertEquals(List.of(HSM_KEY + " v1", KMIP_KEY + " v1"), stored.keySet().stream().sorted().toList(),
          "every DEK of the account under the HSM key or the KMIP key: " + stored);
      assertTrue(stored.get(HSM_KEY + " v1") >= SIZES.length, stored.toString());
      assertTrue(stored.get(KMIP_KEY + " v1") >= SIZES.length, stored.toString());
      for (String key : List.of(HSM_KEY, KMIP_KEY)) {
        DekCensusResponse census = agent.census(key);
        assertTrue(census.getVersions(0).getGeneratedSince() >= SIZES.length, key + ": " + census);
        Cli shown = ok("keys", "census", key);
        System.out.println("HsmAndKmipAccountIT: cobalt admin keys census " + key + "\n" + shown.out().strip());
      }
    }

    // Revocation in the HSM: the account's blobs are refused, the KMIP scope's still read.
    ok("keys", "disable", HSM_KEY, "--version", "1", "--force");
    long revoked = System.nanoTime();
    BlobStorageException refused = Revocation.awaitRefusal(() -> hsm.getBlobClient("hsm-70003").downloadContent());
    System.out.printf("HsmAndKmipAccountIT: 403 on read %.0f ms after disabling the HSM key%n",
        (System.nanoTime() - revoked) / 1e6);
    assertEquals(403, refused.getStatusCode());
    assertEquals("KeyVaultEncryptionKeyNotFound", refused.getErrorCode().toString());
    BlobStorageException write = Revocation.awaitRefusal(() -> hsm.getBlobClient("refused").upload(BinaryData.fromString("x")));
    assertEquals(403, write.getStatusCode());
    assertEquals("KeyVaultEncryptionKeyNotFound", write.getErrorCode().toString());
    assertReads(kmipContainer, kmipBlobs);
    // Listings with metadata follow the key sources of the listed blobs' scopes (ADR 0036 addendum):
    // the account's refused, the KMIP scope's container (all its blobs under the scope) answers.
    BlobStorageException listing = Revocation.awaitRefusal(() -> hsm.listBlobs(withMetadata(), null).stream().count());
    assertEquals(403, listing.getStatusCode());
    assertEquals("KeyVaultEncryptionKeyNotFound", listing.getErrorCode().toString());
    assertEquals(hsmBlobs.size(), hsm.listBlobs().stream().count());
    assertEquals(kmipBlobs.size(), kmipContainer.listBlobs(withMetadata(), null).stream().count());
    ok("keys", "enable", HSM_KEY, "--version", "1");
    assertReads(hsm, hsmBlobs);

    // The same on the KMIP server's side.
    ok("keys", "disable", KMIP_KEY, "--version", "1", "--force");
    BlobStorageException kmipRefused =
        Revocation.awaitRefusal(() -> kmipContainer.getBlobClient("kmip-70003").downloadContent());
    assertEquals(403, kmipRefused.getStatusCode());
    assertEquals("KeyVaultEncryptionKeyNotFound", kmipRefused.getErrorCode().toString());
    assertReads(hsm, hsmBlobs);
    BlobStorageException kmipListing =
        Revocation.awaitRefusal(() -> kmipContainer.listBlobs(withMetadata(), null).stream().count());
    assertEquals(403, kmipListing.getStatusCode());
    assertEquals("KeyVaultEncryptionKeyNotFound", kmipListing.getErrorCode().toString());
    assertEquals(kmipBlobs.size(), kmipContainer.listBlobs().stream().count());
    assertEquals(hsmBlobs.size(), hsm.listBlobs(withMetadata(), null).stream().count());
    ok("keys", "enable", KMIP_KEY, "--version", "1");
    assertReads(kmipContainer, kmipBlobs);
    assertEquals(kmipBlobs.size(), awaitListed(() -> kmipContainer.listBlobs(withMetadata(), null).stream().count()));
    System.out.printf("HsmAndKmipAccountIT: %d blobs (%d B in all) written and read in %d ms; whole test %d ms"
        + " after a %d ms start%n", hsmBlobs.size() + kmipBlobs.size(),
        hsmBlobs.values().stream().mapToLong(b -> b.length).sum()
            + kmipBlobs.values().stream().mapToLong(b -> b.length).sum(), ioMillis,
        (System.nanoTime() - t0) / 1_000_000, startMillis);
  }
}
