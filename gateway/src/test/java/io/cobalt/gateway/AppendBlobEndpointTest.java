package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.AppendBlobItem;
import com.azure.storage.blob.models.AppendBlobRequestConditions;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlobType;
import com.azure.storage.blob.models.BlockListType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.specialized.AppendBlobClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Append blobs (docs/adr/0017-append-blobs.md) through the official Azure SDK's
 * {@link AppendBlobClient}, on the gateway with strict fakes whose metadata semantics are the
 * node's real PartitionStateMachine.
 */
class AppendBlobEndpointTest {
  static final long SEED = new SecureRandom().nextLong();
  static GatewayFixture gateway;
  static BlobContainerClient box;

  @BeforeAll
  static void start() throws Exception {
    System.out.println("AppendBlobEndpointTest seed " + SEED);
    gateway = new GatewayFixture(c -> c);
    box = gateway.keyClient().createBlobContainer("appends");
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  static byte[] random(int size, long salt) {
    byte[] b = new byte[size];
    new Random(SEED ^ salt).nextBytes(b);
    return b;
  }

  static BlobStorageException assertRefused(int status, String code, Executable call) {
    BlobStorageException e = assertThrows(BlobStorageException.class, call);
    assertEquals(status, e.getStatusCode(), e.getMessage());
    assertEquals(code, e.getErrorCode().toString(), e.getMessage());
    return e;
  }

  static AppendBlobItem append(AppendBlobClient blob, byte[] data) {
    return blob.appendBlock(new ByteArrayInputStream(data), data.length);
  }

  static AppendBlobItem append(AppendBlobClient blob, byte[] data, AppendBlobRequestConditions conditions) {
    return blob.appendBlockWithResponse(new ByteArrayInputStream(data), data.length, null, conditions, null,
        Context.NONE).getValue();
  }

  @Test
  void createsAppendsAndReadsBackWholeAndByRange() throws Exception {
    AppendBlobClient blob = box.getBlobClient("log.txt").getAppendBlobClient();
    blob.createWithResponse(new com.azure.storage.blob.options.AppendBlobCreateOptions()
        .setMetadata(Map.of("kind", "log"))
        .setHeaders(new com.azure.storage.blob.models.BlobHttpHeaders().setContentType("text/plain")), null,
        Context.NONE);
    BlobProperties empty = blob.getProperties();
    assertEquals(BlobType.APPEND_BLOB, empty.getBlobType());
    assertEquals(0, empty.getBlobSize());
    assertEquals(0, empty.getCommittedBlockCount());
    assertEquals(0, blob.downloadContent().toBytes().length);

    byte[] a = "hello ".getBytes(StandardCharsets.US_ASCII);
    byte[] b = "world".getBytes(StandardCharsets.US_ASCII);
    AppendBlobItem first = append(blob, a);
    assertEquals("0", first.getBlobAppendOffset());
    assertEquals(1, first.getBlobCommittedBlockCount());
    assertArrayEquals(MessageDigest.getInstance("MD5").digest(a), first.getContentMd5());
    AppendBlobItem second = append(blob, b);
    assertEquals("6", second.getBlobAppendOffset());
    assertEquals(2, second.getBlobCommittedBlockCount());
    assertNotEquals(first.getETag(), second.getETag());

    assertEquals("hello world", blob.downloadContent().toString());
    ByteArrayOutputStream part = new ByteArrayOutputStream();
    blob.downloadStreamWithResponse(part, new BlobRange(3, 5L), null, null, false, null, Context.NONE);
    assertEquals("lo wo", part.toString(StandardCharsets.US_ASCII), "a range across two appended blocks");

    BlobProperties p = blob.getProperties();
    assertEquals(BlobType.APPEND_BLOB, p.getBlobType());
    assertEquals(2, p.getCommittedBlockCount());
    assertEquals(11, p.getBlobSize());
    assertEquals(second.getETag(), p.getETag());
    assertEquals("text/plain", p.getContentType());
    assertEquals("log", p.getMetadata().get("kind"));
    assertFalse(p.isSealed());

    BlobItem listed = box.listBlobs(new ListBlobsOptions().setPrefix("log.txt")
        .setDetails(new BlobListDetails().setRetrieveMetadata(true)), null).iterator().next();
    assertEquals(BlobType.APPEND_BLOB, listed.getProperties().getBlobType());
    assertEquals(11, listed.getProperties().getContentLength());

    blob.delete();
    assertFalse(blob.exists());
  }

  @Test
  void appendConditionsAreEvaluatedWithAzureCodesAndChangeNothing() {
    AppendBlobClient blob = box.getBlobClient("conditional.log").getAppendBlobClient();
    blob.create();
    append(blob, random(100, 1));
    String etag = blob.getProperties().getETag();

    assertRefused(412, BlobErrorCode.APPEND_POSITION_CONDITION_NOT_MET.toString(),
        () -> append(blob, random(10, 2), new AppendBlobRequestConditions().setAppendPosition(99L)));
    assertRefused(412, BlobErrorCode.MAX_BLOB_SIZE_CONDITION_NOT_MET.toString(),
        () -> append(blob, random(10, 2), new AppendBlobRequestConditions().setMaxSize(109L)));
    assertRefused(412, BlobErrorCode.CONDITION_NOT_MET.toString(),
        () -> append(blob, random(10, 2), new AppendBlobRequestConditions().setIfMatch("\"0x1234\"")));
    assertRefused(400, BlobErrorCode.MD5MISMATCH.toString(), () -> blob.appendBlockWithResponse(
        new ByteArrayInputStream(random(10, 2)), 10, new byte[16], null, null, Context.NONE));
    assertRefused(413, BlobErrorCode.REQUEST_BODY_TOO_LARGE.toString(),
        () -> append(blob, new byte[4 * 1024 * 1024 + 1]));
    BlobProperties unchanged = blob.getProperties();
    assertEquals(etag, unchanged.getETag());
    assertEquals(100, unchanged.getBlobSize());
    assertEquals(1, unchanged.getCommittedBlockCount());

    AppendBlobItem ok = append(blob, random(10, 2),
        new AppendBlobRequestConditions().setAppendPosition(100L).setMaxSize(110L).setIfMatch(etag));
    assertEquals("100", ok.getBlobAppendOffset());
    byte[] expected = new byte[110];
    System.arraycopy(random(100, 1), 0, expected, 0, 100);
    System.arraycopy(random(10, 2), 0, expected, 100, 10);
    assertArrayEquals(expected, blob.downloadContent().toBytes());
  }

  @Test
  void aFullFourMebibyteBlockIsOneAppend() {
    AppendBlobClient blob = box.getBlobClient("big.log").getAppendBlobClient();
    blob.create();
    byte[] a = random(4 * 1024 * 1024, 3);
    byte[] b = random(1000, 4);
    append(blob, a);
    append(blob, b);
    byte[] all = blob.downloadContent().toBytes();
    assertEquals(a.length + b.length, all.length);
    assertArrayEquals(a, java.util.Arrays.copyOfRange(all, 0, a.length));
    assertArrayEquals(b, java.util.Arrays.copyOfRange(all, a.length, all.length));
  }

  @Test
  void blockAndAppendOperationsOnTheOtherTypeAreInvalidBlobType() {
    AppendBlobClient blob = box.getBlobClient("typed.log").getAppendBlobClient();
    blob.create();
    append(blob, random(5, 5));
    var asBlock = box.getBlobClient("typed.log").getBlockBlobClient();
    String id = Base64.getEncoder().encodeToString("b1".getBytes(StandardCharsets.US_ASCII));
    assertRefused(409, BlobErrorCode.INVALID_BLOB_TYPE.toString(),
        () -> asBlock.stageBlock(id, BinaryData.fromBytes(random(5, 6))));
    assertRefused(409, BlobErrorCode.INVALID_BLOB_TYPE.toString(), () -> asBlock.commitBlockList(List.of(), true));
    assertRefused(409, BlobErrorCode.INVALID_BLOB_TYPE.toString(), () -> asBlock.listBlocks(BlockListType.ALL));
    assertEquals(5, blob.getProperties().getBlobSize());
    assertArrayEquals(random(5, 5), blob.downloadContent().toBytes());

    // Creating again without overwrite is refused; with it, the blob starts empty.
    assertRefused(409, BlobErrorCode.BLOB_ALREADY_EXISTS.toString(), () -> blob.create());
    blob.create(true);
    assertEquals(0, blob.getProperties().getBlobSize());
    assertEquals(0, blob.getProperties().getCommittedBlockCount());

    // A block blob written over it takes its place: appending to it is InvalidBlobType.
    box.getBlobClient("typed.log").upload(BinaryData.fromString("block"), true);
    assertEquals(BlobType.BLOCK_BLOB, blob.getProperties().getBlobType());
    assertRefused(409, BlobErrorCode.INVALID_BLOB_TYPE.toString(), () -> append(blob, random(5, 7)));
    assertRefused(404, BlobErrorCode.BLOB_NOT_FOUND.toString(),
        () -> append(box.getBlobClient("missing.log").getAppendBlobClient(), random(5, 7)));
  }

  @Test
  void concurrentAppendsAllLandWholeAndInSomeOrder() throws Exception {
    AppendBlobClient blob = box.getBlobClient("concurrent.log").getAppendBlobClient();
    blob.create();
    int writers = 6;
    int perWriter = 8;
    int blockSize = 1000;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        done.add(pool.submit(() -> {
          for (int i = 0; i < perWriter; i++) {
            append(blob, block(writer * 100 + i, blockSize));
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    BlobProperties p = blob.getProperties();
    assertEquals(writers * perWriter, p.getCommittedBlockCount());
    byte[] all = blob.downloadContent().toBytes();
    assertEquals((long) writers * perWriter * blockSize, all.length);
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (int off = 0; off < all.length; off += blockSize) {
      int n = java.nio.ByteBuffer.wrap(all, off, 4).getInt();
      assertArrayEquals(block(n, blockSize), java.util.Arrays.copyOfRange(all, off, off + blockSize),
          "block at " + off + " is whole");
      assertTrue(seen.add(n), "block " + n + " appended once");
    }
    assertEquals(writers * perWriter, seen.size());
  }

  record BadInput(String what, String method, String path, Map<String, String> headers, String body, int status,
      String code) {}

  /** Malformed append requests get Azure's 4xx and change nothing (issue 5, point 7). */
  @Test
  void badAppendInputGetsAzureCodesAndChangesNothing() throws Exception {
    AppendBlobClient blob = box.getBlobClient("bad.log").getAppendBlobClient();
    blob.create();
    append(blob, random(9, 14));
    String etag = blob.getProperties().getETag();
    String p = "/appends/bad.log";
    assertRefused(400, BlobErrorCode.INVALID_HEADER_VALUE.toString(), () -> append(blob, new byte[0]));
    List<BadInput> table = List.of(
        new BadInput("Put Blob of an append blob with a body", "PUT", p, Map.of("x-ms-blob-type", "AppendBlob"),
            "abc", 400, "InvalidHeaderValue"),
        // Java's HTTP client sends no Content-Length for an empty PUT body.
        new BadInput("Append Block without Content-Length", "PUT", p + "?comp=appendblock", Map.of(), "", 411,
            "MissingContentLengthHeader"),
        new BadInput("appendpos not a number", "PUT", p + "?comp=appendblock",
            Map.of("x-ms-blob-condition-appendpos", "end"), "abc", 400, "InvalidHeaderValue"),
        new BadInput("negative maxsize", "PUT", p + "?comp=appendblock",
            Map.of("x-ms-blob-condition-maxsize", "-1"), "abc", 400, "InvalidHeaderValue"),
        new BadInput("Append Block From URL", "PUT", p + "?comp=appendblock",
            Map.of("x-ms-copy-source", "https://example.invalid/x"), "", 501, "NotImplemented"),
        new BadInput("Append Block with GET", "GET", p + "?comp=appendblock", Map.of(), null, 405,
            "UnsupportedHttpVerb"),
        new BadInput("Append Block in a missing container", "PUT", "/nobox/x?comp=appendblock", Map.of(), "abc", 404,
            "ContainerNotFound"),
        new BadInput("Seal of a missing blob", "PUT", "/appends/nothing.log?comp=seal", Map.of(), "", 404,
            "BlobNotFound"));
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String sas = gateway.keyClient().generateAccountSas(new com.azure.storage.common.sas.AccountSasSignatureValues(
        java.time.OffsetDateTime.now().plusHours(1),
        com.azure.storage.common.sas.AccountSasPermission.parse("rwdlacup"),
        com.azure.storage.common.sas.AccountSasService.parse("b"),
        com.azure.storage.common.sas.AccountSasResourceType.parse("sco")));
    for (BadInput c : table) {
      String url = gateway.httpEndpoint() + c.path() + (c.path().contains("?") ? "&" : "?") + sas;
      java.net.http.HttpRequest.Builder req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
          .method(c.method(), c.body() == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
              : java.net.http.HttpRequest.BodyPublishers.ofString(c.body()))
          .header("x-ms-version", "2025-11-05");
      c.headers().forEach(req::header);
      java.net.http.HttpResponse<String> resp = http.send(req.build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(c.status(), resp.statusCode(), c.what() + ": " + resp.body());
      assertEquals(c.code(), resp.headers().firstValue("x-ms-error-code").orElse(""), c.what());
    }
    assertEquals(etag, blob.getProperties().getETag(), "no bad request changed the blob");
    assertArrayEquals(random(9, 14), blob.downloadContent().toBytes());
  }

  /** A block that names itself in its first 4 bytes. */
  private static byte[] block(int n, int size) {
    byte[] b = random(size, 1000 + n);
    java.nio.ByteBuffer.wrap(b).putInt(n);
    return b;
  }

  /**
   * The same Append Block command reaches the partition twice (a resubmission after a lost answer,
   * as ChaosSmokeIT saw for other commands, issue 3): the block lands once and the client is told
   * it succeeded.
   */
  @Test
  void anAppendCommandAppliedTwiceLandsOnce() {
    AppendBlobClient blob = box.getBlobClient("twice.log").getAppendBlobClient();
    blob.create();
    append(blob, random(4, 10));
    gateway.metadata.beforeAppend = c -> assertEquals(io.cobalt.proto.node.v1.CommandStatus.OK,
        gateway.metadata.applyDirect(c).getStatus());
    AppendBlobItem item = append(blob, random(6, 11));
    assertEquals("4", item.getBlobAppendOffset());
    assertEquals(2, item.getBlobCommittedBlockCount());
    byte[] expected = new byte[10];
    System.arraycopy(random(4, 10), 0, expected, 0, 4);
    System.arraycopy(random(6, 11), 0, expected, 4, 6);
    assertArrayEquals(expected, blob.downloadContent().toBytes());
    assertEquals(item.getETag(), blob.getProperties().getETag());
  }

  /** Append Block needs SAS permission add ({@code a}) or write; create alone may create but not append. */
  @Test
  void appendNeedsAddOrWriteSasPermission() {
    AppendBlobClient blob = box.getBlobClient("sas.log").getAppendBlobClient();
    blob.create();
    var inAnHour = java.time.OffsetDateTime.now().plusHours(1);
    String add = blob.generateSas(new com.azure.storage.blob.sas.BlobServiceSasSignatureValues(inAnHour,
        com.azure.storage.blob.sas.BlobSasPermission.parse("a")));
    String create = blob.generateSas(new com.azure.storage.blob.sas.BlobServiceSasSignatureValues(inAnHour,
        com.azure.storage.blob.sas.BlobSasPermission.parse("c")));
    AppendBlobClient viaAdd = gateway.sasClient(add).getBlobContainerClient("appends").getBlobClient("sas.log")
        .getAppendBlobClient();
    AppendBlobClient viaCreate = gateway.sasClient(create).getBlobContainerClient("appends")
        .getBlobClient("sas.log").getAppendBlobClient();
    assertEquals("0", append(viaAdd, random(3, 12)).getBlobAppendOffset());
    assertRefused(403, BlobErrorCode.AUTHORIZATION_PERMISSION_MISMATCH.toString(),
        () -> append(viaCreate, random(3, 13)));
    assertRefused(403, BlobErrorCode.AUTHORIZATION_PERMISSION_MISMATCH.toString(), () -> viaAdd.seal());
    assertEquals(3, blob.getProperties().getBlobSize());
  }

  @Test
  void aSealedBlobTakesNoMoreAppends() {
    AppendBlobClient blob = box.getBlobClient("sealed.log").getAppendBlobClient();
    blob.create();
    append(blob, random(7, 8));
    blob.seal();
    assertTrue(blob.getProperties().isSealed());
    assertRefused(409, "BlobIsSealed", () -> append(blob, random(3, 9)));
    assertEquals(7, blob.getProperties().getBlobSize());
    assertArrayEquals(random(7, 8), blob.downloadContent().toBytes());
  }
}
