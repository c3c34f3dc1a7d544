package io.cobalt.crypto.chunk;

import io.cobalt.crypto.kdf.HkdfSha256;
import io.cobalt.crypto.kdf.KdfInfo;
import io.cobalt.crypto.key.DataKey;
import java.util.Arrays;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Constants and length arithmetic of the v1 chunk format (docs/encryption-format.md).
 *
 * <pre>
 * chunk   = header(48) ‖ segment_0 ‖ … ‖ segment_{k-1}
 * header  = magic "CBLT" ‖ version 1 ‖ suite 1 ‖ log2 16 ‖ flags 0 ‖ salt(32) ‖ noncePrefix(7) ‖ reserved 0
 * segment = AES-256-GCM(chunkKey, nonce = prefix ‖ uint32 i ‖ lastFlag, aad = header, plaintext) ‖ tag(16)
 * </pre>
 *
 * Every non-final segment holds exactly {@link #SEGMENT_SIZE} plaintext bytes; the final one holds
 * 1..SEGMENT_SIZE bytes, or 0 bytes when the whole chunk is empty.
 */
public final class ChunkFormat {
  public static final int HEADER_LENGTH = 48;
  public static final int SEGMENT_SIZE = 65536;
  public static final int TAG_LENGTH = 16;
  public static final int MAX_CHUNK_PLAINTEXT = 4 * 1024 * 1024;

  /** Ciphertext bytes of one full segment on the wire. */
  static final int SEGMENT_CIPHERTEXT_SIZE = SEGMENT_SIZE + TAG_LENGTH;

  static final byte[] MAGIC = {'C', 'B', 'L', 'T'};
  static final int VERSION = 1;
  /** AES-256-GCM segments, HKDF-SHA256 chunk key. */
  static final int SUITE_AES256GCM_HKDFSHA256 = 1;
  static final int SEGMENT_SIZE_LOG2 = 16;

  static final int OFFSET_VERSION = 4;
  static final int OFFSET_SUITE = 5;
  static final int OFFSET_LOG2 = 6;
  static final int OFFSET_FLAGS = 7;
  static final int OFFSET_SALT = 8;
  static final int SALT_LENGTH = 32;
  static final int OFFSET_NONCE_PREFIX = 40;
  static final int NONCE_PREFIX_LENGTH = 7;
  static final int OFFSET_RESERVED = 47;

  static final int NONCE_LENGTH = 12;
  static final int KEY_LENGTH = 32;
  static final String KDF_LABEL = "cobalt/chunk/v1";
  static final String CIPHER = "AES/GCM/NoPadding";

  private ChunkFormat() {}

  /**
   * Length of the chunk that seals {@code plaintextLength} bytes: {@code 48 + n + 16 · max(1,
   * ⌈n / 65536⌉)}.
   *
   * @throws IllegalArgumentException unless 0 ≤ n ≤ {@link #MAX_CHUNK_PLAINTEXT}
   */
  public static long ciphertextLength(long plaintextLength) {
    if (plaintextLength < 0 || plaintextLength > MAX_CHUNK_PLAINTEXT) {
      throw new IllegalArgumentException(
          "chunk plaintext must be 0.." + MAX_CHUNK_PLAINTEXT + " bytes, was " + plaintextLength);
    }
    return HEADER_LENGTH + plaintextLength + (long) TAG_LENGTH * segmentCount(plaintextLength);
  }

  /**
   * Plaintext length of a chunk of {@code ciphertextLength} bytes; the inverse of {@link
   * #ciphertextLength(long)}.
   *
   * @throws IllegalArgumentException if no plaintext length of 0..{@link #MAX_CHUNK_PLAINTEXT}
   *     bytes seals to exactly this many bytes
   */
  public static long plaintextLength(long ciphertextLength) {
    long body = ciphertextLength - HEADER_LENGTH;
    if (ciphertextLength < HEADER_LENGTH + TAG_LENGTH
        || ciphertextLength > ciphertextLength(MAX_CHUNK_PLAINTEXT)) {
      throw impossible(ciphertextLength);
    }
    long fullSegments = body / SEGMENT_CIPHERTEXT_SIZE;
    long rest = body % SEGMENT_CIPHERTEXT_SIZE;
    long plaintext;
    if (rest == 0) {
      plaintext = fullSegments * SEGMENT_SIZE; // fullSegments ≥ 1 here: body ≥ 16
    } else if (rest > TAG_LENGTH) {
      plaintext = fullSegments * SEGMENT_SIZE + (rest - TAG_LENGTH);
    } else if (rest == TAG_LENGTH && fullSegments == 0) {
      plaintext = 0; // the empty chunk: one empty final segment
    } else {
      // A partial segment shorter than a tag, or an empty final segment after full ones.
      throw impossible(ciphertextLength);
    }
    return plaintext;
  }

  private static IllegalArgumentException impossible(long ciphertextLength) {
    return new IllegalArgumentException(
        "no v1 chunk is " + ciphertextLength + " bytes long");
  }

  /** Segments holding {@code plaintextLength} bytes: max(1, ⌈n / 65536⌉). */
  static int segmentCount(long plaintextLength) {
    return (int) Math.max(1, (plaintextLength + SEGMENT_SIZE - 1) / SEGMENT_SIZE);
  }

  /** Writes a v1 header with the given salt and nonce prefix into {@code out[0, 48)}. */
  static void writeHeader(byte[] out, byte[] salt, byte[] noncePrefix) {
    if (salt.length != SALT_LENGTH || noncePrefix.length != NONCE_PREFIX_LENGTH) {
      throw new IllegalArgumentException("salt is 32 bytes and nonce prefix 7 bytes");
    }
    System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
    out[OFFSET_VERSION] = VERSION;
    out[OFFSET_SUITE] = SUITE_AES256GCM_HKDFSHA256;
    out[OFFSET_LOG2] = SEGMENT_SIZE_LOG2;
    out[OFFSET_FLAGS] = 0;
    System.arraycopy(salt, 0, out, OFFSET_SALT, SALT_LENGTH);
    System.arraycopy(noncePrefix, 0, out, OFFSET_NONCE_PREFIX, NONCE_PREFIX_LENGTH);
    out[OFFSET_RESERVED] = 0;
  }

  /**
   * Validates the whole-chunk length, then the header's fixed fields, in that order, and returns
   * the plaintext length.
   */
  static int checkLengthAndHeader(byte[] chunk) throws ChunkAuthenticationException {
    long plaintext;
    try {
      plaintext = plaintextLength(chunk.length);
    } catch (IllegalArgumentException e) {
      throw new ChunkAuthenticationException(
          "truncated or extended chunk: " + chunk.length + " bytes is not a valid v1 chunk length");
    }
    if (!Arrays.equals(chunk, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new ChunkAuthenticationException("bad header: unknown magic");
    }
    checkField(chunk, OFFSET_VERSION, VERSION, "format version");
    checkField(chunk, OFFSET_SUITE, SUITE_AES256GCM_HKDFSHA256, "suite");
    checkField(chunk, OFFSET_LOG2, SEGMENT_SIZE_LOG2, "segment size log2");
    checkField(chunk, OFFSET_FLAGS, 0, "flags");
    checkField(chunk, OFFSET_RESERVED, 0, "reserved byte");
    return (int) plaintext;
  }

  private static void checkField(byte[] chunk, int offset, int expected, String name)
      throws ChunkAuthenticationException {
    int actual = chunk[offset] & 0xFF;
    if (actual != expected) {
      throw new ChunkAuthenticationException(
          "bad header: " + name + " is " + actual + ", expected " + expected);
    }
  }

  /**
   * Chunk key = HKDF-SHA256(ikm = DEK, salt = header salt, info = KdfInfo("cobalt/chunk/v1",
   * suite, log2, account, objectId, streamId, chunkIndex)), 32 bytes.
   */
  static SecretKeySpec deriveChunkKey(DataKey dek, ChunkIdentity id, byte[] header) {
    byte[] info = chunkKeyInfo(id);
    byte[] salt = Arrays.copyOfRange(header, OFFSET_SALT, OFFSET_SALT + SALT_LENGTH);
    byte[] ikm = dek.copyBytes();
    byte[] okm = null;
    try {
      okm = HkdfSha256.derive(ikm, salt, info, KEY_LENGTH);
      return new SecretKeySpec(okm, "AES");
    } finally {
      Arrays.fill(ikm, (byte) 0);
      if (okm != null) {
        Arrays.fill(okm, (byte) 0);
      }
    }
  }

  static byte[] chunkKeyInfo(ChunkIdentity id) {
    return new KdfInfo()
        .utf8(KDF_LABEL)
        .uint8(SUITE_AES256GCM_HKDFSHA256)
        .uint8(SEGMENT_SIZE_LOG2)
        .utf8(id.account())
        .bytes(id.objectIdRef())
        .bytes(id.streamIdRef())
        .uint32(id.chunkIndex())
        .toByteArray();
  }

  /** GCM parameters of segment {@code index}: nonce = prefix(7) ‖ uint32 BE index ‖ last flag. */
  static GCMParameterSpec segmentParameters(byte[] header, int index, boolean last) {
    byte[] nonce = new byte[NONCE_LENGTH];
    System.arraycopy(header, OFFSET_NONCE_PREFIX, nonce, 0, NONCE_PREFIX_LENGTH);
    nonce[7] = (byte) (index >>> 24);
    nonce[8] = (byte) (index >>> 16);
    nonce[9] = (byte) (index >>> 8);
    nonce[10] = (byte) index;
    nonce[11] = (byte) (last ? 1 : 0);
    return new GCMParameterSpec(TAG_LENGTH * 8, nonce);
  }
}
