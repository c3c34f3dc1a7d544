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
import io.vertx.core.streams.ReadStream;
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
 * write quorum; fails with Md5Mismatch, Crc64Mismatch, RequestBodyTooLarge or a short body's
 * InvalidHeaderValue. The digests are computed incrementally as the body streams in.
 * Lives on the request's event-loop context; does not close the key.
 */
final class StreamWriter {
  /** A written stream, the MD5 of its plaintext and, when one was sent to check, its CRC64 (else null). */
  record Written(StreamRef stream, byte[] md5, byte[] crc64) {}

  /**
   * What the client sent to check the body against: {@code Content-MD5} and/or
   * {@code x-ms-content-crc64} (each null when absent).
   */
  record Expected(byte[] md5, byte[] crc64) {
    static final Expected NONE = new Expected(null, null);

    /** From the request's headers; 400 InvalidHeaderValue for a malformed one. */
    static Expected of(AzureRequest r) {
      return new Expected(PutBlobHandler.expectedMd5(r), StorageCrc64.expected(r));
    }

    /** Checks a body already in memory (a block list), as the streaming path does. */
    void check(byte[] body) {
      if (md5 != null) {
        byte[] digest = newMd5().digest(body);
        if (!MessageDigest.isEqual(md5, digest)) {
          throw mismatch(AzureError.MD5_MISMATCH, "UserSpecifiedMd5", md5, "ServerCalculatedMd5", digest);
        }
      }
      if (crc64 != null) {
        byte[] computed = StorageCrc64.toBytes(StorageCrc64.compute(body));
        if (!MessageDigest.isEqual(crc64, computed)) {
          throw mismatch(AzureError.CRC64_MISMATCH, "UserSpecifiedCrc", crc64, "ServerCalculatedCrc", computed);
        }
      }
    }
  }

  private final BlobServices services;
  private final AzureRequest r;
  private final ReadStream<Buffer> req;
  private final DataKey key;
  private final long declared;
  private final long maxBytes;
  private final Expected expected;
  private final StorageCrc64 crc64;
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
  private byte[] computedCrc64;

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
      Expected expected) {
    this(services, r, r.http(), key, objectId, declared, maxBytes, expected);
  }

  /**
   * As above, reading {@code body} instead of the request's body (a copy's source, read and
   * decrypted chunk by chunk: {@link SourceBlobStream}); {@code r} gives the account the chunks are
   * sealed for and the context.
   */
  StreamWriter(
      BlobServices services,
      AzureRequest r,
      ReadStream<Buffer> body,
      DataKey key,
      byte[] objectId,
      long declared,
      long maxBytes,
      Expected expected) {
    this.services = services;
    this.r = r;
    this.req = body;
    this.key = key;
    this.declared = declared;
    this.maxBytes = maxBytes;
    this.expected = expected;
    this.crc64 = expected.crc64() == null ? null : new StorageCrc64();
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
    if (crc64 != null) {
      crc64.update(bytes, 0, bytes.length);
    }
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
    return Future.fromCompletionStage(services.chunks().write(r.path().account(), sealed.chunkId(), sealed.data()), r.context())
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
    // A mismatch fails the upload before anything is committed: the blob (or block list) is unchanged.
    if (expected.md5() != null && !MessageDigest.isEqual(expected.md5(), digest)) {
      fail(mismatch(AzureError.MD5_MISMATCH, "UserSpecifiedMd5", expected.md5(), "ServerCalculatedMd5", digest));
      return;
    }
    if (crc64 != null) {
      computedCrc64 = crc64.bytes();
      if (!MessageDigest.isEqual(expected.crc64(), computedCrc64)) {
        fail(mismatch(AzureError.CRC64_MISMATCH, "UserSpecifiedCrc", expected.crc64(), "ServerCalculatedCrc",
            computedCrc64));
        return;
      }
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
    done.tryComplete(new Written(stream, computedMd5, computedCrc64));
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

  /** Azure's mismatch error, with what the client sent and what the server computed (base64). */
  static io.cobalt.gateway.http.AzureException mismatch(
      AzureError error, String sentName, byte[] sent, String computedName, byte[] computed) {
    java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
    return error.exception(java.util.Map.of(sentName, b64.encodeToString(sent), computedName, b64.encodeToString(computed)));
  }

  private static MessageDigest newMd5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is mandatory in every JDK", e);
    }
  }
}
