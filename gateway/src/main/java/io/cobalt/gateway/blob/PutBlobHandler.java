package io.cobalt.gateway.blob;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.chunk.ChunkFormat;
import io.cobalt.crypto.chunk.ChunkIdentity;
import io.cobalt.gateway.encryption.BlobCipher;
import io.cobalt.gateway.encryption.BlobCipher.SealedChunk;
import io.cobalt.gateway.encryption.GeneratedKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.PutBlob;
import io.cobalt.proto.node.v1.StreamRef;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Put Blob (block blob, single shot). The body is streamed, never buffered whole: it is cut into
 * {@value ChunkFormat#MAX_CHUNK_PLAINTEXT}-byte plaintext chunks, each sealed under a fresh DEK on
 * the crypto pool, named by the SHA-256 of its ciphertext and written to its replicas; at most
 * {@code maxInFlightChunksPerRequest} chunks are in flight, and the request is paused while that
 * many are. When the body has ended and every chunk reached its write quorum, the manifest (with
 * the wrapped DEK and the manifest MAC) is committed to the blob's partition.
 */
final class PutBlobHandler {
  private final BlobServices services;

  PutBlobHandler(BlobServices services) {
    this.services = services;
  }

  Future<Void> put(AzureRequest r) {
    String blobName = r.path().blob();
    ResourceNames.requireBlobName(blobName);
    String blobType = r.header("x-ms-blob-type");
    if (blobType == null) {
      throw AzureError.MISSING_REQUIRED_HEADER.exception("HeaderName", "x-ms-blob-type");
    }
    if (!blobType.equals("BlockBlob")) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-blob-type");
    }
    long declared = declaredLength(r);
    byte[] expectedMd5 = expectedMd5(r);
    Map<String, String> metadata = BlobHeaders.userMetadata(r.http());
    return services
        .requireContainer(r)
        .compose(container -> mayWrite(r, container))
        .compose(
            container ->
                Future.fromCompletionStage(
                        services.keys().generate(r.path().account(), r.requestId()), r.context())
                    .compose(
                        key ->
                            new Upload(r, container, key, declared, expectedMd5, metadata).run()));
  }

  /**
   * A SAS with create ({@code c}) but not write ({@code w}) may not overwrite: 403
   * AuthorizationPermissionMismatch if the blob exists (checked before the upload; a concurrent
   * create between check and commit is not caught until conditional writes exist).
   */
  private Future<ContainerRecord> mayWrite(AzureRequest r, ContainerRecord container) {
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

  private long declaredLength(AzureRequest r) {
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
    if (n > services.maxPutBlobBytes()) {
      throw AzureError.REQUEST_BODY_TOO_LARGE.exception();
    }
    return n;
  }

  private static byte[] expectedMd5(AzureRequest r) {
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

  /** One upload's state; lives on the request's event-loop context. */
  private final class Upload {
    private final AzureRequest r;
    private final HttpServerRequest req;
    private final ContainerRecord container;
    private final GeneratedKey key;
    private final long declared;
    private final byte[] expectedMd5;
    private final Map<String, String> metadata;
    private final Promise<Void> done = Promise.promise();
    private final MessageDigest md5 = newMd5();
    private final byte[] objectId;
    private final byte[] versionId;
    private final byte[] streamId;
    private final List<ChunkRef> refs = new ArrayList<>();
    private final ArrayDeque<Pending> ready = new ArrayDeque<>();

    private record Pending(int index, byte[] plaintext, int length) {}

    private byte[] filling;
    private int fillPos;
    private long received;
    private int nextIndex;
    private int inFlight;
    private boolean ended;
    private boolean finished;

    Upload(
        AzureRequest r,
        ContainerRecord container,
        GeneratedKey key,
        long declared,
        byte[] expectedMd5,
        Map<String, String> metadata) {
      this.r = r;
      this.req = r.http();
      this.container = container;
      this.key = key;
      this.declared = declared;
      this.expectedMd5 = expectedMd5;
      this.metadata = metadata;
      BlobCipher cipher = services.cipher();
      this.objectId = cipher.newId();
      this.versionId = cipher.newId();
      this.streamId = cipher.newId();
    }

    Future<Void> run() {
      req.handler(this::onData);
      req.endHandler(v -> onEnd());
      req.exceptionHandler(this::fail);
      req.resume();
      return done.future();
    }

    private void onData(Buffer buf) {
      if (finished) {
        return;
      }
      received += buf.length();
      if (received > services.maxPutBlobBytes() || (declared >= 0 && received > declared)) {
        fail(AzureError.REQUEST_BODY_TOO_LARGE.exception());
        return;
      }
      byte[] bytes = buf.getBytes();
      md5.update(bytes);
      int off = 0;
      while (off < bytes.length) {
        if (filling == null) {
          filling = new byte[nextBufferSize()];
          fillPos = 0;
        }
        int n = Math.min(bytes.length - off, filling.length - fillPos);
        System.arraycopy(bytes, off, filling, fillPos, n);
        java.util.Arrays.fill(bytes, off, off + n, (byte) 0);
        fillPos += n;
        off += n;
        if (fillPos == filling.length) {
          enqueue();
        }
      }
      pump();
    }

    /** A full chunk, or, for a body of declared length, only what remains of it. */
    private int nextBufferSize() {
      if (declared < 0) {
        return ChunkFormat.MAX_CHUNK_PLAINTEXT;
      }
      long remaining = declared - (long) nextIndex * ChunkFormat.MAX_CHUNK_PLAINTEXT;
      return (int) Math.max(1, Math.min(ChunkFormat.MAX_CHUNK_PLAINTEXT, remaining));
    }

    private void enqueue() {
      ready.add(new Pending(nextIndex++, filling, fillPos));
      refs.add(null);
      filling = null;
      fillPos = 0;
    }

    private void pump() {
      while (!finished && inFlight < services.maxInFlightChunksPerRequest() && !ready.isEmpty()) {
        Pending p = ready.poll();
        inFlight++;
        sealAndWrite(p);
      }
      if (finished) {
        return;
      }
      if (inFlight >= services.maxInFlightChunksPerRequest() || !ready.isEmpty()) {
        req.pause();
      } else if (!ended) {
        req.resume();
      }
      if (ended && inFlight == 0 && ready.isEmpty()) {
        commit();
      }
    }

    private void sealAndWrite(Pending p) {
      ChunkIdentity identity = new ChunkIdentity(r.path().account(), objectId, streamId, p.index());
      services
          .cipher()
          .seal(key.dek(), identity, p.plaintext(), p.length())
          .compose((SealedChunk sealed) -> writeReplicas(sealed))
          .onComplete(
              ar -> {
                inFlight--;
                if (finished) {
                  return;
                }
                if (ar.failed()) {
                  fail(ar.cause());
                  return;
                }
                refs.set(p.index(), ar.result());
                pump();
              });
    }

    private Future<ChunkRef> writeReplicas(SealedChunk sealed) {
      return Future.fromCompletionStage(services.chunks().write(sealed.chunkId(), sealed.data()), r.context())
          .map(
              acked ->
                  ChunkRef.newBuilder()
                      .setChunkId(ByteString.copyFrom(sealed.chunkId()))
                      .setPlaintextLength(sealed.plaintextLength())
                      .setCiphertextLength(sealed.data().length)
                      .addAllReplicas(acked)
                      .build());
    }

    private void onEnd() {
      if (finished) {
        return;
      }
      if (declared >= 0 && received != declared) {
        fail(AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "Content-Length"));
        return;
      }
      byte[] digest = md5.digest();
      if (expectedMd5 != null && !MessageDigest.isEqual(expectedMd5, digest)) {
        fail(AzureError.MD5_MISMATCH.exception());
        return;
      }
      this.computedMd5 = digest;
      if (fillPos > 0 || nextIndex == 0) {
        if (filling == null) {
          filling = new byte[0];
        }
        enqueue(); // the last (possibly only, possibly empty) chunk
      }
      ended = true;
      pump();
    }

    private byte[] computedMd5;

    private void commit() {
      finished = true;
      long now = services.clock().millis();
      BlobRecord.Builder b =
          BlobRecord.newBuilder()
              .setAccount(container.getAccount())
              .setContainer(container.getName())
              .setContainerId(container.getContainerId())
              .setName(r.path().blob())
              .setObjectId(ByteString.copyFrom(objectId))
              .setVersionId(ByteString.copyFrom(versionId))
              .setContentLength(received)
              .setContentType(orEmpty(r.header("x-ms-blob-content-type"), "application/octet-stream"))
              .setContentMd5(ByteString.copyFrom(computedMd5))
              .setContentEncoding(orEmpty(r.header("x-ms-blob-content-encoding"), ""))
              .setContentLanguage(orEmpty(r.header("x-ms-blob-content-language"), ""))
              .setContentDisposition(orEmpty(r.header("x-ms-blob-content-disposition"), ""))
              .setCacheControl(orEmpty(r.header("x-ms-blob-cache-control"), ""))
              .setEtag(services.newEtag())
              .setCreatedEpochMillis(now)
              .setLastModifiedEpochMillis(now)
              .putAllMetadata(metadata)
              .addDeks(key.wrapped())
              .addStreams(
                  StreamRef.newBuilder()
                      .setStreamId(ByteString.copyFrom(streamId))
                      .setPlaintextLength(received)
                      .setDekIndex(0)
                      .addAllChunks(refs))
              .setBlobType("BlockBlob");
      BlobRecord unsigned = b.build();
      BlobRecord record;
      try {
        record = unsigned.toBuilder().setManifestMac(ByteString.copyFrom(BlobCipher.manifestMac(key.dek(), unsigned))).build();
      } finally {
        key.close();
      }
      int partition =
          services.metadata().placement().blobPartition(container.getAccount(), container.getName(), r.path().blob());
      MetadataCommand command =
          MetadataCommand.newBuilder()
              .setPartition(partition)
              .setRequestId(r.requestId())
              .setPutBlob(PutBlob.newBuilder().setBlob(record))
              .build();
      services
          .metadata()
          .submit(r.context(), command)
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  done.tryFail(ar.cause());
                  return;
                }
                try {
                  ContainerHandler.requireOk(ar.result().getStatus());
                  r.response(201)
                      .putHeader("ETag", record.getEtag())
                      .putHeader("Last-Modified", HttpDates.rfc1123(now))
                      .putHeader("Content-MD5", Base64.getEncoder().encodeToString(computedMd5))
                      .putHeader("x-ms-request-server-encrypted", "true")
                      .putHeader("Content-Length", "0")
                      .end();
                  done.tryComplete();
                } catch (RuntimeException e) {
                  done.tryFail(e);
                }
              });
    }

    private void fail(Throwable t) {
      if (finished) {
        return;
      }
      finished = true;
      key.close();
      ready.clear();
      if (filling != null) {
        java.util.Arrays.fill(filling, (byte) 0);
        filling = null;
      }
      done.tryFail(t);
    }
  }

  private static String orEmpty(String v, String dflt) {
    return v == null || v.isEmpty() ? dflt : v;
  }

  private static MessageDigest newMd5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is mandatory in every JDK", e);
    }
  }
}
