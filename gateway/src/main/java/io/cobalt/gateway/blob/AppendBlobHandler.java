package io.cobalt.gateway.blob;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.BlobCipher;
import io.cobalt.gateway.encryption.CustomerKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.proto.node.v1.AppendBlobSeal;
import io.cobalt.proto.node.v1.AppendBlock;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.StreamRef;
import io.vertx.core.Future;
import java.util.Base64;

/**
 * Append Block and Append Blob Seal (docs/adr/0017-append-blobs.md). Creating an append blob is
 * Put Blob with {@code x-ms-blob-type: AppendBlob} ({@link PutBlobHandler}).
 *
 * <p>Append Block reads the blob, unwraps its DEK ({@code deks[0]}), streams the body into one new
 * encrypted stream under that DEK bound to the blob's object id ({@link StreamWriter}), then signs
 * the manifest of the next version (the blob's streams, then the new one) and submits an
 * {@link AppendBlock} that carries the stream's chunk references only. The partition leader checks
 * the conditions ({@code x-ms-blob-condition-appendpos}, {@code -maxsize}, ETags, dates, lease) and
 * that the blob is still the version that was signed over; when another append won the race it
 * answers APPEND_BLOB_CHANGED and the handler reads and signs again (the data is not re-sent).
 *
 * <p>A blob created with a customer-provided key (ADR 0023) has its DEK wrapped under that key in
 * the gateway: each Append Block must present the same key, which unwraps the DEK for this request
 * only; the kms-agent never sees it. The node needs no change for this: it checks the manifest and
 * the version, never the key.
 */
final class AppendBlobHandler {
  /** Azure's largest Append Block body (4 MiB; 100 MiB is a preview of 2022-11-02+, ADR 0017). */
  static final long MAX_APPEND_BLOCK_BYTES = 4L * 1024 * 1024;
  /** Azure's committed block limit of an append blob. */
  static final int MAX_COMMITTED_BLOCKS = 50_000;
  /** How often an append is signed again after losing a race with another append to the same blob. */
  static final int SIGN_ATTEMPTS = 16;
  static final String APPEND_BLOB = "AppendBlob";

  private final BlobServices services;

  AppendBlobHandler(BlobServices services) {
    this.services = services;
  }

