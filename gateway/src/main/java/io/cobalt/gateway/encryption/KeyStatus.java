package io.cobalt.gateway.encryption;

import java.util.Map;
import java.util.Objects;

/**
 * A key's state as the kms-agent describes it (GetKey): enough to tell whether data wrapped under a
 * version may be used, without unwrapping anything. For the metadata operations that must be refused
 * under a revoked key although they need no DEK (Get Blob Properties, Get Blob Metadata, List Blobs
 * with metadata, Set Blob Metadata/Properties).
 *
 * @param versionStates each version's state (ENABLED, DISABLED, DESTROYED)
 * @param minDecryptionVersion versions below it are retired
 * @param deleted soft-deleted or purged
 * @param sourceKeyId for an account's or scope's key whose key source is a customer key (ADR 0031):
 *     that key, which the owner's new DEKs use; "" otherwise
 * @param sourcePinnedVersion with {@code sourceKeyId}: the pinned version, 0 = latest
 */
public record KeyStatus(String keyId, Map<Integer, String> versionStates, int minDecryptionVersion, boolean deleted,
    String sourceKeyId, int sourcePinnedVersion) {
  public KeyStatus {
    Objects.requireNonNull(keyId, "keyId");
    versionStates = Map.copyOf(versionStates);
    sourceKeyId = sourceKeyId == null ? "" : sourceKeyId;
  }

  /** A key without a customer key source. */
  public KeyStatus(String keyId, Map<Integer, String> versionStates, int minDecryptionVersion, boolean deleted) {
    this(keyId, versionStates, minDecryptionVersion, deleted, "", 0);
  }

  /** True if this is an owner's key whose DEKs now go under a customer key ({@link #sourceKeyId}). */
  public boolean followsSource() {
    return !sourceKeyId.isEmpty();
  }

  /**
   * For the source key's status {@code source}: returns if the owner's source may be used now (its
   * pinned version, or for "latest" some version); otherwise throws as {@link #requireUsable}.
   */
  public void requireSourceUsable(KeyStatus source) {
    if (sourcePinnedVersion == 0) {
      source.requireSomeVersionUsable();
    } else {
      source.requireUsable(sourcePinnedVersion);
    }
  }

  /**
   * Returns if some version of the key may be used now (the key is not deleted and has an ENABLED
   * version at or above the minimum decryption version); otherwise throws as {@link #requireUsable}.
   * For checks that do not know which version protects the data (a listing: the nodes do not return
   * wrapped keys in listings).
   */
  public void requireSomeVersionUsable() {
    if (deleted) {
      requireUsable(minDecryptionVersion);
      return;
    }
    for (Map.Entry<Integer, String> v : versionStates.entrySet()) {
      if (v.getKey() >= minDecryptionVersion && v.getValue().equals("ENABLED")) {
        return;
      }
    }
    throw new KeyRefusedException(KeyRefusedException.Reason.KEY_UNAVAILABLE, "KEY_DISABLED",
        "key " + keyId + " has no usable version");
  }

  /**
   * Returns if {@code version} may be used now; otherwise throws the refusal the agent would give an
   * unwrap ({@link KeyRefusedException.Reason#KEY_UNAVAILABLE}, with the agent's kind).
   */
  public void requireUsable(int version) {
    String kind = null;
    if (deleted) {
      kind = "KEY_DELETED";
    } else if (!versionStates.containsKey(version)) {
      kind = "UNKNOWN_KEY_VERSION";
    } else if (version < minDecryptionVersion) {
      kind = "VERSION_RETIRED";
    } else if (versionStates.get(version).equals("DESTROYED")) {
      kind = "KEY_DESTROYED";
    } else if (!versionStates.get(version).equals("ENABLED")) {
      kind = "KEY_DISABLED";
    }
    if (kind != null) {
      throw new KeyRefusedException(KeyRefusedException.Reason.KEY_UNAVAILABLE, kind,
          "key " + keyId + " version " + version + ": " + kind);
    }
  }
}
