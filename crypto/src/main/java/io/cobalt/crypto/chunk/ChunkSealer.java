package io.cobalt.crypto.chunk;

import static io.cobalt.crypto.chunk.ChunkFormat.HEADER_LENGTH;
import static io.cobalt.crypto.chunk.ChunkFormat.NONCE_PREFIX_LENGTH;
import static io.cobalt.crypto.chunk.ChunkFormat.SALT_LENGTH;
import static io.cobalt.crypto.chunk.ChunkFormat.SEGMENT_CIPHERTEXT_SIZE;
import static io.cobalt.crypto.chunk.ChunkFormat.SEGMENT_SIZE;

import io.cobalt.crypto.key.DataKey;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals plaintext into v1 chunks: a fresh random salt (hence a fresh chunk key) and nonce prefix
 * per chunk. Thread-safe: it keeps no state besides the injected {@link SecureRandom}, which is
 * itself thread-safe, and uses a new {@link Cipher} per call (a GCM encryptor refuses a repeated
 * key and IV, and a cached one would be a trap for deterministic sealing).
 */
public final class ChunkSealer {
  private final SecureRandom random;

  public ChunkSealer(SecureRandom random) {
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * Encrypts {@code plaintext[offset, offset+length)} (0..{@link ChunkFormat#MAX_CHUNK_PLAINTEXT}
   * bytes) into one self-describing chunk of {@link ChunkFormat#ciphertextLength} bytes.
   */
  public byte[] seal(DataKey dek, ChunkIdentity id, byte[] plaintext, int offset, int length) {
    byte[] salt = new byte[SALT_LENGTH];
    byte[] prefix = new byte[NONCE_PREFIX_LENGTH];
    random.nextBytes(salt);
    random.nextBytes(prefix);
    return seal(dek, id, salt, prefix, plaintext, offset, length);
  }

  /**
   * Deterministic sealing with a caller-chosen salt and nonce prefix: for test vectors only. Reusing
   * a (DEK, identity, salt) triple with different plaintext reuses GCM nonces under one key.
   */
  static byte[] seal(
      DataKey dek,
      ChunkIdentity id,
      byte[] salt,
      byte[] noncePrefix,
      byte[] plaintext,
      int offset,
      int length) {
    Objects.requireNonNull(dek, "dek");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.checkFromIndexSize(offset, length, plaintext.length);
    int total = (int) ChunkFormat.ciphertextLength(length); // checks 0..MAX_CHUNK_PLAINTEXT

    byte[] out = new byte[total];
    ChunkFormat.writeHeader(out, salt, noncePrefix);
    SecretKeySpec key = ChunkFormat.deriveChunkKey(dek, id, out);
    int segments = ChunkFormat.segmentCount(length);
    try {
      Cipher cipher = Cipher.getInstance(ChunkFormat.CIPHER);
      for (int i = 0; i < segments; i++) {
        boolean last = i == segments - 1;
        int segmentLength = last ? length - i * SEGMENT_SIZE : SEGMENT_SIZE;
        cipher.init(Cipher.ENCRYPT_MODE, key, ChunkFormat.segmentParameters(out, i, last));
        cipher.updateAAD(out, 0, HEADER_LENGTH);
        int written =
            cipher.doFinal(
                plaintext,
                offset + i * SEGMENT_SIZE,
                segmentLength,
                out,
                HEADER_LENGTH + i * SEGMENT_CIPHERTEXT_SIZE);
        if (written != segmentLength + ChunkFormat.TAG_LENGTH) {
          throw new IllegalStateException("AES-GCM wrote " + written + " bytes");
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is unavailable or rejected its input", e);
    }
    return out;
  }
}
