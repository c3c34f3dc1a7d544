package io.cobalt.kms.lifecycle;

import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;

/**
 * The BYOK wrapping format, CKM_RSA_AES_KEY_WRAP as Vault Transit and Key Vault accept it:
 * <pre>
 *   envelope = RSA-OAEP(import public key, K_e)      — modulus length (384 bytes for RSA-3072);
 *                                                      OAEP hash SHA-256, MGF1 with SHA-256, empty label
 *            ‖ AES-KWP(K_e, target key)             — RFC 5649; 40 bytes for a 32-byte target
 *   K_e      = a fresh random AES-256 key (32 bytes), used once
 * </pre>
 * The JDK's {@code AES/KWP/NoPadding} (SunJCE, JDK 17 and later; also named {@code AESWrapPad}) is
 * used in ENCRYPT/DECRYPT mode; it is deterministic and its output does not differ between JDKs.
 */
public final class ByokEnvelope {
  public static final int TARGET_KEY_BYTES = 32;
  public static final int EPHEMERAL_KEY_BYTES = 32;
  /** AES-KWP of a 32-byte key: 8-byte integrity block + 32 bytes (already a multiple of 8). */
  public static final int WRAPPED_TARGET_BYTES = TARGET_KEY_BYTES + 8;
  static final String KWP = "AES/KWP/NoPadding";
  private static final OAEPParameterSpec OAEP_SHA256 =
      new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

  private ByokEnvelope() {}

  /** What an external tool (or {@code cobalt admin keys import}) does: wraps {@code targetKey} for the agent. */
  public static byte[] wrap(RSAPublicKey importKey, byte[] targetKey, SecureRandom random) throws GeneralSecurityException {
    byte[] ephemeral = new byte[EPHEMERAL_KEY_BYTES];
    random.nextBytes(ephemeral);
    try {
      Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
      rsa.init(Cipher.ENCRYPT_MODE, importKey, OAEP_SHA256, random);
      byte[] head = rsa.doFinal(ephemeral);
      Cipher kwp = Cipher.getInstance(KWP);
      kwp.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(ephemeral, "AES"));
      byte[] tail = kwp.doFinal(targetKey);
      byte[] out = Arrays.copyOf(head, head.length + tail.length);
      System.arraycopy(tail, 0, out, head.length, tail.length);
      return out;
    } finally {
      Arrays.fill(ephemeral, (byte) 0);
    }
  }

  /**
   * The 32-byte target key inside {@code envelope}; {@code BAD_IMPORT} for a wrong length, an RSA
   * part that does not decrypt to an AES-256 key, or a KWP part that fails its integrity check.
   * The caller wipes the result.
   */
  public static byte[] unwrap(RSAPrivateKey importKey, byte[] envelope) throws KeyOperationException {
    int rsaBytes = (importKey.getModulus().bitLength() + 7) / 8;
    if (envelope == null || envelope.length != rsaBytes + WRAPPED_TARGET_BYTES) {
      throw new KeyOperationException(Kind.BAD_IMPORT, "wrapped key material must be " + rsaBytes + " bytes of RSA-OAEP "
          + "and " + WRAPPED_TARGET_BYTES + " bytes of AES-KWP (a 256-bit key), not " + (envelope == null ? 0 : envelope.length));
    }
    byte[] ephemeral;
    try {
      Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
      rsa.init(Cipher.DECRYPT_MODE, importKey, OAEP_SHA256);
      ephemeral = rsa.doFinal(envelope, 0, rsaBytes);
    } catch (GeneralSecurityException e) {
      throw new KeyOperationException(Kind.BAD_IMPORT,
          "the RSA-OAEP-SHA256 part does not decrypt under this agent's import key");
    }
    try {
      if (ephemeral.length != EPHEMERAL_KEY_BYTES) {
        throw new KeyOperationException(Kind.BAD_IMPORT, "the ephemeral key must be AES-256 (32 bytes)");
      }
      Cipher kwp = Cipher.getInstance(KWP);
      kwp.init(Cipher.DECRYPT_MODE, new SecretKeySpec(ephemeral, "AES"));
      byte[] target = kwp.doFinal(envelope, rsaBytes, WRAPPED_TARGET_BYTES);
      if (target.length != TARGET_KEY_BYTES) {
        Arrays.fill(target, (byte) 0);
        throw new KeyOperationException(Kind.BAD_IMPORT, "the imported key must be 256 bits");
      }
      return target;
    } catch (GeneralSecurityException e) {
      throw new KeyOperationException(Kind.BAD_IMPORT, "the AES-KWP part fails its integrity check");
    } finally {
      Arrays.fill(ephemeral, (byte) 0);
    }
  }
}
