package io.cobalt.gateway.blob;

import io.cobalt.crypto.chunk.ChunkIdentity;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.CustomerKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.nodeclient.ChunkIntegrityException;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ChunkRef;
import io.cobalt.proto.node.v1.StreamRef;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Get Blob (GET, with {@code Range}/{@code x-ms-range}) and Get Blob Properties (HEAD). Properties
 * need no DEK, but are refused under a revoked key (the key's state is checked). Data: the DEK is unwrapped by the kms-agent, the manifest MAC verified before a
 * byte is sent, then the touched chunks are fetched (one ahead at most), opened on the crypto pool
 * (only the segments the range touches) and written with back-pressure. A chunk that fails
 * authentication on every replica after the headers went out resets the connection: the client
 * never receives unauthenticated bytes and never mistakes a short body for a complete one.
 */
final class GetBlobHandler {
  private static final Logger LOG = LoggerFactory.getLogger(GetBlobHandler.class);

  private final BlobServices services;
  private final IndexTags tags;

  GetBlobHandler(BlobServices services) {
    this.services = services;
    this.tags = new IndexTags(services);
  }

  /** Azure computes a range's digest for ranges of at most 4 MiB. */
  static final long MAX_DIGEST_RANGE_BYTES = 4L * 1024 * 1024;

  /** Which digest of the range the client asked for. */
  enum RangeDigest { NONE, MD5, CRC64 }

  Future<Void> get(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    io.cobalt.proto.node.v1.Condition condition = ConditionalHeaders.of(r);
    RangeDigest digest = r.method() == HttpMethod.HEAD ? RangeDigest.NONE : rangeDigest(r);
    String snapshot = SnapshotHandler.snapshotParam(r);
    TagExpression ifTags = IndexTags.ifTags(r);
    CustomerKey cpk = BlobEncryption.customerKey(r, false);
    return BlobEncryption.closing(cpk, services
        .requireContainer(r)
        .compose(container -> services.metadata().blob(r.context(), container, r.path().blob(), snapshot))
        .compose(blob -> {
          if (blob == null) {
            throw AzureError.BLOB_NOT_FOUND.exception();
          }
          return tags.requireRead(r, ifTags, blob).map(v -> blob);
        })
        .compose(
            blob -> {
              LeaseHandler.requireReadLease(condition, blob.hasLease(), blob.getLease(), false);
              BlobEncryption.requireMatching(blob, cpk);
              if (ConditionalHeaders.read(condition, blob.getEtag(), blob.getLastModifiedEpochMillis())
                  == ConditionalHeaders.ReadOutcome.NOT_MODIFIED) {
                ConditionalHeaders.endNotModified(r, blob.getEtag(), blob.getLastModifiedEpochMillis());
                return Future.succeededFuture();
              }
              long size = blob.getContentLength();
              ByteRange range = ByteRange.resolve(r.header("Range"), r.header("x-ms-range"), size);
              if (r.method() == HttpMethod.HEAD) {
                return services.requireKeyUsable(r, blob).map(v -> {
                  HttpServerResponse resp = r.response(200);
                  BlobHeaders.putBlobProperties(resp.headers(), blob, r.received().toEpochMilli());
                  BlobHeaders.applyOverrides(resp.headers(), r.grant().overrides());
                  resp.putHeader("Content-Length", Long.toString(size));
                  String md5 = BlobHeaders.md5Base64(blob);
                  if (md5 != null) {
                    resp.putHeader("Content-MD5", md5);
                  }
                  resp.end();
                  return null;
                });
              }
              if (digest != RangeDigest.NONE && (range == null || range.length() > MAX_DIGEST_RANGE_BYTES)) {
                throw digestRefused(r, digest);
              }
              if (blob.getDeksCount() == 0) {
                throw new ChunkIntegrityException("blob record has no data key");
              }
              return BlobEncryption.unwrap(services, r, blob, 0, cpk)
                  .compose(dek -> serve(r, blob, range, digest, dek, cpk).eventually(() -> {
                    dek.close();
                    return Future.succeededFuture();
                  }));
            }));
  }

  /**
   * {@code x-ms-range-get-content-md5} / {@code -crc64: true}. Without a range, or with a range
   * over 4 MiB, Azure answers 400 InvalidHeaderValue naming the header (the REST docs say 400; the
   * code and detail are what the service returns, as reported in azure-sdk-for-net #37150 and
   * #31561 and azure-sdk-for-rust #930); both at once are refused alike.
   */
  static RangeDigest rangeDigest(AzureRequest r) {
    boolean md5 = flag(r, "x-ms-range-get-content-md5");
    boolean crc64 = flag(r, "x-ms-range-get-content-crc64");
    if (md5 && crc64) {
      throw AzureError.INVALID_HEADER_VALUE.exception(
          java.util.Map.of("HeaderName", "x-ms-range-get-content-crc64", "HeaderValue", "true"));
    }
    return md5 ? RangeDigest.MD5 : crc64 ? RangeDigest.CRC64 : RangeDigest.NONE;
  }

  private static boolean flag(AzureRequest r, String header) {
    String v = r.header(header);
    if (v == null || v.trim().equalsIgnoreCase("false")) {
      return false;
    }
    if (v.trim().equalsIgnoreCase("true")) {
      return true;
    }
    throw AzureError.INVALID_HEADER_VALUE.exception(java.util.Map.of("HeaderName", header, "HeaderValue", v));
  }

  private static RuntimeException digestRefused(AzureRequest r, RangeDigest digest) {
    String header = digest == RangeDigest.MD5 ? "x-ms-range-get-content-md5" : "x-ms-range-get-content-crc64";
    return AzureError.INVALID_HEADER_VALUE.exception(java.util.Map.of("HeaderName", header, "HeaderValue", "true"));
  }

  private Future<Void> serve(
      AzureRequest r, BlobRecord blob, ByteRange range, RangeDigest digest, DataKey dek, CustomerKey cpk) {
    return services
        .cipher()
        .verifyManifest(dek, blob)
        .compose(
            valid -> {
              if (!valid) {
                LOG.error(
                    "integrity failure: manifest MAC mismatch for account={} container={} request={}",
                    blob.getAccount(), blob.getContainer(), r.requestId());
                throw new ChunkIntegrityException("manifest MAC mismatch");
              }
              long size = blob.getContentLength();
              long offset = range == null ? 0 : range.offset();
              long length = range == null ? size : range.length();
              List<Piece> pieces = plan(blob, offset, length);
              HttpServerResponse resp = r.response(range == null ? 200 : 206);
              BlobHeaders.putBlobProperties(resp.headers(), blob, r.received().toEpochMilli());
              BlobHeaders.applyOverrides(resp.headers(), r.grant().overrides());
              resp.putHeader("Content-Length", Long.toString(length));
              if (range == null) {
                String md5 = BlobHeaders.md5Base64(blob);
                if (md5 != null) {
                  resp.putHeader("Content-MD5", md5);
                }
              } else {
                resp.putHeader("Content-Range", range.contentRange(size));
                String md5 = BlobHeaders.md5Base64(blob);
                if (md5 != null) {
                  resp.putHeader("x-ms-blob-content-md5", md5);
                }
              }
              if (digest != RangeDigest.NONE) {
                // At most 4 MiB: read the range whole, digest it on the crypto pool, then send it.
                return new Stream(r, resp, blob, dek, cpk, pieces).collect()
                    .compose(bytes -> services.cipher().compute(() -> digest == RangeDigest.MD5
                            ? java.security.MessageDigest.getInstance("MD5").digest(bytes)
                            : StorageCrc64.toBytes(StorageCrc64.compute(bytes)))
                        .map(value -> {
                          resp.putHeader(digest == RangeDigest.MD5 ? "Content-MD5" : "x-ms-content-crc64",
                              java.util.Base64.getEncoder().encodeToString(value));
                          resp.end(Buffer.buffer(bytes));
                          return (Void) null;
                        }));
              }
              return new Stream(r, resp, blob, dek, cpk, pieces).run();
            });
  }

  /** One chunk's contribution to the response. */
  record Piece(StreamRef stream, int chunkIndex, ChunkRef chunk, long offsetInChunk, int length) {}

  /** The chunks (and the slice of each) that cover {@code [offset, offset+length)}. */
  static List<Piece> plan(BlobRecord blob, long offset, long length) {
    List<Piece> out = new ArrayList<>();
    long end = offset + length;
    long pos = 0;
    for (StreamRef s : blob.getStreamsList()) {
      for (int i = 0; i < s.getChunksCount(); i++) {
        ChunkRef c = s.getChunks(i);
        long cStart = pos;
        long cEnd = pos + c.getPlaintextLength();
        pos = cEnd;
        long from = Math.max(offset, cStart);
        long to = Math.min(end, cEnd);
        if (from < to) {
          out.add(new Piece(s, i, c, from - cStart, (int) (to - from)));
        }
      }
    }
    long covered = out.stream().mapToLong(Piece::length).sum();
    if (covered != length) {
      throw new ChunkIntegrityException("manifest does not cover the blob's length");
    }
    return out;
  }

  /** Streams the pieces in order, fetching at most one ahead, honouring back-pressure. */
  private final class Stream {
    private final AzureRequest r;
    private final HttpServerResponse resp;
    private final BlobRecord blob;
    private final CustomerKey cpk;
    /** Unwrapped DEKs by index into the record's deks (deks[0] given), unwrapped when first needed. */
    private final Map<Integer, Future<DataKey>> keys = new HashMap<>();
    private final List<Piece> pieces;
    private final Promise<Void> done = Promise.promise();
    private Future<byte[]> ahead;
    private int next;

    Stream(AzureRequest r, HttpServerResponse resp, BlobRecord blob, DataKey dek, CustomerKey cpk, List<Piece> pieces) {
      this.r = r;
      this.cpk = cpk;
      this.resp = resp;
      this.blob = blob;
      this.keys.put(0, Future.succeededFuture(dek));
      this.pieces = pieces;
    }

    /** The DEK of record index {@code i}; the caller closes deks[0], the stream closes the others. */
    private Future<DataKey> key(int i) {
      if (i < 0 || i >= blob.getDeksCount()) {
        return Future.failedFuture(new ChunkIntegrityException("stream refers to a missing data key"));
      }
      return keys.computeIfAbsent(i, x -> BlobEncryption.unwrap(services, r, blob, x, cpk));
    }

    private void closeKeys() {
      keys.forEach((i, f) -> {
        if (i != 0) {
          f.onSuccess(DataKey::close);
        }
      });
    }

    /** The pieces fetched and opened in order into one array (for a range of at most 4 MiB). */
    Future<byte[]> collect() {
      byte[] out = new byte[pieces.stream().mapToInt(Piece::length).sum()];
      Future<Integer> chain = Future.succeededFuture(0);
      for (Piece p : pieces) {
        chain = chain.compose(pos -> fetch(p).map(bytes -> {
          System.arraycopy(bytes, 0, out, pos, bytes.length);
          return pos + bytes.length;
        }));
      }
      return chain.map(end -> out).eventually(() -> {
        closeKeys();
        return Future.succeededFuture();
      });
    }

    Future<Void> run() {
      done.future().onComplete(x -> closeKeys());
      resp.closeHandler(v -> done.tryFail(new IllegalStateException("client closed the connection")));
      if (pieces.isEmpty()) {
        resp.end();
        return Future.succeededFuture();
      }
      ahead = fetch(pieces.get(0));
      step();
      return done.future();
    }

    private void step() {
      if (done.future().isComplete()) {
        return;
      }
      Future<byte[]> current = ahead;
      int index = next++;
      current.onComplete(
          ar -> {
            if (ar.failed()) {
              if (ar.cause() instanceof ChunkIntegrityException) {
                LOG.error(
                    "integrity failure: a chunk of account={} container={} failed authentication on every replica; request={}",
                    blob.getAccount(), blob.getContainer(), r.requestId());
              }
              done.tryFail(ar.cause());
              return;
            }
            if (done.future().isComplete()) {
              return;
            }
            if (next < pieces.size()) {
              ahead = fetch(pieces.get(next)); // one ahead while this one is written
            }
            resp.write(Buffer.buffer(ar.result()));
            if (index == pieces.size() - 1) {
              resp.end().onComplete(x -> done.tryComplete());
              return;
            }
            if (resp.writeQueueFull()) {
              resp.drainHandler(v -> {
                resp.drainHandler(null);
                step();
              });
            } else {
              step();
            }
          });
    }

    private Future<byte[]> fetch(Piece p) {
      // A staged block was sealed under an object id of its own (the version did not exist yet).
      byte[] objectId = p.stream().getObjectId().isEmpty()
          ? blob.getObjectId().toByteArray() : p.stream().getObjectId().toByteArray();
      ChunkIdentity identity =
          new ChunkIdentity(blob.getAccount(), objectId, p.stream().getStreamId().toByteArray(), p.chunkIndex());
      byte[] chunkId = p.chunk().getChunkId().toByteArray();
      return key(p.stream().getDekIndex()).compose(dek -> Future.fromCompletionStage(
          services
              .chunks()
              .read(
                  p.chunk().getReplicasList(),
                  chunkId,
                  bytes ->
                      services
                          .cipher()
                          .open(dek, identity, bytes, p.chunk().getPlaintextLength(), p.offsetInChunk(), p.length())
                          .toCompletionStage()),
          r.context()));
    }
  }
}
