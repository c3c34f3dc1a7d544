package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.azure.core.http.RequestConditions;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.core.util.polling.LongRunningOperationStatus;
import com.azure.core.util.polling.PollResponse;
import com.azure.core.util.polling.SyncPoller;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobCopyInfo;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.CopyStatusType;
import com.azure.storage.blob.options.BlobCopyFromUrlOptions;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copy Blob, Copy Blob From URL and Put Blob From URL (ADR 0019) on a real in-process cluster
 * (kms-agent, three nodes with RocksDB and Raft, the gateway, over mTLS), judged by the official
 * Azure SDK for Java.
 */
class CopyBlobIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  @TempDir
  static Path data;

  private static DevCluster cluster;
  private static BlobServiceClient service;
  private static BlobContainerClient box;

  @BeforeAll
  static void startCluster() throws Exception {
    System.out.println("CopyBlobIT seed " + SEED + " (replay with -Dcobalt.seed=" + SEED + ")");
    cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0));
    service = new BlobServiceClientBuilder().connectionString(cluster.connectionString()).buildClient();
    box = service.getBlobContainerClient("copies");
    box.createIfNotExists();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static byte[] randomBytes(long salt, int n) {
    byte[] b = new byte[n];
    new Random(SEED ^ salt).nextBytes(b);
    return b;
  }

  private static String withSas(BlobClient blob) {
    return blob.getBlobUrl() + "?" + blob.generateSas(
        new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1), BlobSasPermission.parse("r")));
  }

  @Test
  void beginCopyReachesSuccessAndTheCopyReadsBackByteForByte() {
    byte[] content = randomBytes(1, 24 * 1024 * 1024 + 17); // seven chunks, the last one partial
    BlobClient src = box.getBlobClient("source-large.bin");
    src.upload(BinaryData.fromBytes(content), true);
    src.setMetadata(Map.of("kind", "large"));
    BlobClient dst = box.getBlobClient("copy-large.bin");

    SyncPoller<BlobCopyInfo, Void> poller = dst.beginCopy(src.getBlobUrl(), Duration.ofMillis(100));
    PollResponse<BlobCopyInfo> done = poller.waitForCompletion(Duration.ofMinutes(2));

    assertEquals(LongRunningOperationStatus.SUCCESSFULLY_COMPLETED, done.getStatus());
    assertArrayEquals(content, dst.downloadContent().toBytes());
    BlobProperties p = dst.getProperties();
    assertEquals(CopyStatusType.SUCCESS, p.getCopyStatus());
    assertEquals(done.getValue().getCopyId(), p.getCopyId());
    assertEquals(content.length + "/" + content.length, p.getCopyProgress());
    assertNotNull(p.getCopyCompletionTime());
    assertEquals(Map.of("kind", "large"), p.getMetadata());
  }

  @Test
  void copyFromUrlIsSynchronousAndReplacesMetadataWhenGiven() {
    byte[] content = randomBytes(2, 300_000);
    BlobClient src = box.getBlobClient("source-sync.bin");
    src.upload(BinaryData.fromBytes(content), true);
    src.setMetadata(Map.of("from", "source"));
    BlobClient dst = box.getBlobClient("copy-sync.bin");

    String copyId = dst.copyFromUrlWithResponse(
        new BlobCopyFromUrlOptions(withSas(src)).setMetadata(Map.of("from", "request")), null, Context.NONE)
        .getValue();

    assertArrayEquals(content, dst.downloadContent().toBytes());
    BlobProperties p = dst.getProperties();
    assertEquals(copyId, p.getCopyId());
    assertEquals(CopyStatusType.SUCCESS, p.getCopyStatus());
    assertEquals(Map.of("from", "request"), p.getMetadata());
  }

  @Test
  void uploadFromUrlWritesABlockBlob() {
    byte[] content = randomBytes(3, 5 * 1024 * 1024);
    BlobClient src = box.getBlobClient("source-put.bin");
    src.upload(BinaryData.fromBytes(content), true);
    BlobClient dst = box.getBlobClient("put-from-url.bin");

    dst.getBlockBlobClient().uploadFromUrl(withSas(src), true);

    assertArrayEquals(content, dst.downloadContent().toBytes());
    assertNull(dst.getProperties().getCopyId());
  }

  @Test
  void failingSourceConditionsAre412SourceConditionNotMet() {
    BlobClient src = box.getBlobClient("source-cond.bin");
    src.upload(BinaryData.fromString("conditional"), true);
    BlobClient dst = box.getBlobClient("copy-cond.bin");

    BlobStorageException e = assertThrows(BlobStorageException.class,
        () -> dst.copyFromUrlWithResponse(new BlobCopyFromUrlOptions(withSas(src))
            .setSourceRequestConditions(new RequestConditions()
                .setIfUnmodifiedSince(OffsetDateTime.now().minusDays(1))), null, Context.NONE));

    assertEquals(412, e.getStatusCode());
    assertEquals(BlobErrorCode.SOURCE_CONDITION_NOT_MET, e.getErrorCode());
    assertFalse(dst.exists());
  }

  @Test
  void aMissingSourceIs404CannotVerifyCopySource() {
    BlobClient dst = box.getBlobClient("copy-of-nothing.bin");
    BlobStorageException e = assertThrows(BlobStorageException.class,
        () -> dst.beginCopy(box.getBlobClient("never-written.bin").getBlobUrl(), Duration.ofMillis(100))
            .waitForCompletion());
    assertEquals(404, e.getStatusCode());
    assertEquals(BlobErrorCode.CANNOT_VERIFY_COPY_SOURCE, e.getErrorCode());
    assertFalse(dst.exists());
  }

  @Test
  void aCopiedPlaintextNeverReachesTheDataDirectories() throws IOException {
    byte[] marker = ("COBALT-COPY-MARKER-" + HexFormat.of().formatHex(randomBytes(4, 16)))
        .getBytes(StandardCharsets.US_ASCII);
    byte[] content = new byte[2 * 1024 * 1024];
    for (int i = 0; i + marker.length <= content.length; i += marker.length) {
      System.arraycopy(marker, 0, content, i, marker.length);
    }
    BlobClient src = box.getBlobClient("marked-source");
    src.upload(BinaryData.fromBytes(content), true);
    BlobClient dst = box.getBlobClient("marked-copy");
    dst.copyFromUrl(withSas(src));
    assertArrayEquals(content, dst.downloadContent().toBytes());

    List<Path> files;
    try (Stream<Path> walk = Files.walk(cluster.dataDir())) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertFalse(files.isEmpty());
    for (Path f : files) {
      assertEquals(-1, BlobEndToEndIT.indexOf(Files.readAllBytes(f), marker), "plaintext marker found in " + f);
    }
  }
}
