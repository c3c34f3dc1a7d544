package io.cobalt.gateway.blob;

import io.cobalt.gateway.encryption.CustomerKey;
import io.cobalt.crypto.chunk.ChunkIdentity;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.nodeclient.ChunkIntegrityException;
import io.cobalt.proto.node.v1.BlobRecord;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plaintext of a stored blob as a {@link ReadStream}, for a copy (ADR 0019): one chunk is read
 * from its replicas and opened on the crypto pool at a time, and only while the reader is not
 * paused, so a copy holds at most one source chunk here plus what {@link StreamWriter} is sealing:
 * memory is bounded whatever the blob's size. The source's DEKs are unwrapped when first needed
 * and closed when the stream ends or fails. The manifest MAC must have been verified by the caller
 * (with {@code deks[0]}, which this stream then owns). Lives on the request's context.
 */
final class SourceBlobStream implements ReadStream<Buffer> {
  private static final Logger LOG = LoggerFactory.getLogger(SourceBlobStream.class);

  private final BlobServices services;
  private final AzureRequest r;
  private final BlobRecord blob;
  private final List<GetBlobHandler.Piece> pieces;
  private final Map<Integer, Future<DataKey>> keys = new HashMap<>();
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private final CustomerKey sourceKey;
  private boolean paused = true;
  private boolean reading;
  private boolean done;
  private int next;

  /**
   * @param first the blob's {@code deks[0]}, unwrapped; closed by this stream
   * @param sourceKey the source's customer key when it was written with one (ADR 0023), else null
   */
  SourceBlobStream(BlobServices services, AzureRequest r, BlobRecord blob, DataKey first, CustomerKey sourceKey) {
    this.services = services;
    this.r = r;
    this.blob = blob;
    this.sourceKey = sourceKey;
    this.pieces = GetBlobHandler.plan(blob, 0, blob.getContentLength());
    this.keys.put(0, Future.succeededFuture(first));
  }

  @Override
  public SourceBlobStream exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public SourceBlobStream handler(Handler<Buffer> handler) {
    this.handler = handler;
    return this;
  }

  @Override
  public SourceBlobStream pause() {
    paused = true;
    return this;
  }

  @Override
  public SourceBlobStream resume() {
    paused = false;
    pump();
    return this;
  }

  @Override
  public SourceBlobStream fetch(long amount) {
    return amount > 0 ? resume() : this;
  }

  @Override
  public SourceBlobStream endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }

  /** Closes the unwrapped keys if the stream will not be read to its end (the copy failed first). */
  void close() {
    if (!done) {
      done = true;
      closeKeys();
    }
  }

  private void pump() {
    if (paused || reading || done) {
      return;
    }
    if (next == pieces.size()) {
      done = true;
      closeKeys();
      if (endHandler != null) {
        endHandler.handle(null);
      }
      return;
    }
    reading = true;
    GetBlobHandler.Piece p = pieces.get(next++);
    read(p).onComplete(ar -> {
      reading = false;
      if (done) {
        return; // a read that completed after close: dropped
      }
      if (ar.failed()) {
        if (ar.cause() instanceof ChunkIntegrityException) {
          LOG.error("integrity failure: a chunk of a copy source in account={} container={} failed authentication"
              + " on every replica; request={}", blob.getAccount(), blob.getContainer(), r.requestId());
        }
        done = true;
        closeKeys();
        if (exceptionHandler != null) {
          exceptionHandler.handle(ar.cause());
        }
        return;
      }
      if (handler != null) {
        handler.handle(Buffer.buffer(ar.result()));
      }
      pump();
    });
  }

  private Future<DataKey> key(int i) {
    if (i < 0 || i >= blob.getDeksCount()) {
      return Future.failedFuture(new ChunkIntegrityException("stream refers to a missing data key"));
    }
    return keys.computeIfAbsent(i, x -> BlobEncryption.unwrap(services, r, blob, x, sourceKey));
  }

  private void closeKeys() {
    keys.values().forEach(f -> f.onSuccess(DataKey::close));
  }

  /** As Get Blob reads a piece: a staged block's stream carries its own object id. */
  private Future<byte[]> read(GetBlobHandler.Piece p) {
    byte[] objectId = p.stream().getObjectId().isEmpty()
        ? blob.getObjectId().toByteArray() : p.stream().getObjectId().toByteArray();
    ChunkIdentity identity =
        new ChunkIdentity(blob.getAccount(), objectId, p.stream().getStreamId().toByteArray(), p.chunkIndex());
    byte[] chunkId = p.chunk().getChunkId().toByteArray();
    return key(p.stream().getDekIndex()).compose(dek -> Future.fromCompletionStage(
        services.chunks().read(
            p.chunk().getReplicasList(),
            chunkId,
            bytes -> services.cipher()
                .open(dek, identity, bytes, p.chunk().getPlaintextLength(), p.offsetInChunk(), p.length())
                .toCompletionStage()),
        r.context()));
  }
}
