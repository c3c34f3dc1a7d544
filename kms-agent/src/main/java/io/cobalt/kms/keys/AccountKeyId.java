package io.cobalt.kms.keys;

import java.util.regex.Pattern;

/**
 * The id of an account's service-managed KEK: {@code account/<account>}, where the account name
 * follows Azure's rules (3–24 characters, lowercase letters and digits).
 */
public record AccountKeyId(String account) {
  public static final String PREFIX = "account/";
  private static final Pattern ACCOUNT = Pattern.compile("[a-z0-9]{3,24}");

  public AccountKeyId {
    if (!isValidAccount(account)) {
      throw new IllegalArgumentException("invalid account name");
    }
  }

  public static boolean isValidAccount(String account) {
    return account != null && ACCOUNT.matcher(account).matches();
  }

  /** The key id of {@code account}, or a refusal naming Azure's rule. */
  public static AccountKeyId forAccount(String account) throws KeyOperationException {
    if (!isValidAccount(account)) {
      throw new KeyOperationException(KeyOperationException.Kind.INVALID_ACCOUNT,
          "account name must be 3-24 lowercase letters and digits");
    }
    return new AccountKeyId(account);
  }

  /** Parses {@code account/<account>}; anything else is an invalid key id. */
  public static AccountKeyId parse(String keyId) throws KeyOperationException {
    if (keyId == null || !keyId.startsWith(PREFIX) || !isValidAccount(keyId.substring(PREFIX.length()))) {
      throw new KeyOperationException(KeyOperationException.Kind.INVALID_KEY_ID,
          "key id must be account/<account name>");
    }
    return new AccountKeyId(keyId.substring(PREFIX.length()));
  }

  public String value() {
    return PREFIX + account;
  }

  @Override
  public String toString() {
    return value();
  }
}
