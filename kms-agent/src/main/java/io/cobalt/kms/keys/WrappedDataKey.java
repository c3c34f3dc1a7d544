package io.cobalt.kms.keys;

import java.util.Arrays;

/** A DEK wrapped under one KEK version (see the package doc for the byte layout). */
public record WrappedDataKey(String keyId, int keyVersion, byte[] ciphertext) {
  /** nonce (12) + DEK (32) + tag (16). */
  public static final int CIPHERTEXT_LENGTH = 12 + 32 + 16;

  public WrappedDataKey {
    ciphertext = ciphertext.clone();
  }

  @Override
  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WrappedDataKey w && w.keyId.equals(keyId) && w.keyVersion == keyVersion
        && Arrays.equals(w.ciphertext, ciphertext);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * keyId.hashCode() + keyVersion) + Arrays.hashCode(ciphertext);
  }

  @Override
  public String toString() {
    return "WrappedDataKey[" + keyId + " v" + keyVersion + "]";
  }
}
