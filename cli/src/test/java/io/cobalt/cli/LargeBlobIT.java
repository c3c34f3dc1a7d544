package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.ParallelTransferOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import io.cobalt.node.ListenPorts;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Put Blob is streamed, never buffered whole: a 256 MiB blob goes up as one Put Blob and comes back
 * intact from a {@code cobalt dev} whose whole JVM (three nodes, gateway, kms-agent) has a 256 MiB
 * heap. Buffering the body, or a whole blob on the way out, would not fit.
 */
class LargeBlobIT {
  private static final long SIZE = 256L * 1024 * 1024;
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  @Test
  void streams256MiBThroughAGatewayWithA256MiBHeap(@TempDir Path data) throws Exception {
    System.out.println("LargeBlobIT seed " + SEED);
    DevProcess dev = DevProcess.start(data, ListenPorts.next(), "-Xmx256m", "-XX:MaxDirectMemorySize=256m");
    try {
      BlobClient blob = new BlobServiceClientBuilder().connectionString(dev.connectionString()).buildClient()
          .createBlobContainer("large").getBlobClient("quarter-gib");

      MessageDigest sent = MessageDigest.getInstance("SHA-256");
      long t0 = System.nanoTime();
      blob.uploadWithResponse(
          new BlobParallelUploadOptions(new GeneratedStream(SIZE, SEED, sent), SIZE)
              // one Put Blob for the whole body, not staged blocks
              .setParallelTransferOptions(new ParallelTransferOptions().setMaxSingleUploadSizeLong(SIZE)),
          null, null);
      long upMillis = (System.nanoTime() - t0) / 1_000_000;

      MessageDigest received = MessageDigest.getInstance("SHA-256");
      t0 = System.nanoTime();
      try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), received)) {
        blob.downloadStream(out);
      }
      long downMillis = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf("256 MiB: upload %d ms, download %d ms (test JVM and cobalt dev share 2 cores)%n",
          upMillis, downMillis);

      assertEquals(SIZE, blob.getProperties().getBlobSize());
      assertArrayEquals(sent.digest(), received.digest(), "seed " + SEED);
    } finally {
      dev.interruptAndWait();
    }
    dev.assertStoppedCleanly();
  }

  /** Seeded pseudo-random bytes, generated as they are read and hashed on the way. */
  static final class GeneratedStream extends InputStream {
    private final SplittableRandom random;
    private final MessageDigest digest;
    private long remaining;

    GeneratedStream(long size, long seed, MessageDigest digest) {
      this.random = new SplittableRandom(seed);
      this.digest = digest;
      this.remaining = size;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (remaining == 0) {
        return -1;
      }
      int n = (int) Math.min(len, remaining);
      for (int i = 0; i < n; i++) {
        b[off + i] = (byte) random.nextInt(256);
      }
      digest.update(b, off, n);
      remaining -= n;
      return n;
    }
  }
}
