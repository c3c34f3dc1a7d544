package io.cobalt.kms.keys;

import java.util.regex.Pattern;

/**
 * The id of a KEK: {@code account/<account>} for an account's service-managed key (see
 * {@link AccountKeyId}) or {@code cmk/<name>} for a customer-managed key, where the name follows
 * Key Vault's rule for key names (1–127 letters, digits and dashes).
 */
public record KeyId(String value) {
  public static final String CUSTOMER_PREFIX = "cmk/";
  private static final Pattern CUSTOMER_NAME = Pattern.compile("[A-Za-z0-9-]{1,127}");

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
      return AccountKeyId.isValidAccount(keyId.substring(AccountKeyId.PREFIX.length()));
    }
    return keyId.startsWith(CUSTOMER_PREFIX) && CUSTOMER_NAME.matcher(keyId.substring(CUSTOMER_PREFIX.length())).matches();
  }

  /** Parses a key id, or refuses it naming both forms. */
  public static KeyId parse(String keyId) throws KeyOperationException {
    if (!isValid(keyId)) {
      throw new KeyOperationException(KeyOperationException.Kind.INVALID_KEY_ID,
          "key id must be account/<account name> or cmk/<1-127 letters, digits, dashes>");
    }
    return new KeyId(keyId);
  }

  /** The account of a service-managed key id, or null for a customer-managed key. */
  public String account() {
    return value.startsWith(AccountKeyId.PREFIX) ? value.substring(AccountKeyId.PREFIX.length()) : null;
  }

  @Override
  public String toString() {
    return value;
  }
}
