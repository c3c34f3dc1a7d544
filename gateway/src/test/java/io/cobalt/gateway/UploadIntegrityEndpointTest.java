package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlockListType;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Upload integrity: Content-MD5 and x-ms-content-crc64 on Put Blob, Put Block and Put Block List
 * are checked against the bytes received (computed while the body streams in), a mismatch is 400
 * Md5Mismatch / Crc64Mismatch with Azure's detail elements, and a failed upload leaves the blob,
 * its committed blocks and its staged blocks as they were.
 */
class UploadIntegrityEndpointTest {
  static final long SEED = new SecureRandom().nextLong();
  static GatewayFixture gateway;
  static BlobContainerClient box;
  static String sas;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    System.out.println("UploadIntegrityEndpointTest seed " + SEED);
    gateway = new GatewayFixture(c -> c);
    box = gateway.keyClient().createBlobContainer("integrity");
    sas = gateway.keyClient().generateAccountSas(new com.azure.storage.common.sas.AccountSasSignatureValues(
        OffsetDateTime.now().plusHours(1),
        com.azure.storage.common.sas.AccountSasPermission.parse("rwdlacup"),
        com.azure.storage.common.sas.AccountSasService.parse("b"),
        com.azure.storage.common.sas.AccountSasResourceType.parse("sco")));
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

