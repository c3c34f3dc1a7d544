package io.cobalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.PageRange;
import java.io.ByteArrayInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.Test;

/**
 * Page blobs are rejected (docs/adr/0007-page-blobs-rejected.md): creating one is 400
 * BlobTypeNotSupported. Page and append operations on a block blob get Azure's 409 InvalidBlobType
 * (404 BlobNotFound when there is no blob) — through the SDK's own page and append blob clients,
 * never a 500. Append blobs themselves: {@code AppendBlobEndpointTest}.
 */
class OtherBlobTypesEndpointTest {
  static GatewayFixture gateway;
  static BlobContainerClient box;

  @BeforeAll
  static void start() throws Exception {
    gateway = new GatewayFixture(c -> c);
    box = gateway.keyClient().createBlobContainer("types");
    box.getBlobClient("block").upload(BinaryData.fromString("block blob"), true);
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  static void assertRefused(int status, String code, Executable call) {
    BlobStorageException e = assertThrows(BlobStorageException.class, call);
    assertEquals(status, e.getStatusCode(), e.getMessage());
    assertEquals(code, e.getErrorCode().toString(), e.getMessage());
  }

  @Test
  void creatingAPageBlobIsBlobTypeNotSupported() {
    BlobClient page = box.getBlobClient("page");
    assertRefused(400, "BlobTypeNotSupported", () -> page.getPageBlobClient().create(4096));
    BlobStorageException e = assertThrows(BlobStorageException.class, () -> page.getPageBlobClient().create(512));
    assertTrue(e.getMessage().contains("Page blobs are not supported."), e.getMessage());
    assertFalse(page.exists());
  }

  @Test
  void pageAndAppendOperationsOnABlockBlobAreInvalidBlobTypeAndChangeNothing() {
    BlobClient block = box.getBlobClient("block");
    String etag = block.getProperties().getETag();
    byte[] page = new byte[512];
    assertRefused(409, BlobErrorCode.INVALID_BLOB_TYPE.toString(), () -> block.getAppendBlobClient()
        .appendBlock(new ByteArrayInputStream(new byte[10]), 10));
    assertRefused(409, BlobErrorCode.INVALID_BLOB_TYPE.toString(), () -> block.getAppendBlobClient().seal());
    assertRefused(409, BlobErrorCode.INVALID_BLOB_TYPE.toString(), () -> block.getPageBlobClient()
        .uploadPages(new PageRange().setStart(0).setEnd(511), new ByteArrayInputStream(page)));
    assertRefused(409, BlobErrorCode.INVALID_BLOB_TYPE.toString(), () -> block.getPageBlobClient()
        .getPageRanges(new BlobRange(0, 512L)));
    assertEquals(etag, block.getProperties().getETag());
    assertEquals("block blob", block.downloadContent().toString());

    BlobClient missing = box.getBlobClient("missing");
    assertRefused(404, BlobErrorCode.BLOB_NOT_FOUND.toString(), () -> missing.getAppendBlobClient()
        .appendBlock(new ByteArrayInputStream(new byte[10]), 10));
    assertRefused(404, BlobErrorCode.BLOB_NOT_FOUND.toString(), () -> missing.getPageBlobClient()
        .uploadPages(new PageRange().setStart(0).setEnd(511), new ByteArrayInputStream(page)));
  }
}
