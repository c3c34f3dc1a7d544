package io.cobalt.gateway;

import java.util.Arrays;
import java.util.Objects;

/**
 * A storage account and its two decoded (raw, not Base64) account keys. Both keys sign Shared Key
 * requests, so one can be rotated while the other is in use. The keys never appear in
 * {@link #toString()}, and {@link #key1()}/{@link #key2()} return copies.
 *
 * @param requireInfrastructureEncryption Azure's account property of that name, chosen when the
 *     account is created: every chunk of the account is kept sealed a second time by the nodes under
 *     their service-managed infrastructure key (docs/adr/0032)
 */
public record AccountKeys(String account, byte[] key1, byte[] key2, boolean requireInfrastructureEncryption) {
  /** An account without infrastructure encryption. */
  public AccountKeys(String account, byte[] key1, byte[] key2) {
    this(account, key1, key2, false);
  }

  public AccountKeys {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(key1, "key1");
    if (account.isEmpty()) {
      throw new IllegalArgumentException("account must not be empty");
    }
    if (key1.length == 0) {
      throw new IllegalArgumentException("key1 must not be empty");
    }
    key1 = key1.clone();
    key2 = key2 == null || key2.length == 0 ? null : key2.clone();
  }

  @Override
  public byte[] key1() {
    return key1.clone();
  }

  /** The second key, or {@code null} if the account has only one. */
  @Override
  public byte[] key2() {
    return key2 == null ? null : key2.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AccountKeys other
        && account.equals(other.account)
        && Arrays.equals(key1, other.key1)
        && Arrays.equals(key2, other.key2)
        && requireInfrastructureEncryption == other.requireInfrastructureEncryption;
  }

  @Override
  public int hashCode() {
    return account.hashCode();
  }

  @Override
  public String toString() {
    return "AccountKeys[account=" + account + ", keys=<redacted>, requireInfrastructureEncryption="
        + requireInfrastructureEncryption + "]";
  }
}
