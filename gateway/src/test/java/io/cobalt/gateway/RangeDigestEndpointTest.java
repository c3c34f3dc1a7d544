package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.models.BlobDownloadResponse;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobStorageException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Get Blob with {@code x-ms-range-get-content-md5} / {@code -crc64}: the digest of the range (≤ 4
 * MiB, across chunk boundaries), and Azure's 400 InvalidHeaderValue without a range or beyond 4 MiB.
 */
class RangeDigestEndpointTest {
  static final int MIB = 1024 * 1024;
  static GatewayFixture gateway;
  static BlobClient blob;
  static byte[] data;

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c);
    blob = gateway.keyClient().createBlobContainer("digests").getBlobClient("ten-mib.bin");
    data = new byte[10 * MIB + 77];
    new SecureRandom().nextBytes(data);
    blob.upload(BinaryData.fromBytes(data), true);
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  static byte[] md5(byte[] b) throws Exception {
    return MessageDigest.getInstance("MD5").digest(b);
  }

  @Test
  void returnsTheMd5OfRangesUpToFourMibAcrossChunks() throws Exception {
    long[][] ranges = {{0, 1}, {4L * MIB - 100, 1000}, {1000, 4L * MIB}, {10L * MIB, 77}};
    for (long[] range : ranges) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      BlobDownloadResponse resp = blob.downloadStreamWithResponse(out, new BlobRange(range[0], range[1]), null, null,
          true, null, Context.NONE);
      byte[] expected = Arrays.copyOfRange(data, (int) range[0], (int) (range[0] + range[1]));
      assertEquals(206, resp.getStatusCode());
      assertArrayEquals(expected, out.toByteArray());
      assertArrayEquals(md5(expected), resp.getDeserializedHeaders().getContentMd5(), "range " + Arrays.toString(range));
      assertArrayEquals(md5(data), resp.getDeserializedHeaders().getBlobContentMD5(), "the whole blob's MD5 too");
    }
  }

  @Test
  void refusesARangeOverFourMibAsAzureDoes() {
    BlobStorageException e = assertThrows(BlobStorageException.class, () -> blob.downloadStreamWithResponse(
        new ByteArrayOutputStream(), new BlobRange(0, 4L * MIB + 1), null, null, true, null, Context.NONE));
    assertEquals(400, e.getStatusCode());
    assertEquals("InvalidHeaderValue", e.getErrorCode().toString());
  }

  @Test
  void answersTheRawCasesWithInvalidHeaderValueAndReturnsACrc64() throws Exception {
    String sas = gateway.keyClient().generateAccountSas(new com.azure.storage.common.sas.AccountSasSignatureValues(
        OffsetDateTime.now().plusHours(1),
        com.azure.storage.common.sas.AccountSasPermission.parse("r"),
        com.azure.storage.common.sas.AccountSasService.parse("b"),
        com.azure.storage.common.sas.AccountSasResourceType.parse("o")));
    String url = gateway.httpEndpoint() + "/digests/ten-mib.bin?" + sas;
    Object[][] refused = {
        {Map.of("x-ms-range-get-content-md5", "true"), "x-ms-range-get-content-md5"},
        {Map.of("x-ms-range-get-content-md5", "true", "x-ms-range", "bytes=0-"), "x-ms-range-get-content-md5"},
        {Map.of("x-ms-range-get-content-crc64", "true", "x-ms-range", "bytes=0-4194304"), "x-ms-range-get-content-crc64"},
        {Map.of("x-ms-range-get-content-md5", "maybe", "x-ms-range", "bytes=0-9"), "x-ms-range-get-content-md5"},
        {Map.of("x-ms-range-get-content-md5", "true", "x-ms-range-get-content-crc64", "true", "x-ms-range", "bytes=0-9"),
            "x-ms-range-get-content-crc64"},
    };
    HttpClient http = HttpClient.newHttpClient();
    for (Object[] c : refused) {
      HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).header("x-ms-version", "2025-11-05").GET();
      @SuppressWarnings("unchecked")
      Map<String, String> headers = (Map<String, String>) c[0];
      headers.forEach(req::header);
      HttpResponse<String> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(400, resp.statusCode(), headers + ": " + resp.body());
      assertEquals("InvalidHeaderValue", resp.headers().firstValue("x-ms-error-code").orElse(""), headers.toString());
      assertTrue(resp.body().contains("<HeaderName>" + c[1] + "</HeaderName>"), resp.body());
    }
    HttpResponse<byte[]> crc = http.send(HttpRequest.newBuilder(URI.create(url)).header("x-ms-version", "2025-11-05")
        .header("x-ms-range-get-content-crc64", "true").header("x-ms-range", "bytes=100-199").GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(206, crc.statusCode());
    byte[] range = Arrays.copyOfRange(data, 100, 200);
    assertArrayEquals(range, crc.body());
    assertEquals(UploadIntegrityEndpointTest.crc64(range), crc.headers().firstValue("x-ms-content-crc64").orElse(""));
    assertEquals(Base64.getEncoder().encodeToString(md5(data)), crc.headers().firstValue("x-ms-blob-content-md5").orElse(""));
  }
}
