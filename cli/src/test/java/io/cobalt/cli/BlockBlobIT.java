package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlockListType;
import com.azure.storage.blob.models.ParallelTransferOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Block blobs on the real cluster (Raft metadata, replicated chunks), judged by the Azure SDK: the
 * SDK's own block path for a multi-block upload, explicit stage/commit, metadata, and a
 * create-only upload that must not overwrite.
 */
class BlockBlobIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  @Test
  void blockUploadsCommitsMetadataAndCreateOnlyOnTheRealCluster(@TempDir Path data) throws Exception {
    System.out.println("BlockBlobIT seed " + SEED);
    Random random = new Random(SEED);
    try (DevCluster cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0))) {
      BlobContainerClient c = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .buildClient().createBlobContainer("blocks");

      byte[] content = new byte[3 * 1024 * 1024 + 4321];
      random.nextBytes(content);
      BlobClient viaSdk = c.getBlobClient("sdk-block-path");
      viaSdk.uploadWithResponse(new BlobParallelUploadOptions(new ByteArrayInputStream(content), content.length)
          .setParallelTransferOptions(new ParallelTransferOptions()
              .setMaxSingleUploadSizeLong(1024L * 1024).setBlockSizeLong(1024L * 1024)), null, null);
      assertArrayEquals(content, viaSdk.downloadContent().toBytes(), "seed " + SEED);
      assertEquals(4, viaSdk.getBlockBlobClient().listBlocks(BlockListType.COMMITTED).getCommittedBlocks().size());

      BlockBlobClient explicit = c.getBlobClient("explicit").getBlockBlobClient();
      String a = Base64.getEncoder().encodeToString("block-a".getBytes(StandardCharsets.US_ASCII));
      String b = Base64.getEncoder().encodeToString("block-b".getBytes(StandardCharsets.US_ASCII));
      explicit.stageBlock(b, BinaryData.fromString("world"));
      explicit.stageBlock(a, BinaryData.fromString("hello, "));
      assertEquals(2, explicit.listBlocks(BlockListType.UNCOMMITTED).getUncommittedBlocks().size());
      explicit.commitBlockList(List.of(a, b));
      assertEquals("hello, world", c.getBlobClient("explicit").downloadContent().toString());

      c.getBlobClient("explicit").setMetadata(Map.of("owner", "cobalt"));
      assertEquals("cobalt", c.getBlobClient("explicit").getProperties().getMetadata().get("owner"));

      BlobStorageException e = assertThrows(BlobStorageException.class,
          () -> c.getBlobClient("explicit").upload(BinaryData.fromString("overwrite?"), false));
      assertEquals(409, e.getStatusCode());
      assertEquals("hello, world", c.getBlobClient("explicit").downloadContent().toString());
    }
  }
}
