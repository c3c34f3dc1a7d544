package io.cobalt.gateway.encryption;

import io.cobalt.crypto.chunk.ChunkAuthenticationException;
import io.cobalt.crypto.chunk.ChunkFormat;
import io.cobalt.crypto.chunk.ChunkIdentity;
import io.cobalt.crypto.chunk.ChunkOpener;
import io.cobalt.crypto.chunk.ChunkSealer;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.crypto.manifest.ManifestMac;
import io.cobalt.gateway.nodeclient.ChunkIntegrityException;
import io.cobalt.proto.node.v1.BlobRecord;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Sealing and opening blob chunks, and the manifest MAC, on the gateway's bounded, named crypto
 * worker pool (never on an event loop). Futures complete on the calling Vert.x context.
 */
public final class BlobCipher {
  private final WorkerExecutor workers;
  private final SecureRandom random;
  private final ChunkSealer sealer;
  private final ChunkOpener opener = new ChunkOpener();

  public BlobCipher(WorkerExecutor workers, SecureRandom random) {
    this.workers = workers;
    this.random = random;
    this.sealer = new ChunkSealer(random);
  }

  /** A sealed chunk: its id (SHA-256 of the bytes), the ciphertext, and the plaintext length. */
  public record SealedChunk(byte[] chunkId, byte[] data, int plaintextLength) {}

  /** 16 fresh random bytes (object, version and stream ids). */
  public byte[] newId() {
    byte[] id = new byte[16];
    random.nextBytes(id);
    return id;
  }

  /** Seals {@code plaintext[0, length)} and wipes the plaintext afterwards. */
  public Future<SealedChunk> seal(DataKey dek, ChunkIdentity identity, byte[] plaintext, int length) {
    return workers.executeBlocking(
        () -> {
          try {
            byte[] sealed = sealer.seal(dek, identity, plaintext, 0, length);
            return new SealedChunk(sha256(sealed), sealed, length);
          } finally {
            Arrays.fill(plaintext, 0, length, (byte) 0);
          }
        },
        false);
  }

  /**
   * Opens {@code [offset, offset+length)} of a chunk whose manifest says it holds
   * {@code plaintextLength} bytes; fails with {@link ChunkIntegrityException}. The length check
   * matters: a range read authenticates only the segments it touches, so a replica that returned a
   * chunk cut at a segment boundary would otherwise pass for the segments before the cut.
   */
  public Future<byte[]> open(
      DataKey dek, ChunkIdentity identity, byte[] chunk, long plaintextLength, long offset, int length) {
    return workers.executeBlocking(
        () -> {
          if (chunk.length != ChunkFormat.ciphertextLength(plaintextLength)) {
            throw new ChunkIntegrityException(
                "chunk is " + chunk.length + " bytes, its manifest says " + ChunkFormat.ciphertextLength(plaintextLength));
          }
          try {
            return opener.openRange(dek, identity, chunk, offset, length);
          } catch (ChunkAuthenticationException | IllegalArgumentException e) {
            throw new ChunkIntegrityException("chunk failed authentication: " + e.getMessage());
          }
        },
        false);
  }

  /** The manifest MAC for a record whose streams are complete (manifest_mac not yet set). */
  public static byte[] manifestMac(DataKey dek, BlobRecord record) {
    return ManifestMac.compute(
        dek,
        record.getAccount(),
        record.getObjectId().toByteArray(),
        record.getVersionId().toByteArray(),
        ManifestCodec.canonical(record));
  }

  /** Verifies the record's manifest MAC (constant time) on the worker pool. */
  public Future<Boolean> verifyManifest(DataKey dek, BlobRecord record) {
    return workers.executeBlocking(
        () ->
            record.getObjectId().size() == ManifestMac.OBJECT_ID_LENGTH
                && !record.getVersionId().isEmpty()
                && ManifestMac.verify(
                    dek,
                    record.getAccount(),
                    record.getObjectId().toByteArray(),
                    record.getVersionId().toByteArray(),
                    ManifestCodec.canonical(record),
                    record.getManifestMac().toByteArray()),
        false);
  }

  /**
   * Other CPU-bound work of a request on the same pool (e.g. the digest of a range for
   * {@code x-ms-range-get-content-md5}), so it never runs on an event loop.
   */
  public <T> Future<T> compute(java.util.concurrent.Callable<T> work) {
    return workers.executeBlocking(work, false);
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
    }
  }
}