  static String md5(byte[] b) throws Exception {
    return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(b));
  }

  /** Azure's CRC64 as the wire carries it, computed bit by bit here (independent of the gateway's tables). */
  static String crc64(byte[] data) {
    long crc = ~0L;
    for (byte x : data) {
      crc ^= x & 0xFF;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x9A6C9329AC4BC9B5L : crc >>> 1;
      }
    }
    byte[] le = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(~crc).array();
    return Base64.getEncoder().encodeToString(le);
  }

  static HttpResponse<String> put(String pathAndQuery, Map<String, String> headers, byte[] body) throws Exception {
    String url = gateway.httpEndpoint() + "/integrity/" + pathAndQuery + (pathAndQuery.contains("?") ? "&" : "?") + sas;
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
        .header("x-ms-version", "2025-11-05");
    headers.forEach(req::header);
    return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  static void assertError(HttpResponse<String> resp, int status, String code) {
    assertEquals(status, resp.statusCode(), resp.body());
    assertEquals(code, resp.headers().firstValue("x-ms-error-code").orElse(""), resp.body());
  }

  @Test
  void putBlobChecksContentMd5AndCrc64AndAMismatchLeavesTheBlobAsItWas() throws Exception {
    BlobClient blob = box.getBlobClient("guarded.bin");
    byte[] original = random(10_000, 1);
    blob.upload(BinaryData.fromBytes(original), true);
    String etag = blob.getProperties().getETag();

    // 9 MiB + a bit: three chunks stream and are written before the digest is known at the end.
    byte[] replacement = random(9 * 1024 * 1024 + 123, 2);
    HttpResponse<String> badMd5 = put("guarded.bin", Map.of("x-ms-blob-type", "BlockBlob",
        "Content-MD5", md5(original)), replacement);
    assertError(badMd5, 400, "Md5Mismatch");
    assertTrue(badMd5.body().contains("<UserSpecifiedMd5>" + md5(original) + "</UserSpecifiedMd5>"), badMd5.body());
    assertTrue(badMd5.body().contains("<ServerCalculatedMd5>" + md5(replacement) + "</ServerCalculatedMd5>"),
        badMd5.body());

    HttpResponse<String> badCrc = put("guarded.bin", Map.of("x-ms-blob-type", "BlockBlob",
        "x-ms-content-crc64", crc64(original)), replacement);
    assertError(badCrc, 400, "Crc64Mismatch");
    assertTrue(badCrc.body().contains("<ServerCalculatedCrc>" + crc64(replacement) + "</ServerCalculatedCrc>"),
        badCrc.body());

    assertEquals(etag, blob.getProperties().getETag(), "no failed upload replaced the blob");
    assertArrayEquals(original, blob.downloadContent().toBytes());

    HttpResponse<String> good = put("guarded.bin", Map.of("x-ms-blob-type", "BlockBlob",
        "Content-MD5", md5(replacement), "x-ms-content-crc64", crc64(replacement)), replacement);
    assertEquals(201, good.statusCode(), good.body());
    assertEquals(crc64(replacement), good.headers().firstValue("x-ms-content-crc64").orElse(""));
    assertEquals(md5(replacement), good.headers().firstValue("Content-MD5").orElse(""));
    assertArrayEquals(replacement, blob.downloadContent().toBytes());
    assertEquals(md5(replacement), Base64.getEncoder().encodeToString(blob.getProperties().getContentMd5()));
  }

  @Test
  void putBlockChecksTheBlockAndAMismatchStagesNothing() throws Exception {
    BlockBlobClient blob = box.getBlobClient("blocks.bin").getBlockBlobClient();
    String id1 = Base64.getEncoder().encodeToString("block-1".getBytes(StandardCharsets.US_ASCII));
    String id2 = Base64.getEncoder().encodeToString("block-2".getBytes(StandardCharsets.US_ASCII));
    byte[] a = random(5 * 1024 * 1024, 3);
    byte[] b = random(1000, 4);
    String enc1 = java.net.URLEncoder.encode(id1, StandardCharsets.UTF_8);
    String enc2 = java.net.URLEncoder.encode(id2, StandardCharsets.UTF_8);

    assertError(put("blocks.bin?comp=block&blockid=" + enc1, Map.of("x-ms-content-crc64", crc64(b)), a), 400,
        "Crc64Mismatch");
    assertError(put("blocks.bin?comp=block&blockid=" + enc1, Map.of("Content-MD5", md5(b)), a), 400, "Md5Mismatch");
    assertError(put("blocks.bin?comp=block&blockid=" + enc1, Map.of("x-ms-content-crc64", "not base64!"), a), 400,
        "InvalidHeaderValue");
    assertError(put("blocks.bin?comp=block&blockid=" + enc1,
        Map.of("x-ms-content-crc64", Base64.getEncoder().encodeToString(new byte[7])), a), 400, "InvalidHeaderValue");
    HttpResponse<String> missing = HTTP.send(HttpRequest.newBuilder(URI.create(
        gateway.httpEndpoint() + "/integrity/blocks.bin?comp=blocklist&blocklisttype=all&" + sas))
        .header("x-ms-version", "2025-11-05").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(404, missing.statusCode(), "no block was staged: " + missing.body());

    HttpResponse<String> staged = put("blocks.bin?comp=block&blockid=" + enc1,
        Map.of("x-ms-content-crc64", crc64(a)), a);
    assertEquals(201, staged.statusCode(), staged.body());
    assertEquals(crc64(a), staged.headers().firstValue("x-ms-content-crc64").orElse(""));

    // The SDK's own transactional MD5 on Put Block: a wrong one is refused, the right one accepted.
    BlobStorageException wrong = assertThrows(BlobStorageException.class, () -> blob.stageBlockWithResponse(
        id2, new ByteArrayInputStream(b), b.length, MessageDigest.getInstance("MD5").digest(a), null, null,
        Context.NONE));
    assertEquals(BlobErrorCode.MD5MISMATCH, wrong.getErrorCode());
    assertEquals(List.of(id1), blob.listBlocks(BlockListType.UNCOMMITTED).getUncommittedBlocks().stream()
        .map(x -> x.getName()).toList());
    blob.stageBlockWithResponse(id2, new ByteArrayInputStream(b), b.length, MessageDigest.getInstance("MD5").digest(b),
        null, null, Context.NONE);

    // Put Block List: Content-MD5 / x-ms-content-crc64 cover the block list body; x-ms-blob-content-md5
    // is stored as the blob's Content-MD5 (not checked: the blocks were).
    String list = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>" + id1 + "</Latest><Latest>" + id2
        + "</Latest></BlockList>";
    byte[] listBytes = list.getBytes(StandardCharsets.UTF_8);
    assertError(put("blocks.bin?comp=blocklist", Map.of("Content-MD5", md5(new byte[1])), listBytes), 400,
        "Md5Mismatch");
    assertError(put("blocks.bin?comp=blocklist", Map.of("x-ms-content-crc64", crc64(new byte[1])), listBytes), 400,
        "Crc64Mismatch");
    assertEquals(0, blob.listBlocks(BlockListType.COMMITTED).getCommittedBlocks().size(), "nothing committed");
    byte[] whole = concat(a, b);
    blob.commitBlockListWithResponse(List.of(id1, id2),
        new BlobHttpHeaders().setContentMd5(MessageDigest.getInstance("MD5").digest(whole)), null, null, null, null,
        Context.NONE);
    assertArrayEquals(whole, blob.downloadContent().toBytes());
    assertEquals(md5(whole), Base64.getEncoder().encodeToString(blob.getProperties().getContentMd5()));
  }

  @Test
  void theSdkComputedMd5UploadIsAcceptedAndStored() throws Exception {
    byte[] data = random(200_000, 5);
    BlobClient blob = box.getBlobClient("sdk-md5.bin");
    blob.uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromBytes(data)).setComputeMd5(true), null,
        Context.NONE);
    assertEquals(md5(data), Base64.getEncoder().encodeToString(blob.getProperties().getContentMd5()));
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
