package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import io.cobalt.node.NodeServer;
import io.cobalt.node.healing.HealingService;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.VerifiedChunkStore;
import io.cobalt.node.storage.rocksdb.RocksChunkStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every chunk replica of one node corrupted on disk (a bit flipped while the node was stopped):
 * reads through the gateway with the Azure SDK return the right bytes meanwhile (the node refuses
 * its corrupt copies, the gateway fails over and asks for repairs), the scrubber finds what is left,
 * and the node ends with a verified copy of every chunk.
 */
class ChunkHealingIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  private static final int VICTIM = 2;

  @Test
  void corruptReplicasAreNeverServedAndAreRepairedFromPeers(@TempDir Path data) throws Exception {
    System.out.println("ChunkHealingIT seed " + SEED);
    Random random = new Random(SEED);
    Map<String, byte[]> blobs = new LinkedHashMap<>();
    try (DevCluster cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0))) {
      BlobServiceClient service = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .buildClient();
      BlobContainerClient c = service.createBlobContainer("healing");
      for (int size : new int[] {1_000, 70_000, 5 * 1024 * 1024 + 3}) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        c.getBlobClient("b" + size).upload(BinaryData.fromBytes(b));
        blobs.put("b" + size, b);
      }
      Thread.sleep(500); // the third replica of the last chunk lands after the W=2 acknowledgement

      cluster.stopNode(VICTIM);
      Path rocks = NodeServer.rocksDbDir(data.resolve("nodes").resolve("node-" + VICTIM));
      List<ChunkId> corrupted;
      try (RocksStorage storage = RocksStorage.open(rocks, RocksStorageConfig.defaults())) {
        corrupted = storage.chunks().idsAfter(null, 1000);
        for (ChunkId id : corrupted) {
          assertTrue(RocksChunkStore.corruptStoredChunkForTest(storage, id));
        }
      }
      assertTrue(corrupted.size() >= 4, "the node held replicas of every blob's chunks: " + corrupted.size());
      cluster.restartNode(VICTIM);
      cluster.awaitCaughtUp(VICTIM, Duration.ofSeconds(60));

      for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
        assertArrayEquals(e.getValue(), c.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey());
      }

      HealingService victim = cluster.node(VICTIM).orElseThrow().healing().orElseThrow();
      victim.runScrubPass();
      long corruptFound = victim.status().getScrubCorruptFound();
      System.out.printf("%d corrupted replicas; the scrubber still found %d (the others were repaired after "
          + "failed-over reads)%n", corrupted.size(), corruptFound);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (backlog(cluster) > 0) {
        assertTrue(System.nanoTime() < deadline, "repair backlogs drain: " + backlog(cluster));
        Thread.sleep(100);
      }
      long repaired = 0;
      for (int n = 1; n <= 3; n++) {
        repaired += cluster.node(n).orElseThrow().healing().orElseThrow().status().getRepairsDone();
      }
      assertTrue(repaired >= corrupted.size(), "every corrupt replica was repaired: " + repaired);

      cluster.stopNode(VICTIM);
      try (RocksStorage storage = RocksStorage.open(rocks, RocksStorageConfig.defaults())) {
        VerifiedChunkStore verified = new VerifiedChunkStore(storage.chunks());
        for (ChunkId id : corrupted) {
          assertTrue(verified.get(id).isPresent(), "a verified copy of " + id.hex());
        }
      }
      cluster.restartNode(VICTIM);
      cluster.awaitCaughtUp(VICTIM, Duration.ofSeconds(60));
      for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
        assertArrayEquals(e.getValue(), c.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey());
      }
      assertEquals(0, backlog(cluster));
    }
  }

  private static long backlog(DevCluster cluster) {
    long sum = 0;
    for (int n = 1; n <= 3; n++) {
      sum += cluster.node(n).orElseThrow().healing().orElseThrow().repairBacklog();
    }
    return sum;
  }
}
