package io.cobalt.crypto.kdf;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF with HMAC-SHA256 (RFC 5869), built on {@link javax.crypto.Mac}. Stateless and thread-safe.
 *
 * <p>An absent or empty salt means {@value #HASH_LENGTH} zero bytes, as RFC 5869 §2.2 specifies
 * (HMAC pads its key with zeros, so the two are the same PRF).
 */
public final class HkdfSha256 {
  public static final int HASH_LENGTH = 32;
  /** RFC 5869: L ≤ 255 · HashLen. */
  public static final int MAX_OUTPUT_LENGTH = 255 * HASH_LENGTH;

  private static final String HMAC = "HmacSHA256";

  private HkdfSha256() {}

  /** HKDF-Extract(salt, IKM) → PRK (32 bytes). {@code salt} may be null or empty. */
  public static byte[] extract(byte[] salt, byte[] ikm) {
    Objects.requireNonNull(ikm, "ikm");
    byte[] effectiveSalt = (salt == null || salt.length == 0) ? new byte[HASH_LENGTH] : salt;
    Mac mac = newMac(effectiveSalt);
    return mac.doFinal(ikm);
  }

  /** HKDF-Expand(PRK, info, L) → OKM of {@code length} bytes (1 … 8160). */
  public static byte[] expand(byte[] prk, byte[] info, int length) {
    Objects.requireNonNull(prk, "prk");
    Objects.requireNonNull(info, "info");
    if (prk.length < HASH_LENGTH) {
      throw new IllegalArgumentException("PRK must be at least " + HASH_LENGTH + " bytes");
    }
    if (length < 1 || length > MAX_OUTPUT_LENGTH) {
      throw new IllegalArgumentException("HKDF output length must be 1.." + MAX_OUTPUT_LENGTH);
    }
    Mac mac = newMac(prk);
    byte[] okm = new byte[length];
    byte[] t = new byte[0];
    int written = 0;
    for (int counter = 1; written < length; counter++) {
      mac.update(t);
      mac.update(info);
      mac.update((byte) counter);
      byte[] next = mac.doFinal();
      Arrays.fill(t, (byte) 0);
      t = next;
      int n = Math.min(HASH_LENGTH, length - written);
      System.arraycopy(t, 0, okm, written, n);
      written += n;
    }
    Arrays.fill(t, (byte) 0);
    return okm;
  }

  /** Extract then expand; the intermediate PRK is wiped. */
  public static byte[] derive(byte[] ikm, byte[] salt, byte[] info, int length) {
    byte[] prk = extract(salt, ikm);
    try {
      return expand(prk, info, length);
    } finally {
      Arrays.fill(prk, (byte) 0);
    }
  }

  private static Mac newMac(byte[] key) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      return mac;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("HmacSHA256 is mandatory in every JDK", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC key rejected", e);
    }
  }
}
