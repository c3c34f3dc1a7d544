package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.AppendBlobItem;
import com.azure.storage.blob.models.AppendBlobRequestConditions;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlobType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.specialized.AppendBlobClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Append blobs on the real cluster (Raft metadata, replicated chunks), judged by the Azure SDK's
 * {@link AppendBlobClient}: create, appends (one of the full 4 MiB), the append-position and
 * max-size conditions refused with Azure's codes, whole and ranged reads, properties, listing and
 * delete (docs/adr/0017-append-blobs.md).
 */
class AppendBlobIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  private static AppendBlobItem append(AppendBlobClient blob, byte[] data, AppendBlobRequestConditions conditions) {
    return blob.appendBlockWithResponse(new ByteArrayInputStream(data), data.length, null, conditions, null,
        Context.NONE).getValue();
  }

  private static void assertRefused(int status, BlobErrorCode code, Runnable call) {
    BlobStorageException e = assertThrows(BlobStorageException.class, call::run);
    assertEquals(status, e.getStatusCode(), e.getMessage());
    assertEquals(code, e.getErrorCode(), e.getMessage());
  }

  @Test
  void appendsWithConditionsReadsAndDeletesOnTheRealCluster(@TempDir Path data) throws Exception {
    System.out.println("AppendBlobIT seed " + SEED);
    Random random = new Random(SEED);
    try (DevCluster cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0))) {
      BlobContainerClient c = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .buildClient().createBlobContainer("appends");
      AppendBlobClient blob = c.getBlobClient("events.log").getAppendBlobClient();
      blob.create();

      byte[] a = new byte[1000];
      byte[] big = new byte[4 * 1024 * 1024];
      byte[] b = new byte[77];
      random.nextBytes(a);
      random.nextBytes(big);
      random.nextBytes(b);
      assertEquals("0", append(blob, a, null).getBlobAppendOffset());
      AppendBlobItem second = append(blob, big, new AppendBlobRequestConditions().setAppendPosition(1000L));
      assertEquals("1000", second.getBlobAppendOffset());
      assertEquals(2, second.getBlobCommittedBlockCount());
      long length = 1000L + big.length;

      assertRefused(412, BlobErrorCode.APPEND_POSITION_CONDITION_NOT_MET,
          () -> append(blob, b, new AppendBlobRequestConditions().setAppendPosition(1000L)));
      assertRefused(412, BlobErrorCode.MAX_BLOB_SIZE_CONDITION_NOT_MET,
          () -> append(blob, b, new AppendBlobRequestConditions().setMaxSize(length + b.length - 1)));
      AppendBlobItem third = append(blob, b,
          new AppendBlobRequestConditions().setAppendPosition(length).setMaxSize(length + b.length));
      assertEquals(Long.toString(length), third.getBlobAppendOffset());
      assertEquals(3, third.getBlobCommittedBlockCount());

      byte[] expected = new byte[(int) length + b.length];
      System.arraycopy(a, 0, expected, 0, a.length);
      System.arraycopy(big, 0, expected, a.length, big.length);
      System.arraycopy(b, 0, expected, a.length + big.length, b.length);
      assertArrayEquals(expected, blob.downloadContent().toBytes(), "seed " + SEED);
      ByteArrayOutputStream range = new ByteArrayOutputStream();
      blob.downloadStreamWithResponse(range, new BlobRange(990, 20L), null, null, false, null, Context.NONE);
      assertArrayEquals(Arrays.copyOfRange(expected, 990, 1010), range.toByteArray(), "a range across two blocks");

      BlobProperties p = blob.getProperties();
      assertEquals(BlobType.APPEND_BLOB, p.getBlobType());
      assertEquals(3, p.getCommittedBlockCount());
      assertEquals(expected.length, p.getBlobSize());
      assertEquals(third.getETag(), p.getETag());
      BlobItem listed = c.listBlobs(new ListBlobsOptions().setPrefix("events"), null).iterator().next();
      assertEquals(BlobType.APPEND_BLOB, listed.getProperties().getBlobType());

      blob.delete();
      assertFalse(blob.exists());
    }
  }
}
