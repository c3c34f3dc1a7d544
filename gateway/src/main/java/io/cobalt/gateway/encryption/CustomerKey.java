package io.cobalt.gateway.encryption;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

/**
 * A customer-provided key (Azure's {@code x-ms-encryption-key}) for the length of one request: the
 * 32 key bytes and their SHA-256. Never stored, logged or cached: {@link #toString} names only a
 * prefix of the digest, and {@link #close} wipes the key bytes.
 */
public final class CustomerKey implements AutoCloseable {
  public static final int KEY_BYTES = 32;
  public static final String ALGORITHM = "AES256";

  /** Which header of the three is wrong; the message never contains a header's value. */
  public static final class InvalidHeaderException extends IllegalArgumentException {
    private final String header;

    InvalidHeaderException(String header, String message) {
      super(message);
      this.header = header;
    }

    public String header() {
      return header;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  private final byte[] key;
  private final byte[] sha256;

  private CustomerKey(byte[] key, byte[] sha256) {
    this.key = key;
    this.sha256 = sha256;
  }

  /**
   * The key of a request's three headers, or null if none of them is present. {@code algorithm}
   * may be null only when {@code algorithmRequired} is false (Azure: required on writes, optional
   * on reads). Refuses (naming the header) a key that is not base64 of 32 bytes, a digest that is
   * not the SHA-256 of the key (compared in constant time), a missing header, or an algorithm other
   * than AES256.
   */
  public static CustomerKey parse(String keyB64, String sha256B64, String algorithm, boolean algorithmRequired) {
    if (keyB64 == null && sha256B64 == null && algorithm == null) {
      return null;
    }
    if (keyB64 == null) {
      throw new InvalidHeaderException("x-ms-encryption-key", "missing");
    }
    if (sha256B64 == null) {
      throw new InvalidHeaderException("x-ms-encryption-key-sha256", "missing");
    }
    if (algorithm == null ? algorithmRequired : !ALGORITHM.equals(algorithm.trim())) {
      throw new InvalidHeaderException("x-ms-encryption-algorithm", algorithm == null ? "missing" : "not AES256");
    }
    byte[] key;
    byte[] claimed;
    try {
      key = Base64.getDecoder().decode(keyB64.trim());
    } catch (IllegalArgumentException e) {
      throw new InvalidHeaderException("x-ms-encryption-key", "not base64");
    }
    if (key.length != KEY_BYTES) {
      Arrays.fill(key, (byte) 0);
      throw new InvalidHeaderException("x-ms-encryption-key", "not 32 bytes");
    }
    try {
      claimed = Base64.getDecoder().decode(sha256B64.trim());
    } catch (IllegalArgumentException e) {
      Arrays.fill(key, (byte) 0);
      throw new InvalidHeaderException("x-ms-encryption-key-sha256", "not base64");
    }
    byte[] actual = BlobCipher.sha256(key);
    if (!MessageDigest.isEqual(actual, claimed)) {
      Arrays.fill(key, (byte) 0);
      throw new InvalidHeaderException("x-ms-encryption-key-sha256", "not the SHA-256 of the key");
    }
    return new CustomerKey(key, actual);
  }

  /** A key from raw bytes (tests, and the digest of a stored record). */
  public static CustomerKey of(byte[] keyBytes) {
    if (keyBytes.length != KEY_BYTES) {
      throw new IllegalArgumentException("a customer key is 32 bytes");
    }
    byte[] key = keyBytes.clone();
    return new CustomerKey(key, BlobCipher.sha256(key));
  }

  /** SHA-256 of the key (a copy). */
  public byte[] sha256() {
    return sha256.clone();
  }

  /** The digest as Azure returns it in {@code x-ms-encryption-key-sha256}. */
  public String sha256Base64() {
    return Base64.getEncoder().encodeToString(sha256);
  }

  /** Whether {@code storedSha256} is this key's digest (constant time). */
  public boolean matches(byte[] storedSha256) {
    return MessageDigest.isEqual(sha256, storedSha256);
  }

  byte[] keyBytes() {
    return key;
  }

  @Override
  public void close() {
    Arrays.fill(key, (byte) 0);
  }

  @Override
  public String toString() {
    return "CustomerKey[sha256=" + sha256Base64().substring(0, 8) + "...]";
  }
}
