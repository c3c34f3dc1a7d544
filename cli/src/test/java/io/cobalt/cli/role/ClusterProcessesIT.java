package io.cobalt.cli.role;

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
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueServiceClientBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster as separate JVMs from the packaged jar, the way an operator runs it: {@code cobalt
 * init}, then kms-agent, 3 nodes and the gateway each with its own config file. One node is
 * SIGKILLed; writes and reads continue; it restarts on its data; every acknowledged blob reads back.
 */
class ClusterProcessesIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  @Test
  void survivesTheKillOfANodeProcessAndLosesNoAcknowledgedBlob(@TempDir Path dir) throws Exception {
    System.out.println("ClusterProcessesIT seed " + SEED + " (replay: -Dcobalt.seed=" + SEED + ")");
    Random random = new Random(SEED);
    Map<String, byte[]> acknowledged = new LinkedHashMap<>();
    try (ProcessCluster cluster = ProcessCluster.init(dir, ProcessCluster.defaultJar(), 3, 8)) {
      long t0 = System.nanoTime();
      cluster.startAll();
      System.out.printf("5 processes ready in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      // Membership (Hazelcast, configured by cobalt init): every node sees every node.
      for (int i = 1; i <= 3; i++) {
        for (int j = 1; j <= 3; j++) {
          awaitLog(cluster, ProcessCluster.nodeName(i), "member " + ProcessCluster.nodeName(j) + " joined");
        }
      }
      System.out.printf("membership complete on every node %d ms after the start%n", (System.nanoTime() - t0) / 1_000_000);
      BlobServiceClient service = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 6, Duration.ofSeconds(15),
              Duration.ofMillis(250), Duration.ofSeconds(2), null))
          .buildClient();
      BlobContainerClient c = service.createBlobContainer("processes");
      // The Table endpoint that cobalt init configured: an entity written now must survive the faults below.
      TableClient table = new TableServiceClientBuilder().connectionString(cluster.connectionString()).buildClient()
          .createTable("Processes");
      table.createEntity(new TableEntity("pk", "rk").addProperty("seed", SEED));
      QueueClient queue = new QueueServiceClientBuilder().connectionString(cluster.connectionString()).buildClient()
          .createQueue("processes");
      queue.sendMessage("seed " + SEED);
      upload(c, "before-", random, acknowledged, 6);
      assertAllReadBack(c, acknowledged);

      String victim = ProcessCluster.nodeName(1 + random.nextInt(3));
      String witness = victim.equals("node-3") ? "node-2" : "node-3";
      cluster.kill(victim);
      long k = System.nanoTime();
      upload(c, "during-", random, acknowledged, 1);
      System.out.printf("SIGKILL %s: first write after it acknowledged in %d ms%n", victim,
          (System.nanoTime() - k) / 1_000_000);
      upload(c, "during-more-", random, acknowledged, 8);
      assertAllReadBack(c, acknowledged);
      awaitLog(cluster, witness, "member " + victim + " left");
      System.out.printf("membership reported %s left (seen by %s) within %d ms of the kill%n", victim, witness,
          (System.nanoTime() - k) / 1_000_000);

      long r = System.nanoTime();
      cluster.restart(victim);
      System.out.printf("%s restarted (ready) in %d ms%n", victim, (System.nanoTime() - r) / 1_000_000);
      upload(c, "after-", random, acknowledged, 6);
      assertAllReadBack(c, acknowledged);

      // With another node stopped, every majority needs the restarted one: it caught up.
      String other = victim.equals("node-1") ? "node-2" : "node-1";
      assertEquals(143, cluster.stop(other), "a node stopped by SIGTERM exits after its clean shutdown");
      assertTrue(cluster.log(other).contains("cobalt node " + other + ": stopped"), cluster.log(other));
      assertAllReadBack(c, acknowledged);
      assertEquals(21, acknowledged.size());
      assertEquals(SEED, table.getEntity("pk", "rk").getProperty("seed"), "the table entity survived");
      assertEquals("seed " + SEED, queue.peekMessage().getBody().toString(), "the queue message survived");
    }
  }

  /** Waits (bounded) until {@code name}'s output contains {@code text}. */
  private static void awaitLog(ProcessCluster cluster, String name, String text) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!cluster.log(name).contains(text)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " never printed '" + text + "':\n" + cluster.log(name));
      }
      Thread.sleep(100);
    }
  }

  private static void upload(BlobContainerClient c, String prefix, Random random, Map<String, byte[]> acknowledged,
      int count) {
    for (int i = 0; i < count; i++) {
      byte[] b = new byte[random.nextInt(200_000)];
      random.nextBytes(b);
      String name = prefix + i;
      c.getBlobClient(name).upload(BinaryData.fromBytes(b));
      acknowledged.put(name, b);
    }
  }

  private static void assertAllReadBack(BlobContainerClient c, Map<String, byte[]> acknowledged) {
    for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
      assertArrayEquals(e.getValue(), c.getBlobClient(e.getKey()).downloadContent().toBytes(),
          e.getKey() + " seed " + SEED);
    }
  }
}
