package io.cobalt.gateway.blob;

import com.google.protobuf.ByteString;
import io.cobalt.gateway.encryption.CustomerKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.SetBlobProperties;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.util.Map;

/**
 * Set Blob Properties ({@code comp=properties}), Get/Set Blob Metadata ({@code comp=metadata}). A
 * set changes the current version's properties at the apply step (with the request's conditions)
 * and gives it a new ETag and Last-Modified; the manifest (and its MAC) is untouched. Each is
 * refused (403 KeyVaultEncryptionKeyNotFound) while the blob's key is revoked.
 */
final class BlobPropertiesHandler {
  private final BlobServices services;
  private final IndexTags tags;

  BlobPropertiesHandler(BlobServices services) {
    this.services = services;
    this.tags = new IndexTags(services);
  }

  /** PUT ?comp=properties: every content header is replaced (an absent one is cleared, as in Azure). */
  Future<Void> setProperties(AzureRequest r) {
    byte[] md5 = BlobHeaders.blobContentMd5(r);
    SetBlobProperties.Builder cmd = SetBlobProperties.newBuilder()
        .setSetContentHeaders(true)
        .setContentType(PutBlobHandler.orEmpty(r.header("x-ms-blob-content-type"), ""))
        .setContentEncoding(PutBlobHandler.orEmpty(r.header("x-ms-blob-content-encoding"), ""))
        .setContentLanguage(PutBlobHandler.orEmpty(r.header("x-ms-blob-content-language"), ""))
        .setContentDisposition(PutBlobHandler.orEmpty(r.header("x-ms-blob-content-disposition"), ""))
        .setCacheControl(PutBlobHandler.orEmpty(r.header("x-ms-blob-cache-control"), ""))
        .setContentMd5(md5 == null ? ByteString.EMPTY : ByteString.copyFrom(md5));
    return set(r, cmd, false);
  }

  /** PUT ?comp=metadata: replaces all user metadata. */
  Future<Void> setMetadata(AzureRequest r) {
    Map<String, String> metadata = BlobHeaders.userMetadata(r.http());
    return set(r, SetBlobProperties.newBuilder().setSetMetadata(true).putAllMetadata(metadata), true);
  }

  /**
   * {@code keyRequired}: Set Blob Metadata needs a blob's customer key as Azure does (ADR 0023); Set
   * Blob Properties checks a key only if one is given. A scope named on the request must be the
   * blob's (409 BlobCustomerSpecifiedEncryptionMismatch). Checked against the state read, not at
   * the apply step: neither changes encrypted data.
   */
  private Future<Void> set(AzureRequest r, SetBlobProperties.Builder cmd, boolean keyRequired) {
    ResourceNames.requireBlobName(r.path().blob());
    Condition requested = ConditionalHeaders.of(r);
    TagExpression ifTags = IndexTags.ifTags(r);
    CustomerKey cpk = BlobEncryption.customerKey(r, false);
    String scopeHeader = r.header(BlobScopes.HEADER);
    String scope = BlobScopes.parse(scopeHeader, BlobScopes.HEADER);
    return BlobEncryption.closing(cpk, services.requireContainer(r)
        .compose(container -> services.metadata().blob(r.context(), container, r.path().blob())
            .compose(blob -> {
              if (blob == null) {
                return Future.<Void>succeededFuture();
              }
              if (keyRequired || cpk != null) {
                BlobEncryption.requireMatching(blob, cpk);
              }
              if (scopeHeader != null && !scope.equals(blob.getEncryptionScope())) {
                throw AzureError.BLOB_CUSTOMER_SPECIFIED_ENCRYPTION_MISMATCH.exception();
              }
              return services.requireKeyUsable(r, blob);
            })
            .map(v -> container))
        .compose(container -> tags.forWrite(r, container, ifTags, requested).compose(condition -> {
      long now = services.clock().millis();
      MetadataCommand command = MetadataCommand.newBuilder()
          .setPartition(services.blobPartition(container, r.path().blob()))
          .setRequestId(r.requestId())
          .setSetBlobProperties(cmd
              .setAccount(container.getAccount())
              .setContainerId(container.getContainerId())
              .setName(r.path().blob())
              .setCondition(condition)
              .setEtag(services.newEtag())
              .setLastModifiedEpochMillis(now))
          .build();
      return services.metadata().submit(r.context(), command);
    })).map(result -> {
      services.requireWritten(r, result.getStatus());
      BlobRecord b = result.getBlob();
      var resp = r.response(200)
          .putHeader("ETag", b.getEtag())
          .putHeader("Last-Modified", HttpDates.rfc1123(b.getLastModifiedEpochMillis()))
          .putHeader("x-ms-request-server-encrypted", "true")
          .putHeader("Content-Length", "0");
      BlobHeaders.putEncryption(resp.headers(), b);
      resp.end();
      return null;
    }));
  }

  /** GET/HEAD ?comp=metadata → 200 with ETag, Last-Modified and x-ms-meta-*. */
  Future<Void> getMetadata(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    Condition condition = ConditionalHeaders.of(r);
    String snapshot = SnapshotHandler.snapshotParam(r);
    TagExpression ifTags = IndexTags.ifTags(r);
    CustomerKey cpk = BlobEncryption.customerKey(r, false);
    return BlobEncryption.closing(cpk, services.requireContainer(r)
        .compose(container -> services.metadata().blob(r.context(), container, r.path().blob(), snapshot))
        .compose(blob -> {
          if (blob == null) {
            throw AzureError.BLOB_NOT_FOUND.exception();
          }
          LeaseHandler.requireReadLease(condition, blob.hasLease(), blob.getLease(), false);
          BlobEncryption.requireMatching(blob, cpk);
          return services.requireKeyUsable(r, blob).compose(v -> tags.requireRead(r, ifTags, blob)).map(v -> blob);
        })
        .map(blob -> {
          if (ConditionalHeaders.read(condition, blob.getEtag(), blob.getLastModifiedEpochMillis())
              == ConditionalHeaders.ReadOutcome.NOT_MODIFIED) {
            ConditionalHeaders.endNotModified(r, blob.getEtag(), blob.getLastModifiedEpochMillis());
            return null;
          }
          MultiMap h = r.response(200).headers();
          h.set("ETag", blob.getEtag());
          h.set("Last-Modified", HttpDates.rfc1123(blob.getLastModifiedEpochMillis()));
          h.set("Content-Length", "0");
          BlobHeaders.putMetadata(h, blob.getMetadataMap());
          BlobHeaders.putEncryption(h, blob);
          r.http().response().end();
          return null;
        }));
  }
}
