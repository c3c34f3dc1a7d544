package io.cobalt.kms.backend.local;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** AES-256-GCM with a random 96-bit nonce: {@code nonce(12) ‖ ciphertext ‖ tag(16)}. */
final class Aes256Gcm {
  static final int NONCE_BYTES = 12;
  static final int TAG_BYTES = 16;

  private Aes256Gcm() {}

  static byte[] encrypt(byte[] key, SecureRandom random, byte[] plaintext, byte[] aad) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
      c.updateAAD(aad);
      byte[] out = new byte[NONCE_BYTES + plaintext.length + TAG_BYTES];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      int n = c.doFinal(plaintext, 0, plaintext.length, out, NONCE_BYTES);
      if (n != plaintext.length + TAG_BYTES) {
        throw new IllegalStateException("unexpected AES-GCM output length");
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is mandatory in every JDK", e);
    }
  }

  /** The plaintext, or {@link AEADBadTagException} if {@code sealed} is too short or does not authenticate. */
  static byte[] decrypt(byte[] key, byte[] sealed, byte[] aad) throws AEADBadTagException {
    if (sealed.length < NONCE_BYTES + TAG_BYTES) {
      throw new AEADBadTagException("ciphertext too short");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BYTES * 8, sealed, 0, NONCE_BYTES));
      c.updateAAD(aad);
      return c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is mandatory in every JDK", e);
    }
  }
}
