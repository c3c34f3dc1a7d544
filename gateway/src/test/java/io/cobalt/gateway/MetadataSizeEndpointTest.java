package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobStorageException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Azure's 8 KiB bound on metadata (names + values) is answered by the handler, 400
 * MetadataTooLarge, including for header blocks well past 8 KiB; only a header block past the
 * server's 64 KiB bound is refused by the HTTP layer (431) and the connection closed.
 */
class MetadataSizeEndpointTest {
  static GatewayFixture gateway;
  static BlobContainerClient box;

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c);
    box = gateway.keyClient().createBlobContainer("meta");
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  /** Metadata whose names and values add up to exactly {@code total} bytes, in entries of ~1 KiB. */
  static Map<String, String> metadataOf(int total) {
    Map<String, String> m = new LinkedHashMap<>();
    int left = total;
    for (int i = 0; left > 0; i++) {
      String name = String.format("k%03d", i);
      int valueLength = Math.min(1020, left - name.length());
      m.put(name, "v".repeat(Math.max(1, valueLength)));
      left -= name.length() + Math.max(1, valueLength);
    }
    return m;
  }

  static int size(Map<String, String> m) {
    return m.entrySet().stream().mapToInt(e -> e.getKey().length() + e.getValue().length()).sum();
  }

  @Test
  void eightKibOfMetadataIsAcceptedAndOneByteMoreIsMetadataTooLarge() {
    BlobClient blob = box.getBlobClient("limits");
    blob.upload(BinaryData.fromString("x"), true);
    Map<String, String> exact = metadataOf(8192);
    assertEquals(8192, size(exact));
    blob.setMetadata(exact);
    assertEquals(exact, blob.getProperties().getMetadata());

    Map<String, String> over = new LinkedHashMap<>(exact);
    over.put("z", "1");
    assertEquals(8194, size(over));
    BlobStorageException e = assertThrows(BlobStorageException.class, () -> blob.setMetadata(over));
    assertEquals(400, e.getStatusCode());
    assertEquals(BlobErrorCode.METADATA_TOO_LARGE, e.getErrorCode());
    assertEquals(exact, blob.getProperties().getMetadata(), "unchanged");

    BlobStorageException onCreate = assertThrows(BlobStorageException.class,
        () -> box.getBlobClient("new").uploadWithResponse(
            new com.azure.storage.blob.options.BlobParallelUploadOptions(BinaryData.fromString("y")).setMetadata(over),
            null, com.azure.core.util.Context.NONE));
    assertEquals(BlobErrorCode.METADATA_TOO_LARGE, onCreate.getErrorCode());
    BlobStorageException onContainer = assertThrows(BlobStorageException.class,
        () -> gateway.keyClient().getBlobContainerClient("meta2").createWithResponse(over, null, null,
            com.azure.core.util.Context.NONE));
    assertEquals(BlobErrorCode.METADATA_TOO_LARGE, onContainer.getErrorCode());
  }

  @Test
  void fortyKibOfMetadataHeadersStillGetMetadataTooLargeFromTheHandler() throws Exception {
    String sas = gateway.keyClient().generateAccountSas(new com.azure.storage.common.sas.AccountSasSignatureValues(
        OffsetDateTime.now().plusHours(1),
        com.azure.storage.common.sas.AccountSasPermission.parse("rw"),
        com.azure.storage.common.sas.AccountSasService.parse("b"),
        com.azure.storage.common.sas.AccountSasResourceType.parse("o")));
    box.getBlobClient("big").upload(BinaryData.fromString("x"), true);
    HttpRequest.Builder req = HttpRequest.newBuilder(
            URI.create(gateway.httpEndpoint() + "/meta/big?comp=metadata&" + sas))
        .header("x-ms-version", "2025-11-05").PUT(HttpRequest.BodyPublishers.noBody());
    metadataOf(40 * 1024).forEach((k, v) -> req.header("x-ms-meta-" + k, v));
    HttpResponse<String> resp = HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, resp.statusCode(), resp.body());
    assertEquals("MetadataTooLarge", resp.headers().firstValue("x-ms-error-code").orElse(""));
  }

  @Test
  void aHeaderBlockBeyondSixtyFourKibIsRefusedByTheHttpServer() throws Exception {
    int port = gateway.server.blobPort();
    StringBuilder request = new StringBuilder("GET /" + GatewayFixture.ACCOUNT + "/meta?restype=container HTTP/1.1\r\n")
        .append("Host: 127.0.0.1:").append(port).append("\r\n");
    for (int i = 0; i < 70; i++) {
      request.append("x-ms-meta-k").append(i).append(": ").append("v".repeat(1000)).append("\r\n");
    }
    request.append("\r\n");
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      assertTrue(status.startsWith("HTTP/1.1 431"), status);
    }
  }
}
