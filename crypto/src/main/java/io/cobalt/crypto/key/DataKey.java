package io.cobalt.crypto.key;

import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.Destroyable;

/**
 * A 256-bit data-encryption key (DEK) in plaintext. It lives only in memory, for the life of one
 * request: it has no {@code toString} that shows its bytes, and {@link #close()} wipes it.
 */
public final class DataKey implements AutoCloseable, Destroyable {
  public static final int LENGTH_BYTES = 32;

  private final byte[] bytes;
  private volatile boolean destroyed;

  private DataKey(byte[] bytes) {
    this.bytes = bytes;
  }

  /** A copy of {@code keyBytes}, which must be exactly 32 bytes; the caller may wipe its array. */
  public static DataKey of(byte[] keyBytes) {
    if (keyBytes == null || keyBytes.length != LENGTH_BYTES) {
      throw new IllegalArgumentException("a data key is " + LENGTH_BYTES + " bytes");
    }
    return new DataKey(keyBytes.clone());
  }

  public static DataKey generate(SecureRandom random) {
    byte[] b = new byte[LENGTH_BYTES];
    random.nextBytes(b);
    return new DataKey(b);
  }

  /** A copy of the key bytes, for the few places that must hand them on (HKDF, the wire to a gateway). */
  public byte[] copyBytes() {
    checkLive();
    return bytes.clone();
  }

  /** The key as a JCA key for HMAC/HKDF use; {@code algorithm} e.g. "HmacSHA256" or "AES". */
  public SecretKey asSecretKey(String algorithm) {
    checkLive();
    return new SecretKeySpec(bytes, algorithm);
  }

  private void checkLive() {
    if (destroyed) {
      throw new IllegalStateException("data key was destroyed");
    }
  }

  @Override
  public void destroy() {
    Arrays.fill(bytes, (byte) 0);
    destroyed = true;
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  @Override
  public void close() {
    destroy();
  }

  @Override
  public String toString() {
    return "DataKey[redacted]";
  }
}
