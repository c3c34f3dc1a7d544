package io.cobalt.kms.lifecycle;

import io.cobalt.kms.keys.KeyDescription;
import io.cobalt.kms.keys.KeyState;
import io.cobalt.kms.keys.KeyVersion;
import java.util.OptionalInt;

/**
 * A key as the admin API shows it: versions and states from the backend, lifecycle from the catalog.
 *
 * @param nextRotationEpochMillis when automatic rotation will next add a version; 0 = none scheduled
 */
public record KeyDetails(KeyDescription description, KeyCatalog.Entry entry, long nextRotationEpochMillis) {

  /** The version new data keys use: the newest ENABLED one at or above the minimum decryption version. */
  public OptionalInt primaryVersion() {
    if (entry.deleted()) {
      return OptionalInt.empty();
    }
    OptionalInt p = description.primaryVersion();
    return p.isPresent() && p.getAsInt() >= entry.minDecryptionVersion() ? p : OptionalInt.empty();
  }

  public int latestVersion() {
    return description.versions().size();
  }

  /** The state of a version as callers experience it: ENABLED versions below the minimum show as retired. */
  public String effectiveState(KeyVersion v) {
    if (v.state() == KeyState.ENABLED && v.version() < entry.minDecryptionVersion()) {
      return "RETIRED";
    }
    return v.state().name();
  }
}
