package io.cobalt.gateway.encryption;

import io.cobalt.crypto.kdf.HkdfSha256;
import io.cobalt.crypto.key.DataKey;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The sealing shared by metadata records (table entities, queue messages; docs/encryption-format.md
 * §8a, §8b): a per-record key derived with HKDF-SHA256 from the container's DEK with the record's
 * identity as info, AES-256-GCM with {@code 0x01 | info} as associated data.
 *
 * <pre>
 * sealed = 0x01 (version) | nonce (12 random bytes) | AES-256-GCM(key, nonce, aad, plaintext) | tag (16)
 * key    = HKDF-SHA256(ikm = DEK, salt = empty, info, 32)
 * aad    = 0x01 | info
 * </pre>
 */
final class IdentitySeal {
  static final byte VERSION = 1;
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;
  /** Bytes a sealed value adds to its plaintext. */
  static final int OVERHEAD = 1 + NONCE_BYTES + TAG_BITS / 8;

  /** A sealed value that does not authenticate under this key and identity. */
  static final class Failure extends Exception {
    Failure(String message) {
      super(message, null, false, false);
    }
  }

  private IdentitySeal() {}

  static byte[] seal(SecureRandom random, DataKey dek, byte[] info, byte[] plaintext) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    byte[] key = derive(dek, info);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad(info));
      byte[] out = new byte[1 + NONCE_BYTES + c.getOutputSize(plaintext.length)];
      out[0] = VERSION;
      System.arraycopy(nonce, 0, out, 1, NONCE_BYTES);
      c.doFinal(plaintext, 0, plaintext.length, out, 1 + NONCE_BYTES);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is mandatory in every JDK", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  static byte[] open(DataKey dek, byte[] info, byte[] sealed) throws Failure {
    if (sealed.length < OVERHEAD || sealed[0] != VERSION) {
      throw new Failure("malformed");
    }
    byte[] key = derive(dek, info);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BITS, sealed, 1, NONCE_BYTES));
      c.updateAAD(aad(info));
      return c.doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new Failure("fails authentication");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is mandatory in every JDK", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private static byte[] derive(DataKey dek, byte[] info) {
    byte[] ikm = dek.copyBytes();
    try {
      return HkdfSha256.derive(ikm, null, info, 32);
    } finally {
      Arrays.fill(ikm, (byte) 0);
    }
  }

  private static byte[] aad(byte[] info) {
    byte[] aad = new byte[1 + info.length];
    aad[0] = VERSION;
    System.arraycopy(info, 0, aad, 1, info.length);
    return aad;
  }
}
