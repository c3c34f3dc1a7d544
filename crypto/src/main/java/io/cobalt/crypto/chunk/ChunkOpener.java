package io.cobalt.crypto.chunk;

import static io.cobalt.crypto.chunk.ChunkFormat.HEADER_LENGTH;
import static io.cobalt.crypto.chunk.ChunkFormat.SEGMENT_CIPHERTEXT_SIZE;
import static io.cobalt.crypto.chunk.ChunkFormat.SEGMENT_SIZE;
import static io.cobalt.crypto.chunk.ChunkFormat.TAG_LENGTH;

import io.cobalt.crypto.key.DataKey;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opens v1 chunks. Checks, in order: the total length (which fixes the number of segments and
 * which one is last), the header's fixed fields, then each segment's GCM tag under the chunk key
 * derived from the DEK, the header salt and the {@link ChunkIdentity}. Plaintext is written only
 * into a buffer this class owns and is returned only after every segment it covers verified; on
 * failure that buffer is wiped. Stateless and thread-safe.
 */
public final class ChunkOpener {

  public ChunkOpener() {}

  /** Whole chunk → plaintext. */
  public byte[] open(DataKey dek, ChunkIdentity id, byte[] chunk)
      throws ChunkAuthenticationException {
    Objects.requireNonNull(dek, "dek");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(chunk, "chunk");
    int plaintextLength = ChunkFormat.checkLengthAndHeader(chunk);
    int segments = ChunkFormat.segmentCount(plaintextLength);
    byte[] out = new byte[plaintextLength];
    SecretKeySpec key = ChunkFormat.deriveChunkKey(dek, id, chunk);
    Cipher cipher = newCipher();
    try {
      for (int i = 0; i < segments; i++) {
        decryptSegment(cipher, key, chunk, i, segments, plaintextLength, out, i * SEGMENT_SIZE);
      }
    } catch (ChunkAuthenticationException | RuntimeException e) {
      Arrays.fill(out, (byte) 0);
      throw e;
    }
    return out;
  }

  /**
   * Plaintext {@code [offset, offset+length)} of the chunk. Validates the chunk length and header,
   * then decrypts and authenticates only the segments that range touches (the chunk's last segment
   * with its last flag, so a truncated chunk still fails when the range reaches its end). A
   * zero-length range decrypts nothing and returns an empty array.
   *
   * @throws IllegalArgumentException if the range is negative or reaches past the plaintext
   */
  public byte[] openRange(DataKey dek, ChunkIdentity id, byte[] chunk, long offset, int length)
      throws ChunkAuthenticationException {
    Objects.requireNonNull(dek, "dek");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(chunk, "chunk");
    int plaintextLength = ChunkFormat.checkLengthAndHeader(chunk);
    if (offset < 0 || length < 0 || offset > plaintextLength - length) {
      throw new IllegalArgumentException(
          "range (offset " + offset + ", length " + length + ") is outside the chunk's "
              + plaintextLength + " plaintext bytes");
    }
    byte[] out = new byte[length];
    if (length == 0) {
      return out;
    }
    int start = (int) offset;
    int end = start + length; // exclusive
    int segments = ChunkFormat.segmentCount(plaintextLength);
    int first = start / SEGMENT_SIZE;
    int lastTouched = (end - 1) / SEGMENT_SIZE;
    SecretKeySpec key = ChunkFormat.deriveChunkKey(dek, id, chunk);
    Cipher cipher = newCipher();
    byte[] scratch = null;
    try {
      for (int i = first; i <= lastTouched; i++) {
        int segStart = i * SEGMENT_SIZE;
        int segEnd = Math.min(segStart + SEGMENT_SIZE, plaintextLength);
        int from = Math.max(start, segStart);
        int to = Math.min(end, segEnd);
        if (from == segStart && to == segEnd) {
          // The range covers the whole segment: decrypt straight into the result.
          decryptSegment(cipher, key, chunk, i, segments, plaintextLength, out, segStart - start);
        } else {
          if (scratch == null) {
            scratch = new byte[SEGMENT_SIZE];
          }
          decryptSegment(cipher, key, chunk, i, segments, plaintextLength, scratch, 0);
          System.arraycopy(scratch, from - segStart, out, from - start, to - from);
        }
      }
    } catch (ChunkAuthenticationException | RuntimeException e) {
      Arrays.fill(out, (byte) 0);
      throw e;
    } finally {
      if (scratch != null) {
        Arrays.fill(scratch, (byte) 0);
      }
    }
    return out;
  }

  private static void decryptSegment(
      Cipher cipher,
      SecretKeySpec key,
      byte[] chunk,
      int index,
      int segments,
      int plaintextLength,
      byte[] out,
      int outOffset)
      throws ChunkAuthenticationException {
    boolean last = index == segments - 1;
    int plainLength = last ? plaintextLength - index * SEGMENT_SIZE : SEGMENT_SIZE;
    int inOffset = HEADER_LENGTH + index * SEGMENT_CIPHERTEXT_SIZE;
    try {
      cipher.init(Cipher.DECRYPT_MODE, key, ChunkFormat.segmentParameters(chunk, index, last));
      cipher.updateAAD(chunk, 0, HEADER_LENGTH);
      int written = cipher.doFinal(chunk, inOffset, plainLength + TAG_LENGTH, out, outOffset);
      if (written != plainLength) {
        throw new IllegalStateException("AES-GCM returned " + written + " bytes");
      }
    } catch (AEADBadTagException e) {
      throw new ChunkAuthenticationException(
          "segment " + index + " of " + segments + (last ? " (final)" : "")
              + " failed authentication");
    } catch (ShortBufferException e) {
      throw new IllegalStateException("output buffer too small", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM rejected its parameters", e);
    }
  }

  private static Cipher newCipher() {
    try {
      return Cipher.getInstance(ChunkFormat.CIPHER);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM/NoPadding is mandatory in every JDK", e);
    }
  }
}
