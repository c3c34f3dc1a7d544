package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cluster started again on the same data directory serves every blob stored before. */
class RestartIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  @Test
  void restartOnTheSameDataKeepsEveryBlob(@TempDir Path data) throws Exception {
    System.out.println("RestartIT seed " + SEED);
    Random random = new Random(SEED);
    Map<String, byte[]> stored = new LinkedHashMap<>();
    try (DevCluster cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0))) {
      BlobContainerClient c = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .buildClient().createBlobContainer("kept");
      for (int size : new int[] {0, 1, 70_000, 4 * 1024 * 1024 + 3, 11 * 1024 * 1024}) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        stored.put("b" + size, b);
        c.getBlobClient("b" + size).upload(BinaryData.fromBytes(b));
      }
    }
    try (DevCluster cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0))) {
      BlobContainerClient c = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .buildClient().getBlobContainerClient("kept");
      for (Map.Entry<String, byte[]> e : stored.entrySet()) {
        assertArrayEquals(e.getValue(), c.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey() + " seed " + SEED);
      }
      assertEquals(stored.size(), c.listBlobs().stream().count());
    }
  }
}
