package io.cobalt.gateway.encryption;

import io.cobalt.crypto.key.DataKey;
import io.cobalt.proto.kms.v1.WrappedKey;
import java.util.Objects;

/** A fresh DEK (plaintext, owned by the caller, to be closed) and the same key wrapped for storage. */
public record GeneratedKey(DataKey dek, WrappedKey wrapped) implements AutoCloseable {
  public GeneratedKey {
    Objects.requireNonNull(dek, "dek");
    Objects.requireNonNull(wrapped, "wrapped");
  }

  @Override
  public void close() {
    dek.close();
  }

  @Override
  public String toString() {
    return "GeneratedKey[keyId=" + wrapped.getKeyId() + ", version=" + wrapped.getKeyVersion() + "]";
  }
}
