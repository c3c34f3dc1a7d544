package io.cobalt.gateway.blob;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.chunk.ChunkFormat;
import io.cobalt.crypto.chunk.ChunkIdentity;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.BlobCipher.SealedChunk;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.StreamRef;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Streams one request body into one encrypted stream (DESIGN §5.2): the body is cut into
 * {@value ChunkFormat#MAX_CHUNK_PLAINTEXT}-byte plaintext chunks, each sealed under the given DEK on
 * the crypto pool, named by the SHA-256 of its ciphertext and written to its replicas; at most
 * {@code maxInFlightChunksPerRequest} chunks are in flight, and the request is paused while that
 * many are. Completes with the stream (dek_index 0) and the body's MD5 once every chunk reached its
 * write quorum; fails with Md5Mismatch, RequestBodyTooLarge or a short body's InvalidHeaderValue.
 * Lives on the request's event-loop context; does not close the key.
 */
final class StreamWriter {
  /** A written stream and the MD5 of its plaintext. */
  record Written(StreamRef stream, byte[] md5) {}

  private final BlobServices services;
  private final AzureRequest r;
  private final HttpServerRequest req;
  private final DataKey key;
  private final long declared;
  private final long maxBytes;
  private final byte[] expectedMd5;
  private final Promise<Written> done = Promise.promise();
  private final MessageDigest md5 = newMd5();
  private final byte[] objectId;
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
  private byte[] computedMd5;

  /**
   * @param declared the body's Content-Length, or -1
   * @param maxBytes the largest body accepted (413 RequestBodyTooLarge beyond)
   */
  StreamWriter(
      BlobServices services,
      AzureRequest r,
      DataKey key,
      byte[] objectId,
      long declared,
      long maxBytes,
      byte[] expectedMd5) {
    this.services = services;
    this.r = r;
    this.req = r.http();
    this.key = key;
    this.declared = declared;
    this.maxBytes = maxBytes;
    this.expectedMd5 = expectedMd5;
    this.objectId = objectId;
    this.streamId = services.cipher().newId();
  }

  Future<Written> run() {
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
    if (received > maxBytes || (declared >= 0 && received > declared)) {
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
        .seal(key, identity, p.plaintext(), p.length())
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


  private void commit() {
    finished = true;
    StreamRef stream =
        StreamRef.newBuilder()
            .setStreamId(ByteString.copyFrom(streamId))
            .setPlaintextLength(received)
            .setDekIndex(0)
            .addAllChunks(refs)
            .build();
    done.tryComplete(new Written(stream, computedMd5));
  }

  private void fail(Throwable t) {
    if (finished) {
      return;
    }
    finished = true;
    ready.clear();
    if (filling != null) {
      java.util.Arrays.fill(filling, (byte) 0);
      filling = null;
    }
    done.tryFail(t);
  }

  private static MessageDigest newMd5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is mandatory in every JDK", e);
    }
  }
}
