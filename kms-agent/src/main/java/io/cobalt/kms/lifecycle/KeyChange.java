package io.cobalt.kms.lifecycle;

import java.util.Objects;

/**
 * A change to a key's state that makes cached uses of it stale (a version disabled, the key deleted,
 * ...), as {@link KeyChangeFeed} announces it. No key material.
 *
 * @param sequence per agent process, increasing
 * @param version the version concerned, 0 for the key as a whole
 */
public record KeyChange(long sequence, Kind kind, String keyId, int version, long epochMillis) {
  /** What changed. */
  public enum Kind {
    DISABLED,
    ENABLED,
    MIN_VERSION_CHANGED,
    DELETED,
    RECOVERED,
    PURGED,
    ROTATED,
    DESTROYED,
    /** Any other change of the key's state. */
    CHANGED
  }

  public KeyChange {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(keyId, "keyId");
  }
}
