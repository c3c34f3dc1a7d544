package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.vertx.core.Future;

/**
 * Operations of the blob type Cobalt does not store: Put Page / Get Page Ranges (page blobs,
 * rejected: docs/adr/0007). Creating a page blob is refused by Put Blob (400 BlobTypeNotSupported),
 * so every blob that exists is a block or append blob and these operations get exactly what Azure
 * answers an operation of another blob type: 404 BlobNotFound when the blob does not exist, 409
 * InvalidBlobType when it does.
 */
final class OtherBlobTypesHandler {
  private final BlobServices services;

  OtherBlobTypesHandler(BlobServices services) {
    this.services = services;
  }

  Future<Void> refuse(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    return services
        .requireContainer(r)
        .compose(container -> services.metadata().blob(r.context(), container, r.path().blob()))
        .map(blob -> {
          throw blob == null ? AzureError.BLOB_NOT_FOUND.exception() : AzureError.INVALID_BLOB_TYPE.exception();
        });
  }

  /**
   * Put Blob's {@code x-ms-blob-type}: BlockBlob or AppendBlob (returned), 400 BlobTypeNotSupported
   * for PageBlob (what Azure answers an account that does not support a blob type), 400
   * MissingRequiredHeader when absent, 400 InvalidHeaderValue for anything else.
   */
  static String requireStoredBlobType(AzureRequest r) {
    String blobType = r.header("x-ms-blob-type");
    if (blobType == null) {
      throw AzureError.MISSING_REQUIRED_HEADER.exception("HeaderName", "x-ms-blob-type");
    }
    return switch (blobType) {
      case "BlockBlob", "AppendBlob" -> blobType;
      case "PageBlob" -> throw AzureError.BLOB_TYPE_NOT_SUPPORTED.exceptionWithMessage("Page blobs are not supported.");
      default -> throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-blob-type");
    };
  }
}