  /** PUT ?comp=appendblock → 201 with the append offset and the committed block count. */
  Future<Void> appendBlock(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    if (r.header("x-ms-copy-source") != null) {
      throw AzureError.NOT_IMPLEMENTED.exception(); // Append Block From URL
    }
    if (r.header("Content-Length") == null) {
      throw AzureError.MISSING_CONTENT_LENGTH_HEADER.exception();
    }
    long max = Math.min(MAX_APPEND_BLOCK_BYTES, services.maxPutBlobBytes());
    long declared = PutBlobHandler.declaredLength(r, max);
    if (declared == 0) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "Content-Length"); // as Azure: no empty block
    }
    StreamWriter.Expected expected = StreamWriter.Expected.of(r);
    Condition condition = ConditionalHeaders.of(r);
    Long appendPosition = nonNegative(r, "x-ms-blob-condition-appendpos");
    Long maxSize = nonNegative(r, "x-ms-blob-condition-maxsize");
    CustomerKey cpk = BlobEncryption.customerKey(r, true);
    return BlobEncryption.closing(cpk, services.requireContainer(r).compose(container -> readAppendBlob(r, container)
        .compose(blob -> {
          // Each Append Block to a blob created with a customer key presents that key (409 without
          // it or with another); a blob created without one refuses a key (ADR 0023).
          BlobEncryption.requireMatching(blob, cpk);
          return BlobEncryption.unwrap(services, r, blob, 0, cpk)
              .compose(dek -> new StreamWriter(services, r, dek, blob.getObjectId().toByteArray(), declared, max,
                      expected)
                  .run()
                  .compose(written -> commit(r, container, blob, written, dek, cpk, condition, appendPosition,
                      maxSize, SIGN_ATTEMPTS))
                  .eventually(() -> {
                    dek.close();
                    return Future.succeededFuture();
                  }));
        })));
  }

  /** The blob, which must exist (404 BlobNotFound) and be an unsealed append blob (409). */
  private Future<BlobRecord> readAppendBlob(AzureRequest r, ContainerRecord container) {
    return services.metadata().blob(r.context(), container, r.path().blob()).map(blob -> {
      if (blob == null) {
        throw AzureError.BLOB_NOT_FOUND.exception();
      }
      if (!isAppendBlob(blob)) {
        throw AzureError.INVALID_BLOB_TYPE.exception();
      }
      if (blob.getSealed()) {
        throw AzureError.BLOB_IS_SEALED.exception();
      }
      if (blob.getDeksCount() == 0) {
        throw new IllegalStateException("append blob record has no data key");
      }
      return blob;
    });
  }

  private Future<Void> commit(
      AzureRequest r, ContainerRecord container, BlobRecord blob, StreamWriter.Written written, DataKey dek,
      CustomerKey cpk, Condition condition, Long appendPosition, Long maxSize, int attempts) {
    StreamRef stream = written.stream();
    long now = services.clock().millis();
    ByteString versionId = ByteString.copyFrom(services.cipher().newId());
    String etag = services.newEtag();
    BlobRecord next = blob.toBuilder()
        .addStreams(stream)
        .setContentLength(blob.getContentLength() + stream.getPlaintextLength())
        .setVersionId(versionId)
        .clearManifestMac()
        .build();
    // The MAC covers the whole manifest (up to 50,000 streams): computed on the crypto pool.
    return services.cipher().compute(() -> BlobCipher.manifestMac(dek, next)).compose(mac -> {
      AppendBlock.Builder append = AppendBlock.newBuilder()
          .setAccount(container.getAccount())
          .setContainerId(container.getContainerId())
          .setName(r.path().blob())
          .setCondition(condition)
          .setExpectedVersionId(blob.getVersionId())
          .setStream(stream)
          .setVersionId(versionId)
          .setManifestMac(ByteString.copyFrom(mac))
          .setEtag(etag)
          .setLastModifiedEpochMillis(now);
      if (appendPosition != null) {
        append.setAppendPosition(appendPosition);
      }
      if (maxSize != null) {
        append.setMaxSize(maxSize);
      }
      MetadataCommand command = MetadataCommand.newBuilder()
          .setPartition(services.blobPartition(container, r.path().blob()))
          .setRequestId(r.requestId())
          .setAppendBlock(append)
          .build();
      return services.metadata().submit(r.context(), command).compose(result -> {
        if (result.getStatus() == CommandStatus.APPEND_BLOB_CHANGED) {
          return signAgain(r, container, blob, written, dek, cpk, condition, appendPosition, maxSize, attempts);
        }
        requireAppended(result.getStatus());
        var resp = r.response(201)
            .putHeader("ETag", etag)
            .putHeader("Last-Modified", HttpDates.rfc1123(now))
            .putHeader("Content-MD5", Base64.getEncoder().encodeToString(written.md5()))
            .putHeader("x-ms-blob-append-offset", Long.toString(blob.getContentLength()))
            .putHeader("x-ms-blob-committed-block-count", Integer.toString(next.getStreamsCount()))
            .putHeader("x-ms-request-server-encrypted", "true")
            .putHeader("Content-Length", "0");
        if (written.crc64() != null) {
          resp.putHeader("x-ms-content-crc64", Base64.getEncoder().encodeToString(written.crc64()));
        }
        BlobEncryption.putWriteHeaders(resp, cpk, blob.getEncryptionScope());
        resp.end();
        return Future.<Void>succeededFuture();
      });
    });
  }

  /**
   * Another append (or a rewrap of nothing but the manifest's version) came first: read the blob
   * again and sign the new manifest. The block's chunks stay valid as long as the blob is the same
   * object (same object id, hence same DEK); a blob replaced meanwhile (a new object) cannot take
   * them, and the client gets 503 ServerBusy, which the SDKs retry by sending the block again.
   */
  private Future<Void> signAgain(
      AzureRequest r, ContainerRecord container, BlobRecord old, StreamWriter.Written written, DataKey dek,
      CustomerKey cpk, Condition condition, Long appendPosition, Long maxSize, int attempts) {
    if (attempts <= 1) {
      return Future.failedFuture(AzureError.SERVER_BUSY.exception());
    }
    return readAppendBlob(r, container).compose(blob -> {
      if (!blob.getObjectId().equals(old.getObjectId())) {
        throw AzureError.SERVER_BUSY.exception();
      }
      return commit(r, container, blob, written, dek, cpk, condition, appendPosition, maxSize, attempts - 1);
    });
  }

  /** PUT ?comp=seal → 200 with {@code x-ms-blob-sealed: true}. */
  Future<Void> seal(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    Condition condition = ConditionalHeaders.of(r);
    Long appendPosition = nonNegative(r, "x-ms-blob-condition-appendpos");
    return services.requireContainer(r).compose(container -> {
      long now = services.clock().millis();
      String etag = services.newEtag();
      AppendBlobSeal.Builder seal = AppendBlobSeal.newBuilder()
          .setAccount(container.getAccount())
          .setContainerId(container.getContainerId())
          .setName(r.path().blob())
          .setCondition(condition)
          .setEtag(etag)
          .setLastModifiedEpochMillis(now);
      if (appendPosition != null) {
        seal.setAppendPosition(appendPosition);
      }
      MetadataCommand command = MetadataCommand.newBuilder()
          .setPartition(services.blobPartition(container, r.path().blob()))
          .setRequestId(r.requestId())
          .setSealAppendBlob(seal)
          .build();
      return services.metadata().submit(r.context(), command).map(result -> {
        requireAppended(result.getStatus());
        r.response(200)
            .putHeader("ETag", etag)
            .putHeader("Last-Modified", HttpDates.rfc1123(now))
            .putHeader("x-ms-blob-sealed", "true")
            .putHeader("Content-Length", "0")
            .end();
        return null;
      });
    });
  }

  /** Azure's answer to the status of an append or seal command. */
  static void requireAppended(CommandStatus status) {
    AzureException lease = LeaseHandler.forWrite(status, false);
    if (lease != null) {
      throw lease;
    }
    switch (status) {
      case OK -> { }
      case NOT_FOUND -> throw AzureError.BLOB_NOT_FOUND.exception();
      // If-None-Match: * on a blob that exists: a write that does not create answers 412.
      case CONDITION_NOT_MET, ALREADY_EXISTS -> throw AzureError.CONDITION_NOT_MET.exception();
      case INVALID_BLOB_TYPE -> throw AzureError.INVALID_BLOB_TYPE.exception();
      case BLOB_SEALED -> throw AzureError.BLOB_IS_SEALED.exception();
      case APPEND_POSITION_CONDITION_NOT_MET -> throw AzureError.APPEND_POSITION_CONDITION_NOT_MET.exception();
      case MAX_BLOB_SIZE_CONDITION_NOT_MET -> throw AzureError.MAX_BLOB_SIZE_CONDITION_NOT_MET.exception();
      case BLOCK_COUNT_EXCEEDS_LIMIT -> throw AzureError.BLOCK_COUNT_EXCEEDS_LIMIT.exceptionWithMessage(
          "The committed block count cannot exceed the maximum limit of 50,000 blocks.");
      default -> throw new IllegalStateException("append command answered " + status);
    }
  }

  static boolean isAppendBlob(BlobRecord blob) {
    return APPEND_BLOB.equals(blob.getBlobType());
  }

  /** An optional non-negative integer header; 400 InvalidHeaderValue when malformed. */
  private static Long nonNegative(AzureRequest r, String header) {
    String v = r.header(header);
    if (v == null) {
      return null;
    }
    try {
      long n = Long.parseLong(v.trim());
      if (n < 0) {
        throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", header);
      }
      return n;
    } catch (NumberFormatException e) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", header);
    }
  }
}
