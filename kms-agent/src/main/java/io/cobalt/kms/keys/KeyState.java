package io.cobalt.kms.keys;

/**
 * The state of one KEK version. Only ENABLED versions wrap or unwrap. DISABLED is reversible;
 * DESTROYED is final: the version's key material is gone and only its record remains.
 */
public enum KeyState {
  ENABLED,
  DISABLED,
  DESTROYED
}
