package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With one of three nodes stopped, the cluster keeps serving through the Azure SDK: metadata from
 * the partitions' Raft majorities (the gateway fails over to another voter), chunks from the W=2
 * replicas; every blob acknowledged before or during the loss reads back, also after the node returns.
 */
class NodeLossIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  @Test
  void uploadsAndDownloadsContinueWithOneNodeDownAndEveryAcknowledgedBlobSurvives(@TempDir Path data)
      throws Exception {
    System.out.println("NodeLossIT seed " + SEED);
    Random random = new Random(SEED);
    Map<String, byte[]> acknowledged = new LinkedHashMap<>();
    try (DevCluster cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0))) {
      BlobServiceClient service = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .buildClient();
      BlobContainerClient before = service.createBlobContainer("before");
      upload(before, "b", random, acknowledged, new int[] {0, 1, 70_000, 4 * 1024 * 1024 + 3});

      int lost = 1 + random.nextInt(3);
      long t0 = System.nanoTime();
      cluster.stopNode(lost);
      System.out.printf("stopped node-%d in %d ms%n", lost, (System.nanoTime() - t0) / 1_000_000);

      try {
        long s = System.nanoTime();
        BlobContainerClient during = service.createBlobContainer("during");
        System.out.printf("first metadata write after the loss took %d ms%n", (System.nanoTime() - s) / 1_000_000);
        upload(during, "d", random, acknowledged, new int[] {5, 300_000, 9 * 1024 * 1024});
        upload(before, "bd", random, acknowledged, new int[] {1_000, 123_456});
        assertAllReadBack(service, acknowledged);
        // The one call here that queries every partition (ADR 0038).
        assertEquals(6, before.listBlobs().stream().count());
      } catch (RuntimeException | AssertionError e) {
        throw withGroupStates(cluster, "with node-" + lost + " down", e);
      }

      cluster.restartNode(lost);
      long r = System.nanoTime();
      cluster.awaitCaughtUp(lost, Duration.ofSeconds(30));
      System.out.printf("node-%d caught up in every group %d ms after its restart%n", lost,
          (System.nanoTime() - r) / 1_000_000);
      upload(service.createBlobContainer("after"), "a", random, acknowledged, new int[] {10, 5 * 1024 * 1024});
      assertAllReadBack(service, acknowledged);

      // With a different node down, every majority includes the returning node: it caught up.
      cluster.awaitCaughtUp(lost, Duration.ofSeconds(30));
      int other = lost % 3 + 1;
      cluster.stopNode(other);
      try {
        assertAllReadBack(service, acknowledged);
      } catch (RuntimeException | AssertionError e) {
        throw withGroupStates(cluster, "with node-" + other + " down after node-" + lost + " returned", e);
      }
      cluster.restartNode(other);
    }
  }

  /** The failure with every node's group states in its message: CI keeps only the end of the output. */
  private static AssertionError withGroupStates(DevCluster cluster, String situation, Throwable e) {
    return new AssertionError(situation + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
        + "\ngroup states:\n" + cluster.groupStatusReport(), e);
  }

  private static void upload(BlobContainerClient c, String prefix, Random random, Map<String, byte[]> acknowledged,
      int[] sizes) {
    for (int size : sizes) {
      byte[] b = new byte[size];
      random.nextBytes(b);
      String name = prefix + size;
      c.getBlobClient(name).upload(BinaryData.fromBytes(b));
      acknowledged.put(c.getBlobContainerName() + "/" + name, b);
    }
  }

  private static void assertAllReadBack(BlobServiceClient service, Map<String, byte[]> acknowledged) {
    for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
      String[] parts = e.getKey().split("/", 2);
      byte[] got = service.getBlobContainerClient(parts[0]).getBlobClient(parts[1]).downloadContent().toBytes();
      assertArrayEquals(e.getValue(), got, e.getKey() + " seed " + SEED);
    }
  }
}
