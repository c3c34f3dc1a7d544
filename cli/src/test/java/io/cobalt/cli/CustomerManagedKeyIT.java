package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableServiceClientBuilder;
import com.azure.data.tables.models.TableEntity;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueServiceClientBuilder;
import io.cobalt.cli.admin.AdminCommand;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.MetadataPartitionsClient;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.NodeEndpoint;
import io.cobalt.proto.kms.v1.DekCensusResponse;
import io.cobalt.proto.kms.v1.DekCensusVersion;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.DekHolder;
import io.cobalt.proto.node.v1.DekHolderKind;
import io.cobalt.proto.node.v1.QueryResult;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Switching an account from service-managed keys to a customer-managed key (ADR 0031) on a real dev
 * cluster, judged by the Azure SDKs: data written under the service key, the account switched with
 * {@code cobalt admin accounts set-key}, new data under the customer key at once, the rewrap job
 * moving every stored DEK of the account across keys (never re-encrypting data), every blob, a
 * staged block, a table entity and a queue message still reading byte-equal, the census showing no
 * DEK left under the service key, which is then disabled without force while List Blobs with
 * metadata still answers (it checks the account's key source) — and disabling the customer key
 * refusing reads, writes and listings with metadata with 403 KeyVaultEncryptionKeyNotFound while a
 * listing without metadata proceeds, re-enabling restoring them.
 */
class CustomerManagedKeyIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  private static final String ACCOUNT = DevCluster.DEV_ACCOUNT;
  private static final String SERVICE_KEY = "account/" + ACCOUNT;
  private static final String CMK = "cmk/contoso-storage";
  private static final int BLOBS = 40;
  private static final RequestRetryOptions NO_RETRY =
      new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofSeconds(30), null, null, null);

  @TempDir Path data;

  record Cli(int exit, String out, String err) {}

  private static Cli admin(DevCluster cluster, String... args) {
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

  /** Every wrapped DEK of the account stored in the cluster: "keyId v<version>" → count; kinds → count. */
  private static Map<String, Long> storedKeys(MetadataPartitionsClient nodes, Map<DekHolderKind, Long> kinds)
      throws Exception {
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
              kinds.merge(h.getKind(), 1L, Long::sum);
            }
          }
          after = h.getPosition();
        }
      } while (r.getTruncated());
    }
    return keys;
  }

  @Test
  void switchingAnAccountToACustomerKeyRewrapsEveryDekAndDisablingTheKeyCutsAccessOff() throws Exception {
    System.out.println("CustomerManagedKeyIT seed " + SEED + " (replay with -Dcobalt.seed=" + SEED + ")");
    DevCluster.Options options = DevCluster.Options.defaults(data).withBlobPort(0).withTablePort(0).withQueuePort(0);
    try (DevCluster cluster = DevCluster.start(options);
        KeyAdminClient agent = KeyAdminClient.connect(cluster.options().host() + ":" + cluster.kmsPort(),
            TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN));
        MetadataPartitionsClient nodes = new MetadataPartitionsClient(cluster.nodeEndpoints().stream()
            .map((NodeEndpoint n) -> new MetadataPartitionsClient.Node(n.nodeId(), n.host(), n.port())).toList(),
            cluster.options().partitions(), TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN))) {
      BlobContainerClient c = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .retryOptions(NO_RETRY).buildClient().getBlobContainerClient("cmk");
      c.create();
      Random random = new Random(SEED);
      Map<String, byte[]> written = new LinkedHashMap<>();
      for (int i = 0; i < BLOBS; i++) {
        byte[] content = new byte[i == 0 ? 0 : i == 1 ? 5 * 1024 * 1024 : random.nextInt(100_000)];
        random.nextBytes(content);
        c.getBlobClient("service-" + i).upload(BinaryData.fromBytes(content));
        written.put("service-" + i, content);
      }
      BlockBlobClient staged = c.getBlobClient("staged").getBlockBlobClient();
      String blockId = Base64.getEncoder().encodeToString("block-0".getBytes(StandardCharsets.UTF_8));
      byte[] blockContent = "a block staged under the service key".getBytes(StandardCharsets.UTF_8);
      staged.stageBlock(blockId, new ByteArrayInputStream(blockContent), blockContent.length);
      TableClient table = new TableServiceClientBuilder().connectionString(cluster.connectionString()).buildClient()
          .createTable("Ledger");
      table.createEntity(new TableEntity("pk", "rk").addProperty("Amount", 42));
      QueueClient queue = new QueueServiceClientBuilder().connectionString(cluster.connectionString()).buildClient()
          .createQueue("tasks");
      queue.sendMessage("written under the service key");
      Map<DekHolderKind, Long> kindsBefore = new HashMap<>();
      Map<String, Long> before = storedKeys(nodes, kindsBefore);
      assertEquals(List.of(SERVICE_KEY + " v1"), List.copyOf(before.keySet()), before.toString());
      long deks = before.get(SERVICE_KEY + " v1");

      // The switch: refused for a key that does not exist on the backend, accepted for one that does.
      Cli missing = admin(cluster, "accounts", "set-key", "--account", ACCOUNT, "--backend", "local", "--key", "nope");
      assertEquals(1, missing.exit(), missing.out());
      assertTrue(missing.err().contains("UNKNOWN_KEY"), missing.err());
      Cli created = admin(cluster, "keys", "create", CMK, "--backend", "local");
      assertEquals(0, created.exit(), created.err());
      Cli set = admin(cluster, "accounts", "set-key", "--account", ACCOUNT, "--backend", "local", "--key", CMK);
      assertEquals(0, set.exit(), set.err());
      assertTrue(set.out().contains("customer-managed key " + CMK + " on local, latest version"), set.out());
      System.out.println("CustomerManagedKeyIT: " + set.out().strip());

      // New data goes under the customer key at once.
      byte[] fresh = "written after the switch".getBytes(StandardCharsets.UTF_8);
      c.getBlobClient("customer-0").upload(BinaryData.fromBytes(fresh));
      written.put("customer-0", fresh);
      assertEquals(1L, storedKeys(nodes, new HashMap<>()).get(CMK + " v1"));
      Thread.sleep(1100);  // the census walk must begin after the last second the service key wrapped a DEK

      // The rewrap job moves every DEK of the account to its key source.
      Path state = data.resolve("rewrap.state");
      long start = System.nanoTime();
      Cli job = admin(cluster, "keys", "rewrap", "--account", ACCOUNT, "--data", data.toString(), "--state",
          state.toString(), "--progress-seconds", "2");
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.println("CustomerManagedKeyIT: cobalt admin keys rewrap --account output:\n" + job.out() + job.err());
      assertEquals(0, job.exit(), job.out() + job.err());
      System.out.printf("CustomerManagedKeyIT: rewrap of %d DEKs across keys took %.2f s (%.1f DEKs/s, command"
          + " included); load average %s%n", deks, seconds, deks / seconds,
          java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      Map<DekHolderKind, Long> kindsAfter = new HashMap<>();
      Map<String, Long> after = storedKeys(nodes, kindsAfter);
      assertEquals(Map.of(CMK + " v1", deks + 1), after, "every DEK of the account on the customer key");
      assertEquals(kindsBefore.get(DekHolderKind.DEK_HOLDER_UNCOMMITTED_BLOCK),
          kindsAfter.get(DekHolderKind.DEK_HOLDER_UNCOMMITTED_BLOCK));
      assertEquals(kindsBefore.get(DekHolderKind.DEK_HOLDER_TABLE), kindsAfter.get(DekHolderKind.DEK_HOLDER_TABLE));
      assertEquals(kindsBefore.get(DekHolderKind.DEK_HOLDER_QUEUE), kindsAfter.get(DekHolderKind.DEK_HOLDER_QUEUE));

      // The agent's census agrees: every DEK on the customer key, none left under the service key.
      DekCensusResponse cmkCensus = agent.census(CMK);
      assertEquals(deks + 1, cmkCensus.getVersions(0).getCensusDeks());
      DekCensusResponse serviceCensus = agent.census(SERVICE_KEY);
      assertTrue(serviceCensus.getCensusStartedEpochMillis() > 0);
      for (DekCensusVersion v : serviceCensus.getVersionsList()) {
        assertEquals(0, v.getCensusDeks(), v.toString());
        assertFalse(v.getInUse(), v.toString());
      }

      // Everything still reads, byte-equal; the staged block commits; table and queue read.
      for (Map.Entry<String, byte[]> e : written.entrySet()) {
        assertArrayEquals(e.getValue(), c.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey());
      }
      staged.commitBlockList(List.of(blockId));
      assertArrayEquals(blockContent, staged.downloadContent().toBytes());
      assertEquals(42, table.getEntity("pk", "rk").getProperty("Amount"));
      assertEquals("written under the service key", queue.peekMessage().getBody().toString());

      // The former service key wraps nothing now: it is disabled without force, and List Blobs with
      // metadata, which checks the account's current key (its source), still answers.
      long listed = written.size() + 1;  // and the committed "staged" blob
      Cli serviceOff = admin(cluster, "keys", "disable", SERVICE_KEY, "--version", "1");
      assertEquals(0, serviceOff.exit(), serviceOff.err());
      // Over a window longer than the disable's push takes (ADR 0014), so a cached state cannot pass for it.
      for (long end = System.nanoTime() + Duration.ofSeconds(3).toNanos(); System.nanoTime() < end; Thread.sleep(200)) {
        assertEquals(listed, c.listBlobs(withMetadata(), null).stream().count());
      }

      // Revocation: disabling the customer key (it wraps live DEKs: force) cuts reads and writes off.
      Cli disabled = admin(cluster, "keys", "disable", CMK, "--version", "1", "--force");
      assertEquals(0, disabled.exit(), disabled.err());
      long revoked = System.nanoTime();
      BlobStorageException read = Revocation.awaitRefusal(() -> c.getBlobClient("service-3").downloadContent());
      System.out.printf("CustomerManagedKeyIT: 403 on read %.0f ms after the disable%n", (System.nanoTime() - revoked) / 1e6);
      assertEquals(403, read.getStatusCode());
      assertEquals("KeyVaultEncryptionKeyNotFound", read.getErrorCode().toString());
      BlobStorageException write = Revocation.awaitRefusal(() -> c.getBlobClient("refused").upload(BinaryData.fromString("x")));
      assertEquals(403, write.getStatusCode());
      assertEquals("KeyVaultEncryptionKeyNotFound", write.getErrorCode().toString());
      // Listing with metadata follows the account's source to the disabled customer key; without
      // metadata the listing proceeds (issue 4, point 4).
      BlobStorageException listing = Revocation.awaitRefusal(() -> c.listBlobs(withMetadata(), null).stream().count());
      assertEquals(403, listing.getStatusCode());
      assertEquals("KeyVaultEncryptionKeyNotFound", listing.getErrorCode().toString());
      assertEquals(listed, c.listBlobs().stream().count());

      Cli enabled = admin(cluster, "keys", "enable", CMK, "--version", "1");
      assertEquals(0, enabled.exit(), enabled.err());
      for (Map.Entry<String, byte[]> e : written.entrySet()) {
        assertArrayEquals(e.getValue(), c.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey());
      }
    }
  }

  private static ListBlobsOptions withMetadata() {
    return new ListBlobsOptions().setDetails(new BlobListDetails().setRetrieveMetadata(true));
  }
}
