package io.cobalt.kms.keys;

/**
 * An expected failure of a key operation. It carries a {@link Kind} (stable, mapped to a wire status
 * by each API adapter) and a message fit for the caller; never key material. No stack trace.
 */
public final class KeyOperationException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What went wrong; {@link #retriable()} says whether the same request may succeed later. */
  public enum Kind {
    INVALID_ACCOUNT(false),
    INVALID_KEY_ID(false),
    MALFORMED_WRAPPED_KEY(false),
    /** The wrapped key failed authentication: flipped bits, or wrapped under another key or context. */
    NOT_AUTHENTIC(false),
    /** The wrapped key names a key that is not the account's. */
    WRONG_KEY(false),
    UNKNOWN_KEY(false),
    UNKNOWN_KEY_VERSION(false),
    KEY_DISABLED(false),
    /** The version's key material was destroyed; nothing wrapped under it can be unwrapped again. */
    KEY_DESTROYED(false),
    /** The state change is not allowed from the version's current state (e.g. destroy while enabled). */
    INVALID_STATE_CHANGE(false),
    /** The key backend (HSM, KMIP server) did not answer or failed; the same request may work later. */
    BACKEND_UNAVAILABLE(true),
    PERMISSION_DENIED(false),
    LIMIT_EXCEEDED(false),
    /** A request field is out of range or malformed (other than key ids and wrapped keys). */
    INVALID_ARGUMENT(false),
    /** The key id is taken (by a live, deleted or purged key). */
    KEY_EXISTS(false),
    /** The key is soft-deleted (or purged): nothing but describe, recover and purge works on it. */
    KEY_DELETED(false),
    /** The version is below the key's minimum decryption version. */
    VERSION_RETIRED(false),
    /** Purge before the retention period ends, on a key with purge protection. */
    PURGE_PROTECTED(false),
    /** BYOK material that does not unwrap under the import key, or is not a 256-bit key. */
    BAD_IMPORT(false),
    /** The backend (or this agent) does not do this operation. */
    UNSUPPORTED(false),
    /** The keystore could not be written; nothing changed. */
    KEYSTORE_UNAVAILABLE(true),
    /** The audit record could not be written, so the operation was not performed or not answered. */
    AUDIT_UNAVAILABLE(true),
    /** Disabling or retiring a version that may still wrap live DEKs (census), without force. */
    VERSION_IN_USE(false),
    INTERNAL(false);

    private final boolean retriable;

    Kind(boolean retriable) {
      this.retriable = retriable;
    }

    public boolean retriable() {
      return retriable;
    }
  }

  private final Kind kind;

  public KeyOperationException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public boolean retriable() {
    return kind.retriable();
  }
}
