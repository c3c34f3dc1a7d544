package io.cobalt.kms.keys;

/** The state of one KEK version. Only ENABLED versions wrap or unwrap. */
public enum KeyState {
  ENABLED,
  DISABLED
}
