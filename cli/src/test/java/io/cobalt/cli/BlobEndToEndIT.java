package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.core.http.rest.PagedResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole path, judged by the official Azure SDK: a real in-process cluster (kms-agent, three
 * nodes with RocksDB, the gateway, all over mTLS) on loopback with free ports.
 */
class BlobEndToEndIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  @TempDir
  static Path data;

  private static DevCluster cluster;
  private static BlobServiceClient service;

  @BeforeAll
  static void startCluster() throws Exception {
    System.out.println("BlobEndToEndIT seed " + SEED + " (replay with -Dcobalt.seed=" + SEED + ")");
    cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0));
    service = new BlobServiceClientBuilder().connectionString(cluster.connectionString()).buildClient();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 64 * 1024 - 1, 64 * 1024 + 1, 5 * 1024 * 1024, 100 * 1024 * 1024})
  void uploadsAndDownloadsBlobsByteForByte(int size) {
    BlobContainerClient c = service.getBlobContainerClient("sizes");
    c.createIfNotExists();
    byte[] content = randomBytes(new Random(SEED + size), size);
    BlobClient blob = c.getBlobClient("blob-" + size);
    blob.upload(BinaryData.fromBytes(content), true);

    byte[] back = blob.downloadContent().toBytes();
    assertEquals(size, back.length, "seed " + SEED);
    assertTrue(Arrays.equals(content, back), "content differs; seed " + SEED);

    BlobProperties props = blob.getProperties();
    assertEquals(size, props.getBlobSize());
    assertTrue(props.isServerEncrypted(), "x-ms-server-encrypted must be true");
  }

  @Test
  void rangeReadsAtRandomOffsetsMatchTheSlice() throws Exception {
    BlobContainerClient c = service.getBlobContainerClient("ranges");
    c.createIfNotExists();
    Random random = new Random(SEED);
    byte[] content = randomBytes(random, 9 * 1024 * 1024 + 12345);
    BlobClient blob = c.getBlobClient("ranged");
    blob.upload(BinaryData.fromBytes(content), true);

    for (int i = 0; i < 40; i++) {
      int offset = random.nextInt(content.length);
      int length = 1 + random.nextInt(Math.min(content.length - offset, i % 4 == 0 ? 6 * 1024 * 1024 : 200_000));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      blob.downloadStreamWithResponse(out, new BlobRange(offset, (long) length), null, null, false, null, null);
      assertArrayEquals(Arrays.copyOfRange(content, offset, offset + length), out.toByteArray(),
          "range [" + offset + ", +" + length + ") seed " + SEED);
    }
    try (InputStream in = blob.openInputStream(new BlobRange(content.length - 10), null)) {
      assertArrayEquals(Arrays.copyOfRange(content, content.length - 10, content.length), in.readAllBytes());
    }
  }

  @Test
  void wrongAccountKeyIsRejectedWith403AuthenticationFailed() {
    String wrongKey = java.util.Base64.getEncoder().encodeToString(randomBytes(new Random(SEED), 64));
    BlobServiceClient wrong = new BlobServiceClientBuilder()
        .connectionString(cluster.connectionString(wrongKey)).buildClient();
    BlobStorageException e = assertThrows(BlobStorageException.class,
        () -> wrong.getBlobContainerClient("anything").create());
    assertEquals(403, e.getStatusCode());
    assertEquals(BlobErrorCode.AUTHENTICATION_FAILED, e.getErrorCode());
  }

  @Test
  void secondaryAccountKeyIsAccepted() {
    BlobServiceClient secondary = new BlobServiceClientBuilder()
        .connectionString(cluster.connectionString(cluster.secondaryKey())).buildClient();
    BlobContainerClient c = secondary.getBlobContainerClient("secondary-key");
    c.create();
    c.getBlobClient("x").upload(BinaryData.fromString("hello"));
    assertEquals("hello", service.getBlobContainerClient("secondary-key").getBlobClient("x").downloadContent().toString());
  }

  @Test
  void missingContainerIs404ContainerNotFound() {
    BlobStorageException e = assertThrows(BlobStorageException.class,
        () -> service.getBlobContainerClient("no-such-container").getBlobClient("b").upload(BinaryData.fromString("x")));
    assertEquals(404, e.getStatusCode());
    assertEquals(BlobErrorCode.CONTAINER_NOT_FOUND, e.getErrorCode());

    BlobStorageException e2 = assertThrows(BlobStorageException.class,
        () -> service.getBlobContainerClient("no-such-container").getBlobClient("b").downloadContent());
    assertEquals(404, e2.getStatusCode());
  }

  @Test
  void listsBlobsWithPrefixAndPages() {
    BlobContainerClient c = service.getBlobContainerClient("listing");
    c.createIfNotExists();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      String name = String.format("dir/%03d", i);
      expected.add(name);
      c.getBlobClient(name).upload(BinaryData.fromString("v" + i), true);
    }
    c.getBlobClient("other").upload(BinaryData.fromString("o"), true);

    List<String> seen = new ArrayList<>();
    int pages = 0;
    Iterator<PagedResponse<BlobItem>> it =
        c.listBlobs(new ListBlobsOptions().setPrefix("dir/").setMaxResultsPerPage(5), null).iterableByPage().iterator();
    while (it.hasNext()) {
      PagedResponse<BlobItem> page = it.next();
      pages++;
      assertTrue(page.getValue().size() <= 5);
      page.getValue().forEach(b -> seen.add(b.getName()));
    }
    assertEquals(expected, seen);
    assertEquals(5, pages);
    assertTrue(service.listBlobContainers().stream().anyMatch(ci -> ci.getName().equals("listing")));
  }

  @Test
  void deletedBlobsAndContainersAreGone() {
    BlobContainerClient c = service.getBlobContainerClient("deletions");
    c.create();
    BlobClient b = c.getBlobClient("gone");
    b.upload(BinaryData.fromString("bye"));
    b.delete();
    BlobStorageException e = assertThrows(BlobStorageException.class, b::getProperties);
    assertEquals(404, e.getStatusCode());
    c.delete();
    assertFalse(c.exists());
    c.create();
    assertFalse(c.getBlobClient("gone").exists(), "a re-created container starts empty");
  }

  /** Snapshots through Raft (ADR 0022): the official SDK's snapshot calls against a real cluster. */
  @Test
  void snapshotsKeepTheirContentAndFollowAzureDeleteAndListRules() {
    BlobContainerClient c = service.getBlobContainerClient("snapshots");
    c.create();
    Random random = new Random(SEED);
    byte[] v1 = randomBytes(random, 3 * 1024 * 1024 + 17);
    byte[] v2 = randomBytes(random, 1024);
    BlobClient b = c.getBlobClient("report.bin");
    b.upload(BinaryData.fromBytes(v1));
    com.azure.storage.blob.specialized.BlobClientBase first = b.createSnapshot();
    String id = first.getSnapshotId();
    assertTrue(id.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{7}Z"), id);
    b.upload(BinaryData.fromBytes(v2), true);
    assertArrayEquals(v1, b.getSnapshotClient(id).downloadContent().toBytes(), "the snapshot keeps version 1");
    assertArrayEquals(v2, b.downloadContent().toBytes());
    String second = b.createSnapshotWithResponse(java.util.Map.of("label", "v2"), null, null, null)
        .getValue().getSnapshotId();
    assertEquals(java.util.Map.of("label", "v2"), b.getSnapshotClient(second).getProperties().getMetadata());

    List<String> listed = new ArrayList<>();
    c.listBlobs(new ListBlobsOptions().setDetails(
        new com.azure.storage.blob.models.BlobListDetails().setRetrieveSnapshots(true)), null)
        .forEach(i -> listed.add(i.getSnapshot() == null ? i.getName() : i.getName() + "@" + i.getSnapshot()));
    assertEquals(List.of("report.bin@" + id, "report.bin@" + second, "report.bin"), listed);

    BlobStorageException present = assertThrows(BlobStorageException.class, b::delete);
    assertEquals(409, present.getStatusCode());
    assertEquals(BlobErrorCode.SNAPSHOTS_PRESENT, present.getErrorCode());
    b.getSnapshotClient(second).delete();
    assertFalse(b.getSnapshotClient(second).exists());
    b.deleteWithResponse(com.azure.storage.blob.models.DeleteSnapshotsOptionType.ONLY, null, null, null);
    assertFalse(b.getSnapshotClient(id).exists());
    assertTrue(b.exists(), "only: the blob stays");
    String third = b.createSnapshot().getSnapshotId();
    b.deleteWithResponse(com.azure.storage.blob.models.DeleteSnapshotsOptionType.INCLUDE, null, null, null);
    assertFalse(b.exists());
    assertFalse(b.getSnapshotClient(third).exists(), "include: the snapshots go with the blob");
  }

  @Test
  void leasesAndStoredAccessPoliciesHoldThroughRaft() {
    BlobContainerClient c = service.getBlobContainerClient("leases-and-acls");
    c.create();
    BlobClient b = c.getBlobClient("held");
    b.upload(BinaryData.fromString("v1"));
    String id = java.util.UUID.randomUUID().toString();
    new com.azure.storage.blob.specialized.BlobLeaseClientBuilder().blobClient(b).leaseId(id).buildClient()
        .acquireLease(-1);
    BlobStorageException refused = assertThrows(BlobStorageException.class,
        () -> b.upload(BinaryData.fromString("v2"), true));
    assertEquals(412, refused.getStatusCode());
    assertEquals(BlobErrorCode.LEASE_ID_MISSING, refused.getErrorCode());
    b.uploadWithResponse(new com.azure.storage.blob.options.BlobParallelUploadOptions(BinaryData.fromString("v2"))
        .setRequestConditions(new com.azure.storage.blob.models.BlobRequestConditions().setLeaseId(id)), null, null);
    assertEquals(com.azure.storage.blob.models.LeaseStateType.LEASED, b.getProperties().getLeaseState());

    c.setAccessPolicy(null, List.of(new com.azure.storage.blob.models.BlobSignedIdentifier().setId("readers")
        .setAccessPolicy(new com.azure.storage.blob.models.BlobAccessPolicy().setPermissions("r")
            .setExpiresOn(java.time.OffsetDateTime.now().plusHours(1)))));
    String sas = c.generateSas(new com.azure.storage.blob.sas.BlobServiceSasSignatureValues("readers"));
    BlobClient viaSas = new BlobServiceClientBuilder().endpoint(service.getAccountUrl()).sasToken(sas).buildClient()
        .getBlobContainerClient("leases-and-acls").getBlobClient("held");
    assertEquals("v2", viaSas.downloadContent().toString());
  }

  @Test
  void dataDirectoriesHoldNoTraceOfAKnownPlaintext() throws IOException {
    byte[] marker = ("COBALT-PLAINTEXT-MARKER-" + HexFormat.of().formatHex(randomBytes(new Random(SEED), 16)))
        .getBytes(StandardCharsets.US_ASCII);
    byte[] content = new byte[3 * 1024 * 1024];
    for (int i = 0; i + marker.length <= content.length; i += marker.length) {
      System.arraycopy(marker, 0, content, i, marker.length);
    }
    BlobContainerClient c = service.getBlobContainerClient("marker");
    c.createIfNotExists();
    c.getBlobClient("marked").upload(BinaryData.fromBytes(content), true);
    assertArrayEquals(content, c.getBlobClient("marked").downloadContent().toBytes());

    List<Path> files;
    try (Stream<Path> walk = Files.walk(cluster.dataDir())) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertFalse(files.isEmpty());
    for (Path f : files) {
      byte[] bytes = Files.readAllBytes(f);
      assertEquals(-1, indexOf(bytes, marker), "plaintext marker found in " + f);
    }
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
