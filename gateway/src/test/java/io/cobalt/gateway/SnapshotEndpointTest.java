package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.rest.PagedResponse;
import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.DeleteSnapshotsOptionType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.specialized.BlobClientBase;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Blob snapshots (ADR 0022) with the official SDK against the node's real partition state machine:
 * Snapshot Blob, reads of a snapshot, Delete Blob's snapshot rules, List Blobs with snapshots,
 * and writes that name a snapshot refused.
 */
class SnapshotEndpointTest {
  private static final Pattern SNAPSHOT_TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{7}Z");
  private static GatewayFixture gateway;
  private static BlobContainerClient box;

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c);
    box = gateway.keyClient().getBlobContainerClient("snaps");
    box.create();
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  private static BlobClient upload(String name, String text, Map<String, String> metadata) {
    BlobClient b = box.getBlobClient(name);
    b.upload(BinaryData.fromString(text), true);
    if (metadata != null) {
      b.setMetadata(metadata);
    }
    return b;
  }

  @Test
  void aSnapshotKeepsTheContentAndMetadataItWasTakenWith() {
    BlobClient b = upload("doc.txt", "version one", Map.of("stage", "draft"));
    BlobProperties before = b.getProperties();
    BlobClientBase snap = b.createSnapshot();
    String id = snap.getSnapshotId();
    assertTrue(SNAPSHOT_TIME.matcher(id).matches(), id);
    assertTrue(snap.isSnapshot());

    b.upload(BinaryData.fromString("version two, longer"), true);
    b.setMetadata(Map.of("stage", "final"));
    assertEquals("version one", snap.downloadContent().toString());
    assertEquals("version two, longer", b.downloadContent().toString());
    BlobProperties p = box.getBlobClient("doc.txt", id).getProperties();
    assertEquals("version one".length(), p.getBlobSize());
    assertEquals(Map.of("stage", "draft"), p.getMetadata());
    assertEquals(before.getETag(), p.getETag(), "a snapshot keeps the ETag of the blob it copied");
    assertEquals(Map.of("stage", "final"), b.getProperties().getMetadata());
    assertEquals("sion", new String(rangeOf(snap, 3, 4), StandardCharsets.UTF_8), "ranges of a snapshot");

    // x-ms-meta-* replace the metadata on the snapshot only.
    String withMeta = b.createSnapshotWithResponse(Map.of("note", "release"), null, null, null)
        .getValue().getSnapshotId();
    assertNotEquals(id, withMeta);
    assertEquals(Map.of("note", "release"), box.getBlobClient("doc.txt", withMeta).getProperties().getMetadata());
    assertEquals("version two, longer", box.getBlobClient("doc.txt", withMeta).downloadContent().toString());
    assertEquals(Map.of("stage", "final"), b.getProperties().getMetadata());
  }

  private static byte[] rangeOf(BlobClientBase b, long offset, long count) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    b.downloadStreamWithResponse(out, new com.azure.storage.blob.models.BlobRange(offset, count), null, null, false,
        null, null);
    return out.toByteArray();
  }

  @Test
  void snapshotOfAMissingBlobOrUnderAFailedConditionIsRefused() {
    LeaseEndpointTest.assertRefused(404, BlobErrorCode.BLOB_NOT_FOUND,
        () -> box.getBlobClient("never-written").createSnapshot());
    BlobClient b = upload("conditional.txt", "x", null);
    LeaseEndpointTest.assertRefused(412, BlobErrorCode.CONDITION_NOT_MET, () -> b.createSnapshotWithResponse(
        null, new BlobRequestConditions().setIfMatch("\"0x8D0000000000000\""), null, null));
    String etag = b.getProperties().getETag();
    assertNotNull(b.createSnapshotWithResponse(null, new BlobRequestConditions().setIfMatch(etag), null, null)
        .getValue().getSnapshotId());

    // A leased blob can be snapshotted without the lease id, but not with another one.
    String lease = UUID.randomUUID().toString();
    LeaseEndpointTest.lease(b, lease).acquireLease(-1);
    assertNotNull(b.createSnapshot().getSnapshotId());
    LeaseEndpointTest.assertRefused(412, BlobErrorCode.LEASE_ID_MISMATCH_WITH_BLOB_OPERATION,
        () -> b.createSnapshotWithResponse(null, LeaseEndpointTest.withLease(UUID.randomUUID().toString()),
            null, null));
    LeaseEndpointTest.lease(b, lease).releaseLease();
  }

  @Test
  void deleteFollowsTheSnapshotRules() {
    BlobClient b = upload("to-delete.txt", "base", null);
    BlobClientBase s1 = b.createSnapshot();
    BlobClientBase s2 = b.createSnapshot();
    LeaseEndpointTest.assertRefused(409, BlobErrorCode.SNAPSHOTS_PRESENT, b::delete);
    assertTrue(b.exists());

    s1.delete();
    assertFalse(s1.exists());
    LeaseEndpointTest.assertRefused(404, BlobErrorCode.BLOB_NOT_FOUND, s1::delete);
    assertTrue(s2.exists());

    b.deleteWithResponse(DeleteSnapshotsOptionType.ONLY, null, null, null);
    assertFalse(s2.exists());
    assertTrue(b.exists(), "only: the base blob stays");

    BlobClientBase s3 = b.createSnapshot();
    b.deleteWithResponse(DeleteSnapshotsOptionType.INCLUDE, null, null, null);
    assertFalse(b.exists());
    assertFalse(s3.exists(), "include: the snapshots go with the blob");

    BlobClient alone = upload("no-snapshots.txt", "x", null);
    alone.delete();
    assertFalse(alone.exists());
  }

  @Test
  void listingShowsSnapshotsOldestFirstBeforeTheirBlobOnlyWhenAsked() {
    BlobContainerClient list = gateway.keyClient().getBlobContainerClient("snaplist");
    list.create();
    List<String> expected = new ArrayList<>();
    for (String name : List.of("a", "b", "c", "d")) {
      BlobClient b = list.getBlobClient(name);
      b.upload(BinaryData.fromString(name), true);
      int count = name.equals("b") ? 3 : name.equals("d") ? 1 : 0;
      for (int i = 0; i < count; i++) {
        expected.add(name + "@" + b.createSnapshot().getSnapshotId());
      }
      expected.add(name);
    }
    List<String> plain = new ArrayList<>();
    list.listBlobs().forEach(i -> plain.add(i.getName()));
    assertEquals(List.of("a", "b", "c", "d"), plain);

    ListBlobsOptions withSnapshots = new ListBlobsOptions().setDetails(new BlobListDetails().setRetrieveSnapshots(true));
    assertEquals(expected, names(list.listBlobs(withSnapshots, null)));
    for (BlobItem i : list.listBlobs(withSnapshots, null)) {
      assertEquals(1L, i.getProperties().getContentLength());
    }

    // Pages of 1, 2 and 3: every record once, in order; each snapshot counts toward maxresults, so
    // pages resume between b's snapshots and never hold more than asked.
    for (int size = 1; size <= 3; size++) {
      List<String> paged = new ArrayList<>();
      for (PagedResponse<BlobItem> page : list.listBlobs(
          new ListBlobsOptions().setMaxResultsPerPage(size).setDetails(new BlobListDetails().setRetrieveSnapshots(true)),
          null).iterableByPage()) {
        List<String> names = names(page.getValue());
        assertTrue(names.size() <= size, "page of " + size + ": " + names);
        paged.addAll(names);
      }
      assertEquals(expected, paged, "pages of " + size);
    }

  }

  @Test
  void getBlockListOfASnapshotGivesItsCommittedBlocks() {
    com.azure.storage.blob.specialized.BlockBlobClient b = box.getBlobClient("blocks.bin").getBlockBlobClient();
    String one = java.util.Base64.getEncoder().encodeToString("block-1".getBytes(StandardCharsets.UTF_8));
    String two = java.util.Base64.getEncoder().encodeToString("block-2".getBytes(StandardCharsets.UTF_8));
    b.stageBlock(one, BinaryData.fromString("first"));
    b.stageBlock(two, BinaryData.fromString("second!"));
    b.commitBlockList(List.of(one, two), true);
    String id = b.createSnapshot().getSnapshotId();
    // The blob moves on: one block committed, one staged.
    b.stageBlock(one, BinaryData.fromString("1"));
    b.commitBlockList(List.of(one), true);
    b.stageBlock(two, BinaryData.fromString("staged"));

    com.azure.storage.blob.specialized.BlockBlobClient snap =
        box.getBlobClient("blocks.bin", id).getBlockBlobClient();
    com.azure.storage.blob.models.BlockList all =
        snap.listBlocks(com.azure.storage.blob.models.BlockListType.ALL);
    assertEquals(List.of(one, two), all.getCommittedBlocks().stream().map(x -> x.getName()).toList());
    assertEquals(List.of(5L, 7L), all.getCommittedBlocks().stream().map(x -> x.getSizeLong()).toList());
    assertTrue(all.getUncommittedBlocks().isEmpty(), "a snapshot has no uncommitted blocks");
    assertEquals(List.of(one), b.listBlocks(com.azure.storage.blob.models.BlockListType.COMMITTED)
        .getCommittedBlocks().stream().map(x -> x.getName()).toList());

    LeaseEndpointTest.assertRefused(404, BlobErrorCode.BLOB_NOT_FOUND, () -> box.getBlobClient(
        "blocks.bin", "2001-01-01T00:00:00.0000000Z").getBlockBlobClient()
        .listBlocks(com.azure.storage.blob.models.BlockListType.ALL));
  }

  @Test
  void getBlockListWithAMalformedSnapshotIsRefused() throws Exception {
    HttpResponse<String> r = send("GET", "/blocks-missing.bin?comp=blocklist&snapshot=yesterday", Map.of());
    assertEquals(400, r.statusCode(), r.body());
    assertEquals("InvalidQueryParameterValue", r.headers().firstValue("x-ms-error-code").orElse(null));
  }

  @Test
  void snapshotsAreListedInFlatListingsOnly() throws Exception {
    // As Azure (and the SDK, which refuses the combination before sending it).
    HttpResponse<String> r = send("GET", "?restype=container&comp=list&include=snapshots&delimiter=%2F", Map.of());
    assertEquals(400, r.statusCode(), r.body());
    assertEquals("InvalidQueryParameterValue", r.headers().firstValue("x-ms-error-code").orElse(null));
    HttpResponse<String> flat = send("GET", "?restype=container&comp=list&include=snapshots,metadata", Map.of());
    assertEquals(200, flat.statusCode(), flat.body());
  }

  private static List<String> names(Iterable<BlobItem> items) {
    List<String> out = new ArrayList<>();
    for (BlobItem i : items) {
      out.add(i.getSnapshot() == null ? i.getName() : i.getName() + "@" + i.getSnapshot());
    }
    return out;
  }

  @Test
  void writesThatNameASnapshotAreRefused() throws Exception {
    BlobClient b = upload("readonly.txt", "fixed", Map.of("k", "v"));
    String id = b.createSnapshot().getSnapshotId();
    String q = "snapshot=" + URLEncoder.encode(id, StandardCharsets.UTF_8);
    for (String write : List.of("?" + q, "?comp=metadata&" + q, "?comp=properties&" + q, "?comp=snapshot&" + q,
        "?comp=block&blockid=YQ%3D%3D&" + q, "?comp=blocklist&" + q, "?comp=lease&" + q)) {
      HttpResponse<String> r = send("PUT", "/readonly.txt" + write, Map.of("x-ms-meta-k", "changed",
          "x-ms-blob-type", "BlockBlob", "x-ms-lease-action", "acquire", "x-ms-lease-duration", "-1"));
      assertEquals(400, r.statusCode(), write + ": " + r.body());
      assertEquals("InvalidQueryParameterValue", r.headers().firstValue("x-ms-error-code").orElse(null), write);
    }
    assertEquals("fixed", box.getBlobClient("readonly.txt", id).downloadContent().toString());
    assertEquals(Map.of("k", "v"), box.getBlobClient("readonly.txt", id).getProperties().getMetadata());

    HttpResponse<String> malformed = send("GET", "/readonly.txt?snapshot=yesterday", Map.of());
    assertEquals(400, malformed.statusCode(), malformed.body());
    assertEquals("InvalidQueryParameterValue", malformed.headers().firstValue("x-ms-error-code").orElse(null));
    HttpResponse<String> unknown = send("GET", "/readonly.txt?snapshot=2001-01-01T00%3A00%3A00.0000000Z", Map.of());
    assertEquals(404, unknown.statusCode(), unknown.body());
    assertEquals("BlobNotFound", unknown.headers().firstValue("x-ms-error-code").orElse(null));

    HttpResponse<String> headerOnSnapshot = send("DELETE", "/readonly.txt?" + q,
        Map.of("x-ms-delete-snapshots", "include"));
    assertEquals(400, headerOnSnapshot.statusCode(), headerOnSnapshot.body());
    HttpResponse<String> snapshotResponse = send("PUT", "/readonly.txt?comp=snapshot", Map.of());
    assertEquals(201, snapshotResponse.statusCode(), snapshotResponse.body());
    String header = snapshotResponse.headers().firstValue("x-ms-snapshot").orElse("");
    assertTrue(SNAPSHOT_TIME.matcher(header).matches(), header);
    assertNull(snapshotResponse.headers().firstValue("x-ms-error-code").orElse(null));
    assertArrayEquals("fixed".getBytes(StandardCharsets.UTF_8),
        box.getBlobClient("readonly.txt", header).downloadContent().toBytes());
  }

  private static HttpResponse<String> send(String method, String pathAndQuery, Map<String, String> headers)
      throws Exception {
    String sas = gateway.keyClient().generateAccountSas(new com.azure.storage.common.sas.AccountSasSignatureValues(
        OffsetDateTime.now().plusHours(1),
        com.azure.storage.common.sas.AccountSasPermission.parse("rwdlac"),
        com.azure.storage.common.sas.AccountSasService.parse("b"),
        com.azure.storage.common.sas.AccountSasResourceType.parse("sco")));
    String sep = pathAndQuery.contains("?") ? "&" : "?";
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(gateway.httpEndpoint() + "/snaps" + pathAndQuery
            + sep + sas))
        .header("x-ms-version", "2025-11-05")
        .method(method, HttpRequest.BodyPublishers.ofString(method.equals("PUT") ? "body" : ""));
    headers.forEach(req::header);
    return HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
  }
}
