package io.cobalt.kms.keys;

import java.util.Optional;

/**
 * Where KEKs live and are used (the local sealed keystore today; PKCS#11 and KMIP later). KEK bytes
 * never leave a backend: callers hand it plaintext and associated data and get AES-256-GCM output
 * {@code nonce(12) ‖ ciphertext ‖ tag(16)} back.
 *
 * <p>Implementations are thread-safe; changes (create, rotate) are durable when the call returns.
 */
public interface KeyBackend {
  Optional<KeyDescription> describe(String keyId);

  /** Creates version 1 of {@code keyId} unless the key exists; true if it was created now. */
  boolean createIfAbsent(String keyId) throws KeyOperationException;

  /** Adds a new ENABLED version and returns it. */
  KeyVersion rotate(String keyId) throws KeyOperationException;

  /** Encrypts under version {@code version} of {@code keyId}, which must exist and be ENABLED. */
  byte[] encrypt(String keyId, int version, byte[] plaintext, byte[] associatedData) throws KeyOperationException;

  /** Decrypts and authenticates; {@link KeyOperationException.Kind#NOT_AUTHENTIC} if the tag fails. */
  byte[] decrypt(String keyId, int version, byte[] ciphertext, byte[] associatedData) throws KeyOperationException;
}
