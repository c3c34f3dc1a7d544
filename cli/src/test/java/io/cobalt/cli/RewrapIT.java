package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableServiceClientBuilder;
import com.azure.data.tables.models.TableEntity;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.specialized.BlockBlobClient;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueServiceClientBuilder;
import io.cobalt.cli.admin.AdminCommand;
import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.admin.rpc.KeyAdminException;
import io.cobalt.cli.admin.rpc.MetadataPartitionsClient;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.NodeEndpoint;
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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The rewrap job on a real dev cluster (kms-agent, 3 Raft nodes, gateway), judged by the Azure
 * SDKs: blobs, a staged block, a table entity and a queue message are written under version 1 of
 * the account key; the key is rotated; retiring version 1 is refused with the live-DEK count; the
 * rewrap job runs while SDK threads upload and download (no retries: zero failed requests); then
 * every stored DEK is on version 2, version 1 can be retired, and everything still reads.
 */
class RewrapIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  private static final String ACCOUNT_KEY = "account/" + DevCluster.DEV_ACCOUNT;
  private static final int BLOBS = 60;
  private static final int THREADS = 3;
  private static final RequestRetryOptions NO_RETRY =
      new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofSeconds(30), null, null, null);

  @TempDir Path data;

  record Cli(int exit, String out, String err) {}

  private Cli admin(DevCluster cluster, String... args) {
    List<String> all = new ArrayList<>(List.of("keys"));
    all.addAll(List.of(args));
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

  /** Every wrapped DEK of the account key stored in the cluster, by version. */
  private static Map<Integer, Long> storedVersions(MetadataPartitionsClient nodes, Map<DekHolderKind, Long> kinds)
      throws Exception {
    Map<Integer, Long> versions = new HashMap<>();
    for (int p = 0; p < nodes.count(); p++) {
      com.google.protobuf.ByteString after = com.google.protobuf.ByteString.EMPTY;
      QueryResult r;
      do {
        r = nodes.scan(p, after, 1000);
        for (DekHolder h : r.getDekHoldersList()) {
          for (WrappedKey k : h.getDeksList()) {
            if (k.getKeyId().equals(ACCOUNT_KEY)) {
              versions.merge(k.getKeyVersion(), 1L, Long::sum);
              kinds.merge(h.getKind(), 1L, Long::sum);
            }
          }
          after = h.getPosition();
        }
      } while (r.getTruncated());
    }
    return versions;
  }

  @Test
  void rewrapUnderLoadMovesEveryDekToTheNewVersionAndThenTheOldOneCanBeRetired() throws Exception {
    System.out.println("RewrapIT seed " + SEED + " (replay with -Dcobalt.seed=" + SEED + ")");
    DevCluster.Options options = DevCluster.Options.defaults(data).withBlobPort(0).withTablePort(0).withQueuePort(0);
    try (DevCluster cluster = DevCluster.start(options);
        KeyAdminClient agent = KeyAdminClient.connect(cluster.options().host() + ":" + cluster.kmsPort(),
            TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN));
        MetadataPartitionsClient nodes = new MetadataPartitionsClient(cluster.nodeEndpoints().stream()
            .map((NodeEndpoint n) -> new MetadataPartitionsClient.Node(n.nodeId(), n.host(), n.port())).toList(),
            cluster.options().partitions(), TlsMaterial.load(cluster.tlsDir(), DevCluster.ADMIN))) {
      BlobServiceClient blobs = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .retryOptions(NO_RETRY).buildClient();
      BlobContainerClient c = blobs.getBlobContainerClient("rewrap");
      c.create();
      Random random = new Random(SEED);
      Map<String, byte[]> written = new java.util.concurrent.ConcurrentHashMap<>();
      for (int i = 0; i < BLOBS; i++) {
        byte[] content = new byte[i == 0 ? 0 : i == 1 ? 5 * 1024 * 1024 : random.nextInt(100_000)];
        random.nextBytes(content);
        c.getBlobClient("before-" + i).upload(BinaryData.fromBytes(content));
        written.put("before-" + i, content);
      }
      BlockBlobClient staged = c.getBlobClient("staged").getBlockBlobClient();
      String blockId = Base64.getEncoder().encodeToString("block-0".getBytes(StandardCharsets.UTF_8));
      byte[] blockContent = "a block staged before the rotation".getBytes(StandardCharsets.UTF_8);
      staged.stageBlock(blockId, new ByteArrayInputStream(blockContent), blockContent.length);
      TableClient table = new TableServiceClientBuilder().connectionString(cluster.connectionString()).buildClient()
          .createTable("Ledger");
      table.createEntity(new TableEntity("pk", "rk").addProperty("Amount", 42));
      QueueClient queue = new QueueServiceClientBuilder().connectionString(cluster.connectionString()).buildClient()
          .createQueue("tasks");
      queue.sendMessage("written under version 1");

      assertEquals(2, agent.rotate(ACCOUNT_KEY).getPrimaryVersion());
      Thread.sleep(1100);  // the census walk must begin after the last second version 1 wrapped a DEK

      // Before the job: a census walk counts the live DEKs under version 1, and retiring it is refused with that count.
      Map<DekHolderKind, Long> kindsBefore = new HashMap<>();
      long liveV1 = storedVersions(nodes, kindsBefore).getOrDefault(1, 0L);
      assertTrue(liveV1 >= BLOBS + 3, "blobs, block, table and queue under v1: " + liveV1);
      Cli census = admin(cluster, "rewrap", "--key", ACCOUNT_KEY, "--census-only", "--data", data.toString());
      assertEquals(0, census.exit(), census.out() + census.err());
      Cli refused = admin(cluster, "set-min-version", ACCOUNT_KEY, "--version", "2");
      assertEquals(1, refused.exit(), refused.out());
      assertTrue(refused.err().contains("VERSION_IN_USE") && refused.err().contains(liveV1 + " live DEKs"),
          refused.err());
      System.out.println("RewrapIT: before the job, retiring v1 was refused: " + refused.err().strip());
      Cli disableRefused = admin(cluster, "disable", ACCOUNT_KEY, "--version", "1");
      assertEquals(1, disableRefused.exit());
      assertTrue(disableRefused.err().contains("VERSION_IN_USE"), disableRefused.err());

      // The job, while SDK clients upload and download without retries.
      AtomicBoolean jobDone = new AtomicBoolean();
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      AtomicLong requests = new AtomicLong();
      List<String> names = new CopyOnWriteArrayList<>(written.keySet());
      ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        workers.add(pool.submit(() -> {
          Random r = new Random(SEED + 1 + thread);
          for (int i = 0; !jobDone.get() || i < 5; i++) {
            String name = "during-" + thread + "-" + i;
            byte[] content = new byte[r.nextInt(100_000)];
            r.nextBytes(content);
            try {
              c.getBlobClient(name).upload(BinaryData.fromBytes(content));
              written.put(name, content);
              names.add(name);
              requests.incrementAndGet();
            } catch (RuntimeException e) {
              failures.add("upload " + name + ": " + e);
            }
            String other = names.get(r.nextInt(names.size()));
            try {
              byte[] back = c.getBlobClient(other).downloadContent().toBytes();
              requests.incrementAndGet();
              if (!java.util.Arrays.equals(written.get(other), back)) {
                failures.add("download " + other + ": content differs");
              }
            } catch (RuntimeException e) {
              failures.add("download " + other + ": " + e);
            }
          }
          return null;
        }));
      }
      workers.add(pool.submit(() -> {
        while (!jobDone.get()) {
          try {
            assertEquals(42, table.getEntity("pk", "rk").getProperty("Amount"));
            assertEquals("written under version 1", queue.peekMessage().getBody().toString());
            requests.addAndGet(2);
          } catch (RuntimeException | AssertionError e) {
            failures.add("table/queue read: " + e);
          }
        }
        return null;
      }));
      Path state = data.resolve("rewrap.state");
      long start = System.nanoTime();
      Cli job;
      try {
        job = admin(cluster, "rewrap", "--key", ACCOUNT_KEY, "--data", data.toString(), "--state", state.toString(),
            "--progress-seconds", "2");
      } finally {
        jobDone.set(true);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      for (Future<?> w : workers) {
        w.get(2, TimeUnit.MINUTES);
      }
      pool.shutdown();
      System.out.println("RewrapIT: cobalt admin keys rewrap output:\n" + job.out() + job.err());
      assertEquals(0, job.exit(), job.out() + job.err());
      System.out.printf("RewrapIT: rewrap of %d DEKs took %.2f s (%.1f DEKs/s, command included) while %d SDK requests"
          + " ran, %d failed; load average %s%n", liveV1, seconds, liveV1 / seconds, requests.get(), failures.size(),
          java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      assertEquals(List.of(), List.copyOf(failures), "seed " + SEED);
      assertTrue(job.out().contains("done: "), job.out());

      // Every stored DEK of the key is on version 2; no wrapped DEK was lost (blobs, block, table, queue).
      Map<DekHolderKind, Long> kindsAfter = new HashMap<>();
      Map<Integer, Long> after = storedVersions(nodes, kindsAfter);
      assertEquals(List.of(2), List.copyOf(after.keySet()), "versions of stored DEKs after the job: " + after);
      for (DekHolderKind k : List.of(DekHolderKind.DEK_HOLDER_UNCOMMITTED_BLOCK, DekHolderKind.DEK_HOLDER_TABLE,
          DekHolderKind.DEK_HOLDER_QUEUE)) {
        assertEquals(kindsBefore.get(k), kindsAfter.get(k), k.toString());
      }

      // Now version 1 may be retired (no force), and everything written under it still reads.
      Cli retired = admin(cluster, "set-min-version", ACCOUNT_KEY, "--version", "2");
      assertEquals(0, retired.exit(), retired.err());
      for (Map.Entry<String, byte[]> e : written.entrySet()) {
        assertArrayEquals(e.getValue(), c.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey());
      }
      staged.commitBlockList(List.of(blockId));
      assertArrayEquals(blockContent, staged.downloadContent().toBytes());
      assertEquals(42, table.getEntity("pk", "rk").getProperty("Amount"));
      assertEquals("written under version 1", queue.receiveMessage().getBody().toString());
      Cli disabled = admin(cluster, "disable", ACCOUNT_KEY, "--version", "1");
      assertEquals(0, disabled.exit(), disabled.err());
      try {
        agent.describe(ACCOUNT_KEY);
      } catch (KeyAdminException e) {
        throw new AssertionError(e);
      }
    }
  }
}
