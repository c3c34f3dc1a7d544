package io.cobalt.gateway.blob;

import com.google.protobuf.ByteString;
import io.cobalt.gateway.encryption.BlobCipher;
import io.cobalt.gateway.encryption.CustomerKey;
import io.cobalt.gateway.encryption.GeneratedKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.PutBlob;
import io.vertx.core.Future;
import java.util.Base64;
import java.util.Map;

/**
 * Put Blob (block blob, single shot). The body is streamed into one encrypted stream under a fresh
 * DEK ({@link StreamWriter}); when every chunk reached its write quorum, the manifest (with the
 * wrapped DEK and the manifest MAC) is committed to the blob's partition with the request's
 * conditions, which the partition leader evaluates at its apply step.
 */
final class PutBlobHandler {
  private final BlobServices services;

  PutBlobHandler(BlobServices services) {
    this.services = services;
  }

  Future<Void> put(AzureRequest r) {
    String blobName = r.path().blob();
    ResourceNames.requireBlobName(blobName);
    OtherBlobTypesHandler.requireBlockBlob(r);
    long declared = declaredLength(r, services.maxPutBlobBytes());
    StreamWriter.Expected expected = StreamWriter.Expected.of(r);
    Map<String, String> metadata = BlobHeaders.userMetadata(r.http());
    Condition condition = services.writeCondition(r);
    CustomerKey cpk = BlobEncryption.customerKey(r, true);
    return BlobEncryption.closing(cpk, services
        .requireContainer(r)
        .compose(container -> mayWrite(services, r, container))
        .compose(container -> BlobScopes.forWrite(services, r, container, cpk).compose(scope ->
            BlobEncryption.generate(services, r, container.getContainerId().toByteArray(), blobName, cpk, scope.keyId())
                .compose(key -> upload(r, container, key, cpk, scope.name(), declared, expected, metadata, condition)
                    .eventually(() -> {
                      key.close();
                      return Future.succeededFuture();
                    })))));
  }

  /**
   * A SAS with create ({@code c}) but not write ({@code w}) may not overwrite: 403
   * AuthorizationPermissionMismatch if the blob exists. Checked before the upload (to fail fast)
   * and again at the apply step ({@link BlobServices#writeCondition}), which catches a concurrent create.
   */
  static Future<ContainerRecord> mayWrite(BlobServices services, AzureRequest r, ContainerRecord container) {
    if (r.grant().mayOverwriteBlobs()) {
      return Future.succeededFuture(container);
    }
    return services
        .metadata()
        .blob(r.context(), container, r.path().blob())
        .map(
            existing -> {
              if (existing != null) {
                throw AzureError.AUTHORIZATION_PERMISSION_MISMATCH.exception();
              }
              return container;
            });
  }

  static long declaredLength(AzureRequest r, long max) {
    String cl = r.header("Content-Length");
    if (cl == null) {
      return -1;
    }
    long n;
    try {
      n = Long.parseLong(cl.trim());
    } catch (NumberFormatException e) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "Content-Length");
    }
    if (n < 0) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "Content-Length");
    }
    if (n > max) {
      throw AzureError.REQUEST_BODY_TOO_LARGE.exception();
    }
    return n;
  }

  static byte[] expectedMd5(AzureRequest r) {
    String md5 = r.header("Content-MD5");
    if (md5 == null) {
      return null;
    }
    try {
      byte[] b = Base64.getDecoder().decode(md5.trim());
      if (b.length != 16) {
        throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "Content-MD5");
      }
      return b;
    } catch (IllegalArgumentException e) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "Content-MD5");
    }
  }

  /** Seals the body under a fresh DEK, then commits the version with its manifest MAC. */
  private Future<Void> upload(
      AzureRequest r, ContainerRecord container, GeneratedKey key, CustomerKey cpk, String scope, long declared,
      StreamWriter.Expected expected,
      Map<String, String> metadata, Condition condition) {
    byte[] objectId = services.cipher().newId();
    return new StreamWriter(services, r, key.dek(), objectId, declared, services.maxPutBlobBytes(), expected)
        .run()
        .compose(written -> {
          long now = services.clock().millis();
          BlobRecord unsigned =
              BlobHeaders.contentProperties(BlobRecord.newBuilder(), r)
                  .setAccount(container.getAccount())
                  .setContainer(container.getName())
                  .setContainerId(container.getContainerId())
                  .setName(r.path().blob())
                  .setObjectId(ByteString.copyFrom(objectId))
                  .setVersionId(ByteString.copyFrom(services.cipher().newId()))
                  .setContentLength(written.stream().getPlaintextLength())
                  .setContentMd5(ByteString.copyFrom(written.md5()))
                  .setEtag(services.newEtag())
                  .setCreatedEpochMillis(now)
                  .setLastModifiedEpochMillis(now)
                  .putAllMetadata(metadata)
                  .addDeks(key.wrapped())
                  .addStreams(written.stream())
                  .setBlobType("BlockBlob")
                  .setEncryptionKeySha256(cpk == null ? ByteString.EMPTY : ByteString.copyFrom(cpk.sha256()))
                  .setEncryptionScope(scope)
                  .build();
          BlobRecord record = unsigned.toBuilder()
              .setManifestMac(ByteString.copyFrom(BlobCipher.manifestMac(key.dek(), unsigned)))
              .build();
          MetadataCommand command =
              MetadataCommand.newBuilder()
                  .setPartition(services.blobPartition(container, r.path().blob()))
                  .setRequestId(r.requestId())
                  .setPutBlob(PutBlob.newBuilder().setBlob(record).setCondition(condition))
                  .build();
          return services.metadata().submit(r.context(), command).map(result -> {
            services.requireWritten(r, result.getStatus());
            var resp = r.response(201)
                .putHeader("ETag", record.getEtag())
                .putHeader("Last-Modified", HttpDates.rfc1123(now))
                .putHeader("Content-MD5", Base64.getEncoder().encodeToString(written.md5()))
                .putHeader("x-ms-request-server-encrypted", "true")
                .putHeader("Content-Length", "0");
            BlobEncryption.putWriteHeaders(resp, cpk, scope);
            if (written.crc64() != null) {
              resp.putHeader("x-ms-content-crc64", Base64.getEncoder().encodeToString(written.crc64()));
            }
            resp.end();
            return null;
          });
        });
  }

  static String orEmpty(String v, String dflt) {
    return v == null || v.isEmpty() ? dflt : v;
  }
}
