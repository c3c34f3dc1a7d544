package io.cobalt.kms.keys;

import java.util.Optional;

/**
 * Where KEKs live and are used: the local sealed keystore, a PKCS#11 token, a KMIP server. The
 * backend does the encryption itself: callers hand it the plaintext (a DEK) and the associated data
 * and get {@code nonce(12) ‖ ciphertext ‖ tag(16)} (AES-256-GCM) back, whatever the backend.
 *
 * <p>Versions are numbered 1, 2, ... per key. Every implementation refuses the same way, with a
 * {@link KeyOperationException.Kind} (the contract test suite {@code KeyBackendContract} checks it):
 * <ul>
 *   <li>{@code UNKNOWN_KEY} for a key that was never created, {@code UNKNOWN_KEY_VERSION} for a version
 *       it does not have;
 *   <li>{@code KEY_DISABLED} to encrypt or decrypt under a DISABLED version (it can be enabled again);
 *   <li>{@code KEY_DESTROYED} for anything but describe or destroy on a DESTROYED version (final);
 *   <li>{@code INVALID_STATE_CHANGE} to destroy a version that is still ENABLED (disable it first);
 *   <li>{@code NOT_AUTHENTIC} to decrypt anything that was not produced by encrypt under that version
 *       with the same associated data: flipped bits, other context, truncation;
 *   <li>{@code BACKEND_UNAVAILABLE} (retriable) when the HSM or KMS did not answer.
 * </ul>
 *
 * <p>Implementations are thread-safe; changes (create, rotate, state) are durable when the call
 * returns. Calls block (file, HSM or network I/O): run them on a worker pool, never an event loop.
 */
public interface KeyBackend {
  /** The versions and states of {@code keyId}, or empty if there is no such key. */
  Optional<KeyDescription> describe(String keyId);

  /** The ids of all keys this backend holds (for the agent's catalog and listings), in no particular order. */
  java.util.Set<String> keyIds();

  /** Creates version 1 of {@code keyId} unless the key exists; true if it was created now. */
  boolean createIfAbsent(String keyId) throws KeyOperationException;

  /** Adds a new ENABLED version and returns it. */
  KeyVersion rotate(String keyId) throws KeyOperationException;

  /**
   * Sets a version ENABLED or DISABLED (idempotent) and returns it. A DESTROYED version stays
   * destroyed ({@code KEY_DESTROYED}); {@code DESTROYED} is not a state to set here (see {@link #destroy}).
   */
  KeyVersion setState(String keyId, int version, KeyState state) throws KeyOperationException;

  /**
   * Destroys the key material of a DISABLED version; its record stays, as DESTROYED. Destroying an
   * ENABLED version is refused ({@code INVALID_STATE_CHANGE}); destroying a destroyed one does nothing.
   * To destroy a key, destroy each of its versions.
   */
  KeyVersion destroy(String keyId, int version) throws KeyOperationException;

  /** Encrypts under version {@code version} of {@code keyId}, which must exist and be ENABLED. */
  byte[] encrypt(String keyId, int version, byte[] plaintext, byte[] associatedData) throws KeyOperationException;

  /** Decrypts and authenticates; {@link KeyOperationException.Kind#NOT_AUTHENTIC} if the tag fails. */
  byte[] decrypt(String keyId, int version, byte[] ciphertext, byte[] associatedData) throws KeyOperationException;

  /**
   * Creates {@code keyId} with version 1 holding {@code keyMaterial} (32 bytes, AES-256), supplied
   * by the customer (BYOK); {@code KEY_EXISTS} if the key exists. The caller wipes its copy.
   * Backends that cannot take key material in refuse with {@code UNSUPPORTED} (the default).
   */
  default KeyVersion importKey(String keyId, byte[] keyMaterial) throws KeyOperationException {
    throw new KeyOperationException(KeyOperationException.Kind.UNSUPPORTED,
        "this key backend does not import key material");
  }
}
