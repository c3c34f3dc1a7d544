package io.cobalt.kms.keys;

import io.cobalt.crypto.key.DataKey;

/** A fresh DEK in plaintext and the same DEK wrapped; closing it wipes the plaintext. */
public record GeneratedDataKey(DataKey plaintext, WrappedDataKey wrapped) implements AutoCloseable {
  @Override
  public void close() {
    plaintext.close();
  }
}
