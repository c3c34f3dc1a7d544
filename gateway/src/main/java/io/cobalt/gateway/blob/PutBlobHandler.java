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
 * Put Blob: an append blob (empty, ADR 0017) or a block blob in a single shot. The body is streamed into one encrypted stream under a fresh
 * DEK ({@link StreamWriter}); when every chunk reached its write quorum, the manifest (with the
 * wrapped DEK and the manifest MAC) is committed to the blob's partition with the request's
 * conditions, which the partition leader evaluates at its apply step.
 */
final class PutBlobHandler {
  private final BlobServices services;
  private final IndexTags tags;

  PutBlobHandler(BlobServices services) {
    this.services = services;
    this.tags = new IndexTags(services);
  }

  Future<Void> put(AzureRequest r) {
    String blobName = r.path().blob();
    ResourceNames.requireBlobName(blobName);
    String blobType = OtherBlobTypesHandler.requireStoredBlobType(r);
    long declared = declaredLength(r, services.maxPutBlobBytes());
    if (blobType.equals(AppendBlobHandler.APPEND_BLOB) && declared > 0) {
      // Azure: an append blob is created empty; its data comes with Append Block.
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "Content-Length");
    }
    StreamWriter.Expected expected = StreamWriter.Expected.of(r);
    Map<String, String> metadata = BlobHeaders.userMetadata(r.http());
    Condition condition = services.writeCondition(r);
    BlobTags blobTags = BlobTags.fromHeader(r.header("x-ms-tags"));
    TagExpression ifTags = IndexTags.ifTags(r);
    CustomerKey cpk = BlobEncryption.customerKey(r, true);
    return BlobEncryption.closing(cpk, services
        .requireContainer(r)
        .compose(container -> mayWrite(services, r, container))
        .compose(container -> BlobScopes.forWrite(services, r, container, cpk).compose(scope ->
            BlobEncryption.generate(services, r, container.getContainerId().toByteArray(), blobName, cpk, scope.keyId())
                .compose(key -> (blobType.equals(AppendBlobHandler.APPEND_BLOB)
                        ? createAppendBlob(r, container, key, cpk, scope.name(), metadata, condition)
                        : upload(r, container, key, cpk, scope.name(), declared, expected, metadata, condition,
                            blobTags, ifTags))
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
      StreamWriter.Expected expected, Map<String, String> metadata, Condition requested, BlobTags blobTags,
      TagExpression ifTags) {
    byte[] objectId = services.cipher().newId();
    ByteString versionId = ByteString.copyFrom(services.cipher().newId());
    return new StreamWriter(services, r, key.dek(), objectId, declared, services.maxPutBlobBytes(), expected)
        .run()
        .compose(written -> (cpk == null
                ? tags.seal(key.dek(), container.getAccount(), container.getContainerId(), r.path().blob(), versionId,
                    blobTags)
                // A customer-key blob's tags get a DEK of the account's key (ADR 0018 §6).
                : tags.sealUnderTagsDek(r, container.getAccount(), container.getContainerId(), r.path().blob(),
                    versionId, blobTags))
            .compose(sealed -> tags.forWrite(r, container, ifTags, requested).compose(condition -> {
              long now = services.clock().millis();
              BlobRecord unsigned =
                  BlobHeaders.contentProperties(BlobRecord.newBuilder(), r)
                      .setAccount(container.getAccount())
                      .setContainer(container.getName())
                      .setContainerId(container.getContainerId())
                      .setName(r.path().blob())
                      .setObjectId(ByteString.copyFrom(objectId))
                      .setVersionId(versionId)
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
              BlobRecord record = sealed.into(unsigned.toBuilder())
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
                return (Void) null;
              });
            })));
  }

  /**
   * Put Blob of an append blob: an empty version (no stream) under a fresh DEK, which every Append
   * Block will seal its stream under (ADR 0017). The body must be empty (checked before). With a
   * customer key the DEK is wrapped under it (ADR 0023) and every Append Block must present the
   * same key; otherwise under the write's encryption scope.
   */
  private Future<Void> createAppendBlob(
      AzureRequest r, ContainerRecord container, GeneratedKey key, CustomerKey cpk, String scope,
      Map<String, String> metadata, Condition condition) {
    byte[] contentMd5 = BlobHeaders.blobContentMd5(r);
    long now = services.clock().millis();
    BlobRecord unsigned =
        BlobHeaders.contentProperties(BlobRecord.newBuilder(), r)
            .setAccount(container.getAccount())
            .setContainer(container.getName())
            .setContainerId(container.getContainerId())
            .setName(r.path().blob())
            .setObjectId(ByteString.copyFrom(services.cipher().newId()))
            .setVersionId(ByteString.copyFrom(services.cipher().newId()))
            .setContentLength(0)
            .setContentMd5(contentMd5 == null ? ByteString.EMPTY : ByteString.copyFrom(contentMd5))
            .setEtag(services.newEtag())
            .setCreatedEpochMillis(now)
            .setLastModifiedEpochMillis(now)
            .putAllMetadata(metadata)
            .addDeks(key.wrapped())
            .setBlobType(AppendBlobHandler.APPEND_BLOB)
            .setEncryptionKeySha256(cpk == null ? ByteString.EMPTY : ByteString.copyFrom(cpk.sha256()))
            .setEncryptionScope(scope)
            .build();
    BlobRecord record = unsigned.toBuilder()
        .setManifestMac(ByteString.copyFrom(BlobCipher.manifestMac(key.dek(), unsigned)))
        .build();
    // Drain the (empty) body before answering.
    return readEmptyBody(r).compose(v -> services.metadata().submit(r.context(), MetadataCommand.newBuilder()
        .setPartition(services.blobPartition(container, r.path().blob()))
        .setRequestId(r.requestId())
        .setPutBlob(PutBlob.newBuilder().setBlob(record).setCondition(condition))
        .build())).map(result -> {
          services.requireWritten(r, result.getStatus());
          var resp = r.response(201)
              .putHeader("ETag", record.getEtag())
              .putHeader("Last-Modified", HttpDates.rfc1123(now))
              .putHeader("x-ms-request-server-encrypted", "true")
              .putHeader("Content-Length", "0");
          BlobEncryption.putWriteHeaders(resp, cpk, scope);
          resp.end();
          return null;
        });
  }

  /** Completes when the request body ended; 400 InvalidHeaderValue (Content-Length) if it carried any byte. */
  private static Future<Void> readEmptyBody(AzureRequest r) {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    var req = r.http();
    req.handler(chunk -> {
      if (chunk.length() > 0) {
        done.tryFail(AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "Content-Length"));
      }
    });
    req.endHandler(v -> done.tryComplete());
    req.exceptionHandler(done::tryFail);
    req.resume();
    return done.future();
  }

  static String orEmpty(String v, String dflt) {
    return v == null || v.isEmpty() ? dflt : v;
  }
}
