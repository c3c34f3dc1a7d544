package io.cobalt.kms.keys;

import java.util.List;
import java.util.OptionalInt;

/** A KEK's versions, oldest first. No key material. */
public record KeyDescription(String keyId, List<KeyVersion> versions) {
  public KeyDescription {
    versions = List.copyOf(versions);
  }

  /** The newest ENABLED version: the one new data keys are wrapped with. */
  public OptionalInt primaryVersion() {
    for (int i = versions.size() - 1; i >= 0; i--) {
      if (versions.get(i).state() == KeyState.ENABLED) {
        return OptionalInt.of(versions.get(i).version());
      }
    }
    return OptionalInt.empty();
  }
}
