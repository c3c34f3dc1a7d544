package io.cobalt.kms.keys;

import java.util.regex.Pattern;

/**
 * The id of a KEK: {@code account/<account>} for an account's service-managed key (see
 * {@link AccountKeyId}), {@code account/<account>/scope/<name>} for an encryption scope's
 * service-managed key (created by an operator, never on first use; ADR 0023), or
 * {@code cmk/<name>} for a customer-managed key, where the name follows
 * Key Vault's rule for key names (1–127 letters, digits and dashes).
 */
public record KeyId(String value) {
  public static final String CUSTOMER_PREFIX = "cmk/";
  private static final Pattern CUSTOMER_NAME = Pattern.compile("[A-Za-z0-9-]{1,127}");
  /** An encryption scope's key (ADR 0023): {@code account/<account>/scope/<name>}. */
  public static final String SCOPE_INFIX = "/scope/";
  private static final Pattern SCOPE_NAME = Pattern.compile("[A-Za-z0-9-]{3,63}");

  public KeyId {
    if (!isValid(value)) {
      throw new IllegalArgumentException("invalid key id");
    }
  }

  public static boolean isValid(String keyId) {
    if (keyId == null) {
      return false;
    }
    if (keyId.startsWith(AccountKeyId.PREFIX)) {
      String rest = keyId.substring(AccountKeyId.PREFIX.length());
      int scope = rest.indexOf(SCOPE_INFIX);
      if (scope >= 0) {
        return AccountKeyId.isValidAccount(rest.substring(0, scope))
            && SCOPE_NAME.matcher(rest.substring(scope + SCOPE_INFIX.length())).matches();
      }
      return AccountKeyId.isValidAccount(rest);
    }
    return keyId.startsWith(CUSTOMER_PREFIX) && CUSTOMER_NAME.matcher(keyId.substring(CUSTOMER_PREFIX.length())).matches();
  }

  /** Parses a key id, or refuses it naming both forms. */
  public static KeyId parse(String keyId) throws KeyOperationException {
    if (!isValid(keyId)) {
      throw new KeyOperationException(KeyOperationException.Kind.INVALID_KEY_ID,
          "key id must be account/<account name>, account/<account name>/scope/<3-63 letters, digits, dashes>"
              + " or cmk/<1-127 letters, digits, dashes>");
    }
    return new KeyId(keyId);
  }

  /** The account of a service-managed key id, or null for a customer-managed key. */
  public String account() {
    if (!value.startsWith(AccountKeyId.PREFIX)) {
      return null;
    }
    String rest = value.substring(AccountKeyId.PREFIX.length());
    int scope = rest.indexOf(SCOPE_INFIX);
    return scope >= 0 ? rest.substring(0, scope) : rest;
  }

  /** The key id of encryption scope {@code name} of {@code account} (ADR 0023). */
  public static String ofScope(String account, String name) throws KeyOperationException {
    return parse(AccountKeyId.PREFIX + account + SCOPE_INFIX + name).value();
  }

  /** Whether this is an encryption scope's key. */
  public boolean isScope() {
    return value.startsWith(AccountKeyId.PREFIX) && value.contains(SCOPE_INFIX);
  }

  @Override
  public String toString() {
    return value;
  }
}
